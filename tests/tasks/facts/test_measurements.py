"""The measurements every analysis counts (tasks.facts.measurements.performance_rows)."""

from __future__ import annotations

from tasks.facts.measurements import performance_rows
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
