"""How long the analysis takes as the pile grows (a script that prints figures, not a test).

    python bench/bench_findings.py [--copies 1 10 100]

For each size, writes the built-in sample corpus that many times over (about 49 files a copy:
sweeps, baselines, the standard tools' outputs, reports), parses and resolves it with the
pipeline's pure functions, validates it, and then times `compute_findings` (the findings stage
of the flow) and the pack an agent reads. Prints files, metric rows, findings and seconds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench_decode import corpus_tables  # a sibling script: run from bench/

from tasks.agents.personas import PERSONAS
from tasks.facts import compute_findings, pack_findings
from tasks.samples import write_sample_corpus


def measure(copies: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder) / "bench"
        write_sample_corpus(corpus, copies=copies)
        files, metrics = corpus_tables(corpus)
    started = time.perf_counter()
    findings = compute_findings(files, metrics)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    for persona in PERSONAS.values():
        pack_findings(findings, persona.kinds, 1200)
    return {
        "files": files.height,
        "rows": metrics.height,
        "findings": findings.height,
        "findings_s": round(seconds, 2),
        "packs_s": round(time.perf_counter() - started, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10, 100])
    for copies in parser.parse_args().copies:
        print(measure(copies), flush=True)


if __name__ == "__main__":
    main()
