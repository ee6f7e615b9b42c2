"""Piles of dated benchmark runs for the history tests, written with the project's own generator.

Each night is an Ollama prompt-suite run in outputs/reports/ollama/<stamp>/ (the corpus's
layout): five prompts per model, the first cold, timings from tasks.samples' `_generation`, each
model's throughput scaled by `factor(night, model)`. The tables come from the pipeline's own
parse, pile and validation functions, as a run makes them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from tasks.facts import compute_findings
from tasks.history.lifecycle import (
    history_events,
    prepare_history,
    record_history,
    with_finding_ids,
)
from tasks.ingest.discover import discover_files
from tasks.ingest.manifest import apply_outcomes, plan_parse
from tasks.parse import parse_batch
from tasks.parse.pile import resolve_pile
from tasks.samples.common import COLD_LOAD_S, PROFILES, PROMPTS, _csv, _generation
from tasks.samples.ollama_runs import OPTIONS_JSON, PROMPT_SUITE_COLUMNS
from tasks.validate import validate_metrics

Q4 = "llama3.1:8b-instruct-q4_0"
Q8 = "llama3.1:8b-instruct-q8_0"
START = datetime(2025, 7, 1, 2, 0, tzinfo=UTC)


def suite_csv(rng: random.Random, stamp: datetime, factors: dict[str, float],
              request_spread: float = 0.0) -> str:  # fmt: skip
    """One prompt-suite run's CSV: each model's prompts, throughput times its factor."""
    rows = []
    for model, factor in factors.items():
        for index, prompt in enumerate(PROMPTS, start=1):
            run = _generation(
                rng,
                PROFILES[model],
                load_s_range=COLD_LOAD_S if index == 1 else None,
                factor=factor * (1 + rng.gauss(0, request_spread)),
            )
            rows.append(
                [stamp.isoformat(), model, index, prompt, f"{run['ttft_s']:.6f}",
                 f"{run['tokens_s']:.2f}", f"{run['load_s']:.6f}",
                 f"{run['prompt_eval_s']:.6f}", f"{run['eval_s']:.6f}",
                 run["prompt_eval_count"], run["eval_count"], run["response_chars"], "",
                 OPTIONS_JSON]
            )  # fmt: skip
    return _csv(PROMPT_SUITE_COLUMNS, rows)


def write_nights(
    folder: Path,
    nights: int,
    factor: Callable[[int, str], float],
    models: tuple[str, ...] = (Q4,),
    seed: int = 0,
    first_night: int = 0,
    request_spread: float = 0.0,
) -> list[Path]:
    """Nights first_night .. first_night + nights - 1, one run folder each."""
    rng = random.Random(seed)
    written = []
    for night in range(first_night, first_night + nights):
        stamp = START + timedelta(days=night)
        path = folder / "outputs" / "reports" / "ollama" / stamp.strftime("%Y%m%d-%H%M%S")
        path.mkdir(parents=True)
        csv = suite_csv(rng, stamp, {m: factor(night, m) for m in models}, request_spread)
        (path / "prompt_suite_runs.csv").write_text(csv)
        written.append(path / "prompt_suite_runs.csv")
    return written


def pile_tables(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FILES and validated METRICS of a folder, as a run makes them."""
    inventory = discover_files([folder])
    metrics, outcomes = parse_batch(plan_parse(inventory, None, None).to_parse)
    files, metrics = resolve_pile(apply_outcomes(inventory, outcomes), metrics)
    return files, validate_metrics(metrics).metrics


SLOWER = 0.85  # the example: a benchmark file changed to be 15% slower


class Runs:
    """Runs of one pile into one --out, as the flow makes them, minus Prefect."""

    def __init__(self, root: Path, sources: Path) -> None:
        self.root, self.sources, self.count = root, sources, 0
        self.out = root / "out"

    def run(self):
        self.count += 1
        stage = self.out / ".chimera" / f"run-2026010{self.count}T000000000000-{os.getpid()}"
        stage.mkdir(parents=True)
        files, metrics = pile_tables(self.sources)
        started = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=self.count)
        history = prepare_history(self.out, stage, [str(self.sources)], files, metrics, started)
        findings = compute_findings(files, metrics, history.findings)
        history = with_finding_ids(history, findings)
        events = history_events(history, str(stage / "reports" / "combined.md"))
        record_history(history, findings)
        return history, findings, events, stage


def slow_down(csv: Path, factor: float) -> None:
    frame = pl.read_csv(csv)
    frame.with_columns((pl.col("tokens_s") * factor).round(2)).write_csv(csv)
