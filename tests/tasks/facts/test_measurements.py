"""The measurements every analysis counts (tasks.facts.measurements.performance_rows)."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from tasks.facts.measurements import UNREAD_COLUMNS, performance_rows
from tests.tasks.facts.builders import metric_rows, metrics_frame


def test_a_row_first_in_two_series_is_one_measurement_of_each():
    # One table row holds the first call of two models side by side, each a cold start: both
    # values are marked cold, and each is still one measurement, not one per series.
    path = "r/side_by_side.csv"
    rows = [
        *metric_rows(path, "a", [4000.0, 90.0, 95.0, 92.0, 91.0], metric="ttft_ms", unit="ms"),
        *metric_rows(path, "b", [5000.0, 80.0, 85.0, 82.0, 81.0], metric="ttft_ms", unit="ms"),
    ]
    performance = performance_rows(metrics_frame(rows))

    assert performance.height == len(rows)
    assert performance.select("model", "locator").is_duplicated().sum() == 0
    cold = performance.filter("cold").select("model", "locator").sort("model").rows()
    assert cold == [("a", "row 1"), ("b", "row 1")]


def _call(path: str, row: int, **values: float) -> list[dict]:
    """One record (a call) of model "m" with these metrics, each a row."""
    units = {"ttft_ms": "ms", "load_ms": "ms", "throughput_tok_s": "tok/s"}
    return [
        metric_rows(path, "m", [value], metric=metric, unit=units[metric], start=row)[0]
        for metric, value in values.items()
    ]


def test_a_calls_load_share_is_its_load_time_over_its_own_ttft():
    path = "r/calls.csv"
    rows = [
        *_call(path, 1, ttft_ms=200.0, load_ms=50.0, throughput_tok_s=40.0),
        *_call(path, 2, ttft_ms=100.0, load_ms=90.0, throughput_tok_s=41.0),
        *_call(path, 3, load_ms=60.0, throughput_tok_s=42.0),  # no TTFT: no share
        *_call(path, 4, ttft_ms=float("nan"), load_ms=70.0, throughput_tok_s=43.0),
    ]
    performance = performance_rows(metrics_frame(rows))

    shares = dict(
        performance.group_by("locator").agg(pl.col("load_share").unique()).sort("locator").rows()
    )
    assert shares == {"row 1": [0.25], "row 2": [0.9], "row 3": [None], "row 4": [None]}
    assert performance.filter(pl.col("metric") == "ttft_ms")["locator"].to_list() == [
        "row 1",
        "row 2",
    ]


def test_the_measurements_read_none_of_the_columns_a_run_lets_go_of_first():
    # benchmark-report drops these before the measurements step, to hold less of the table.
    path = "r/sweep.csv"
    rows = [
        *(
            row | {"raw_metric": "tokens_per_s", "resolution": 0.005, "model_variant": "instruct"}
            for row in metric_rows(path, "m", [40.0, 41.0, 90.0], num_gpu=1)
        ),
        *metric_rows(path, "m", [60.0, 61.0, 62.0], start=4, num_gpu=2),
    ]
    table = metrics_frame(rows)
    assert_frame_equal(performance_rows(table.drop(UNREAD_COLUMNS)), performance_rows(table))
