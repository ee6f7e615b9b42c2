"""Tiny literal PARSED_METRICS frames for the validation tests: one helper per record shape."""

from __future__ import annotations

from typing import Any

import polars as pl

from tasks.schemas import PARSED_METRICS, conform

ISO = "2025-10-02T19:18:24.204845+00:00"


def record(
    source_path: str,
    locator: str,
    *,
    throughput: float | None = 76.91,
    eval_ms: float | None = 4862.955,  # 374 tokens at 76.91 tok/s
    eval_count: float | None = 374,
    ttft_ms: float | None = 2857.169,
    **dimensions: Any,
) -> list[dict[str, Any]]:
    """The metric rows of one prompt-suite record, with the same dimensions on every row."""
    values = {
        "throughput_tok_s": (throughput, "tok/s"),
        "eval_ms": (eval_ms, "ms"),
        "eval_count": (eval_count, "tokens"),
        "ttft_ms": (ttft_ms, "ms"),
    }
    dimensions.setdefault("timestamp", ISO)
    return [
        {
            "source_path": source_path,
            "locator": locator,
            "metric": metric,
            "value": value,
            "unit": unit,
            **dimensions,
        }
        for metric, (value, unit) in values.items()
    ]


def metrics_frame(*records: list[dict[str, Any]]) -> pl.DataFrame:
    rows = [row for rows in records for row in rows]
    return conform(pl.DataFrame(rows, infer_schema_length=None), PARSED_METRICS)


def statuses(metrics: pl.DataFrame, source_path: str, locator: str) -> dict[str, str]:
    """metric -> status for one record of a validated metrics frame."""
    rows = metrics.filter((pl.col("source_path") == source_path) & (pl.col("locator") == locator))
    return dict(rows.select("metric", "status").iter_rows())


def reasons(quarantine: pl.DataFrame, source_path: str, locator: str) -> dict[str, list[str]]:
    """metric -> reasons for one record of a quarantine frame."""
    rows = quarantine.filter(
        (pl.col("source_path") == source_path) & (pl.col("locator") == locator)
    )
    return dict(rows.select("metric", "reasons").iter_rows())
