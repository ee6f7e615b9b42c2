"""Small validated tables for the analysis tests, built row by row."""

from __future__ import annotations

import polars as pl

from tasks.schemas import FILES, METRICS, conform


def metric_rows(
    path: str,
    model: str,
    values: list[float],
    metric: str = "throughput_tok_s",
    unit: str = "tok/s",
    start: int = 1,
    **dimensions,
) -> list[dict]:
    """One measurement per value, rows `start`.. of `path`, each its own record."""
    return [
        {
            "source_path": path,
            "locator": f"row {i}",
            "format": "csv",
            "metric": metric,
            "value": value,
            "unit": unit,
            "model": model,
            "model_id": model,
            "role": "measurement",
            "status": "passed",
            "prompt_index": i,
            **dimensions,
        }
        for i, value in enumerate(values, start)
    ]


def metrics_frame(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, infer_schema_length=None), METRICS)


def files_frame(metrics: pl.DataFrame) -> pl.DataFrame:
    paths = metrics["source_path"].unique().sort().to_list()
    return conform(
        pl.DataFrame(
            {
                "relative_path": paths,
                "folder": [p.rpartition("/")[0] or "." for p in paths],
                "format": ["csv"] * len(paths),
                "status": ["parsed"] * len(paths),
            }
        ),
        FILES,
    )
