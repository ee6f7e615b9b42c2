"""Agent decode speed against raw llama.cpp decode: same model, same threads, same calls.

For each repeat, agent B (the longest writer) drafts from the findings of the real corpus (or the
sample corpus) through the product's own path, run_agent -> EmbeddedBackend (decoding.py's loop:
sampling, the JSON-schema grammar, detokenising); its tokens/s is what agent_calls records. Around
the same call llama.cpp times its own decode (llama_perf_context: n_eval tokens in t_eval_ms, the
forward passes): the raw speed of the model on these threads. The same messages are then drafted
once more without the schema. Without it, the ratio is the cost of the agent path itself; with
it, the ratio also pays the grammar's checks and redraws. Target: agent / raw >= 0.95.

    python bench/bench_decode.py [--model smollm2-135m] [--threads 2] [--repeats 3]
        [--temperature 0] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import polars as pl

from tasks.agents.analyst import run_agent
from tasks.agents.backends import embedded
from tasks.agents.backends.base import Completion
from tasks.agents.backends.embedded import EmbeddedBackend
from tasks.agents.options import ModelOptions
from tasks.agents.personas import PERSONAS
from tasks.facts import compute_findings
from tasks.ingest.discover import discover_files
from tasks.ingest.manifest import apply_outcomes, plan_parse
from tasks.parse import parse_batch
from tasks.parse.pile import resolve_pile
from tasks.samples import write_sample_corpus
from tasks.validate import validate_metrics

REAL_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "chimeraforge"


def corpus_tables(corpus: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FILES and validated METRICS of a corpus, from the pipeline's pure functions (no Prefect)."""
    inventory = discover_files([corpus])
    metrics, outcomes = parse_batch(plan_parse(inventory, None, None).to_parse)
    files, metrics = resolve_pile(apply_outcomes(inventory, outcomes), metrics)
    return files, validate_metrics(metrics).metrics


def corpus_findings(corpus: Path) -> pl.DataFrame:
    """The findings of a corpus, as the flow computes them."""
    return compute_findings(*corpus_tables(corpus))


class MeteredBackend:
    """The embedded backend, with llama.cpp's decode counters read around every call."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend = backend
        self.name, self.model = backend.name, backend.model
        self.calls: list[dict] = []

    def chat(self, messages: list[dict], options: ModelOptions, json_schema: dict | None = None):
        import llama_cpp

        if not embedded._loaded:  # the warm-up call loads the model
            return self.backend.chat(messages, options, json_schema)
        (loaded,) = embedded._loaded.values()  # one model, one context
        llama_cpp.llama_perf_context_reset(loaded.llama.ctx)
        completion: Completion = self.backend.chat(messages, options, json_schema)
        perf = llama_cpp.llama_perf_context(loaded.llama.ctx)
        self.calls.append(
            {
                "messages": messages,
                "schema": json_schema is not None,
                "agent_tok_s": completion.tokens_per_s,
                "agent_tokens": completion.eval_count,
                "raw_tok_s": perf.n_eval / perf.t_eval_ms * 1000.0 if perf.t_eval_ms else 0.0,
                "raw_tokens": perf.n_eval,
            }
        )
        return completion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--temperature", type=float, default=0.0, help="0: greedy; else top_k 40, top_p 0.9"
    )
    parser.add_argument("--corpus", type=Path, help="default: ../shared corpus, else a sample")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = args.corpus or (REAL_CORPUS if REAL_CORPUS.is_dir() else None)
        if corpus is None:
            corpus = Path(tmp) / "sample"
            write_sample_corpus(corpus)
        findings = corpus_findings(corpus)
    print(
        f"model {args.model}, {args.threads} threads, temperature {args.temperature}, "
        f"findings from {corpus} ({findings.height})"
    )

    metered = MeteredBackend(EmbeddedBackend(args.model, n_threads=args.threads))
    options = ModelOptions(temperature=args.temperature, seed=42)
    persona = PERSONAS["B"]
    run_agent(metered, persona, findings, options, max_retries=0)  # warm-up: loads the model
    metered.calls.clear()
    for _ in range(args.repeats):
        run_agent(metered, persona, findings, options, max_retries=0)
        drafted = metered.calls[-1]
        metered.chat(drafted["messages"], options.model_copy(update={"num_predict": 400}))

    print(f"{'mode':<12}{'calls':>6}{'tokens':>8}{'agent tok/s':>13}{'raw tok/s':>11}{'ratio':>8}")
    for schema, mode in ((True, "json schema"), (False, "plain text")):
        rows = [c for c in metered.calls if c["schema"] is schema]
        print(
            f"{mode:<12}{len(rows):>6}{_median(rows, 'agent_tokens'):>8.0f}"
            f"{_median(rows, 'agent_tok_s'):>13.1f}{_median(rows, 'raw_tok_s'):>11.1f}"
            f"{_median_ratio(rows, 'raw_tok_s'):>8.3f}"
        )
    print("ratio: median over calls of the agent's tokens/s / llama.cpp's (target >= 0.95)")


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(row[key] for row in rows)


def _median_ratio(rows: list[dict], key: str) -> float:
    return statistics.median(row["agent_tok_s"] / row[key] for row in rows if row[key])


if __name__ == "__main__":
    main()
