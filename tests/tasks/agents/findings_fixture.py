"""A findings table computed from a small pile, for the agent tests."""

from __future__ import annotations

import polars as pl

from tasks.facts import compute_findings
from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame


def small_findings() -> pl.DataFrame:
    """A ranking (gemma ahead of llama), an option with no measurable difference, a cold
    start, a failure cause, and the inventory."""
    rows = [
        *metric_rows("a/gemma.csv", "gemma3:1b", [180.0, 182.0, 181.0, 183.0, 179.0]),
        *metric_rows("a/llama.csv", "llama3.1:8b", [77.0, 78.0, 76.5, 77.5, 78.5]),
        *metric_rows("s/sweep.csv", "gemma3:1b", [180.0, 184.0, 178.0, 182.0], num_gpu=40),
        *metric_rows("s/sweep.csv", "gemma3:1b", [183.0, 179.0, 181.0, 180.0], start=5, num_gpu=80),
        *metric_rows("c/runs.csv", "gemma3:1b", [4000.0, 90.0, 95.0, 92.0], "ttft_ms", "ms"),
        *[
            {**row, "status": "quarantined", "error": "connection refused"}
            for row in metric_rows("f/failed.csv", "llama3.1:8b", [0.0, 0.0])
        ],
    ]
    metrics = metrics_frame(rows)
    return compute_findings(files_frame(metrics), metrics)


def finding_id(findings: pl.DataFrame, **where) -> str:
    chosen = findings.filter(*[pl.col(k) == v for k, v in where.items()])
    assert chosen.height == 1, chosen.select("finding_id", "kind", "subject")
    return chosen["finding_id"][0]
