"""MetricSink: one frame for many files, with a rollback for a file that fails half-way."""

from __future__ import annotations

import polars as pl
import pytest

from tasks.parse.records import FAILED_RECORD_METRIC, MetricSink, written_resolution
from tasks.schemas import PARSED_METRICS


def test_frame_has_exactly_the_parsed_metrics_schema_even_when_empty() -> None:
    assert MetricSink().to_frame().schema == PARSED_METRICS


def test_rows_carry_their_file_and_record() -> None:
    sink = MetricSink()
    sink.start_file("a.csv", "sha-a", "csv")
    record = sink.add_record("row 1", {"model": "m", "num_gpu": 40})
    sink.add_metric(record, "throughput_tok_s", "tokens_s", 1.0, "tok/s")
    sink.start_file("b.json", "sha-b", "json")
    record = sink.add_record("/results/0", {"success": False})
    sink.add_values(
        record, [sink.metric_kind("x", "x", None), sink.metric_kind("y", "y", "ms")], [2.0, 3.0]
    )
    frame = sink.to_frame()
    assert frame.schema == PARSED_METRICS
    assert frame.select(
        "source_path", "locator", "metric", "value", "num_gpu", "success"
    ).rows() == [
        ("a.csv", "row 1", "throughput_tok_s", 1.0, 40, None),
        ("b.json", "/results/0", "x", 2.0, None, False),
        ("b.json", "/results/0", "y", 3.0, None, False),
    ]


def test_a_metric_kind_is_one_id_per_metric_raw_name_and_unit() -> None:
    sink = MetricSink()
    first = sink.metric_kind("ttft_ms", "ttft_s", "ms")
    assert sink.metric_kind("ttft_ms", "ttft_s", "ms") == first
    assert sink.metric_kind("ttft_ms", "TTFT (s)", "ms") != first


def test_rollback_forgets_a_half_parsed_file() -> None:
    sink = MetricSink()
    sink.start_file("a.csv", "sha-a", "csv")
    sink.add_metric(sink.add_record("row 1", {}), "m", "m", 1.0, None)
    checkpoint = sink.checkpoint()
    sink.start_file("broken.csv", "sha-b", "csv")
    sink.add_metric(sink.add_record("row 1", {}), "m", "m", 2.0, None)
    sink.rollback(checkpoint)
    sink.start_file("c.csv", "sha-c", "csv")
    sink.add_metric(sink.add_record("row 1", {}), "m", "m", 3.0, None)
    assert sink.to_frame().select("source_path", "value").rows() == [("a.csv", 1.0), ("c.csv", 3.0)]


def test_a_failed_record_without_values_gets_one_error_row() -> None:
    sink = MetricSink()
    sink.start_file("a.csv", "sha-a", "csv")
    failed = sink.add_record("row 1", {"error": "timed out"})
    assert sink.add_failure_if_empty(failed, 0, "error") == 1
    quiet = sink.add_record("row 2", {})
    assert sink.add_failure_if_empty(quiet, 0, "error") == 0
    frame = sink.to_frame()
    assert frame.select("locator", "metric", "value", "error").rows() == [
        ("row 1", FAILED_RECORD_METRIC, None, "timed out")
    ]
    assert frame.filter(pl.col("value").is_not_null()).is_empty()


def test_resolution_is_half_the_last_written_digit_in_the_canonical_unit() -> None:
    values = pl.Series("value", [303.89821, 50.0, 0.1 + 0.2, 12.0, -0.0625, None, float("nan")])
    # 50 ms read from "0.05 s"; 0.30000000000000004 is 0.3 written; the rest as written
    scales = pl.Series("scale", [1.0, 1000.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    resolution = written_resolution(values, scales).to_list()
    assert resolution[:5] == pytest.approx([0.000005, 5.0, 0.05, 0.5, 0.00005])
    # nothing written to compare: the finest resolution, so it matches only itself
    assert resolution[5:] == pytest.approx([5e-11, 5e-11])
