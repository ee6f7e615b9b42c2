"""Sample corpus: a seed in, a folder of realistic local-LLM benchmark files out.

The pile imitates the shapes of a real benchmark folder (Ollama prompt-suite CSVs and summaries,
baseline CSV + JSON pairs, parameter sweeps with summaries, Markdown reports with pipe tables,
compilation JSON with nested backends) and its warts: a failed run of zero-throughput rows with a
connection error, a timed-out sweep configuration, success=true beside an error message, an exact
duplicate, an empty file, a UTF-16 "CSV", a Markdown table glued to the line above, CRLF line ends,
and files that hold no metrics (.txt, .py, binary); beside them, the outputs of the standard
benchmark tools (tasks.samples.tool_outputs). Every number comes from a seeded generator with
plausible per-model ranges, and every timestamp is derived from the seed, so the same seed writes
byte-identical files. Contents are built as strings (no dataframes): 100,000 files take well
under a minute.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from tasks.samples.common import PROFILES, SWEEP, ModelProfile, _Pile, config_name
from tasks.samples.compilation import _add_compilation
from tasks.samples.data_exports import _add_data_exports
from tasks.samples.gemma_reports import _add_gemma_reports
from tasks.samples.llama_reports import _add_llama_reports
from tasks.samples.misc_files import _add_misc
from tasks.samples.ollama_runs import PROMPT_SUITE_COLUMNS, _add_ollama_runs
from tasks.samples.tool_outputs import tool_outputs

__all__ = [
    "PROFILES",
    "PROMPT_SUITE_COLUMNS",
    "SWEEP",
    "ModelProfile",
    "build_pile",
    "config_name",
    "write_sample_corpus",
]

# 2025-07-01T00:00:00Z; each pile's runs start somewhere in the ~200 days after it.
BASE_EPOCH = 1_751_328_000
SPREAD_S = 200 * 86_400
START_STEP_S = 6_007  # prime, so coprime with SPREAD_S


def build_pile(seed: int) -> list[tuple[str, bytes]]:
    """The files of one pile as (relative posix path, bytes), the same for the same seed."""
    rng = random.Random(seed)
    # A step coprime with SPREAD_S gives every seed below it its own start second, so even the
    # files that carry little more than a date (the README) differ between copies.
    start = BASE_EPOCH + (seed * START_STEP_S) % SPREAD_S
    pile = _Pile()
    gemma_latest = _add_ollama_runs(pile, rng, start)
    llama_q4 = _add_llama_reports(pile, rng, start)
    _add_gemma_reports(pile, rng, start, llama_q4, gemma_latest)
    _add_compilation(pile, rng, start)
    _add_data_exports(pile, rng, start)
    _add_misc(pile, rng, start)
    for relative_path, text in tool_outputs(rng, start):
        pile.add(relative_path, text)
    return pile.files


def write_sample_corpus(dest: Path, *, copies: int = 1, seed: int = 0) -> list[Path]:
    """Write a realistic, deterministic pile of local-LLM benchmark files under dest; return them.

    copies=1 writes one pile (about 50 files) straight under dest; copies=N writes N piles in
    sub-folders copy_00000, copy_00001, ... with seeds seed, seed+1, ..., so their contents differ
    except for each pile's deliberate duplicate pair and its empty file.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    dest = Path(dest)
    written: list[Path] = []
    made: set[str] = set()
    for copy in range(copies):
        root = dest if copies == 1 else dest / f"copy_{copy:05d}"
        for relative, data in build_pile(seed + copy):
            path = os.path.join(root, relative)
            folder = os.path.dirname(path)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(path, "wb") as handle:
                handle.write(data)
            written.append(Path(path))
    return written
