"""Time validate_metrics on a generated 1,000,000-row metrics table (a script, not a test).

Builds prompt-suite-like records (8 metrics each, spread over 10,000 files) where about 5% of
records carry a connection error with zero throughput, 1% say success=false and 1% have a
drifted eval_ms; then prints the time validate_metrics takes and what it decided.
Run: .venv/bin/python bench/bench_validate.py [rows]
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import polars as pl

from tasks.schemas import PARSED_METRICS, conform
from tasks.validate import validate_metrics

METRICS = (
    ("ttft_ms", "ms"),
    ("throughput_tok_s", "tok/s"),
    ("load_ms", "ms"),
    ("prompt_eval_ms", "ms"),
    ("eval_ms", "ms"),
    ("prompt_eval_count", "count"),
    ("eval_count", "count"),
    ("response_chars", "chars"),
)


def build_metrics(rows: int, seed: int = 0) -> pl.DataFrame:
    """A PARSED_METRICS frame of `rows` rows (rounded down to whole records)."""
    rng = np.random.default_rng(seed)
    records = rows // len(METRICS)
    throughput = rng.uniform(40, 300, records)
    eval_count = rng.integers(10, 800, records).astype(float)
    eval_ms = eval_count / throughput * 1000
    eval_ms[rng.random(records) < 0.01] *= 1.5  # drifted timings: a warning
    failed = rng.random(records) < 0.05
    for column in (throughput, eval_count, eval_ms):
        column[failed] = 0.0
    ttft_ms = rng.uniform(50, 3000, records)
    values = np.stack(
        [
            ttft_ms,
            throughput,
            ttft_ms * 0.8,
            ttft_ms * 0.2,
            eval_ms,
            rng.integers(15, 30, records).astype(float),
            eval_count,
            eval_count * 4,
        ],
        axis=1,
    ).ravel()
    record = np.repeat(np.arange(records), len(METRICS))
    # Most files carry no success flag; a few records say success=false.
    draw = rng.random(records)
    success = pl.Series(np.where(draw < 0.01, 0, np.where(draw < 0.2, 1, 2))).replace_strict(
        {0: False, 1: True, 2: None}, return_dtype=pl.Boolean
    )
    frame = pl.DataFrame(
        {
            "source_path": pl.Series(record % 10_000).cast(pl.Utf8).str.pad_start(5, "0")
            + "/prompt_suite_runs.csv",
            "locator": "row " + pl.Series(record // 10_000 + 1).cast(pl.Utf8),
            "metric": np.tile([name for name, _ in METRICS], records),
            "unit": np.tile([unit for _, unit in METRICS], records),
            "value": values,
            "model": "llama3.1:8b-instruct-q4_0",
            "timestamp": "2025-10-02T19:18:24.204845+00:00",
            "error": pl.Series(np.repeat(failed, len(METRICS))).replace_strict(
                {True: "Failed to connect to Ollama.", False: None}, return_dtype=pl.Utf8
            ),
            "success": success.gather(np.repeat(np.arange(records), len(METRICS))),
        }
    )
    return conform(frame, PARSED_METRICS)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    metrics = build_metrics(rows)
    for attempt in ("first call", "second call"):
        start, cpu_start = time.perf_counter(), time.process_time()
        result = validate_metrics(metrics)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        print(
            f"{attempt}: validate_metrics on {metrics.height:,} rows took {elapsed:.2f} s "
            f"({cpu:.2f} s CPU; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
    print(result.metrics["status"].value_counts().sort("status"))
    print(result.expectations.select("column", "success", "unexpected_count"))


if __name__ == "__main__":
    main()
