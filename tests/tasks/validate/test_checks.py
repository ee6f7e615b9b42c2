"""The Polars check columns: broadcast per record, pivoted consistency, timestamp parsing."""

from __future__ import annotations

import polars as pl
import pytest

from tasks.validate.checks import build_file_checks, build_metric_checks, unparseable_timestamps
from tests.tasks.validate.validation_frames import metrics_frame, record


def test_record_flags_reach_every_row_of_the_record_only():
    metrics = metrics_frame(
        record("a.csv", "row 1", error="boom"),
        record("a.csv", "row 2"),
    )
    # The parser may set the error on one row of a record only.
    metrics = metrics.with_columns(
        error=pl.when(pl.col("metric") == "ttft_ms").then(pl.col("error"))
    )
    checks = build_metric_checks(metrics)
    by_record = checks.group_by("locator").agg(pl.col("record_has_error").unique())
    assert dict(by_record.iter_rows()) == {"row 1": [True], "row 2": [False]}


def test_eval_ms_ratio_is_computed_from_the_pivoted_record_on_its_three_metrics():
    # 500 tokens at 100 tok/s take 5,000 ms; the file says 5,500 ms.
    metrics = metrics_frame(
        record("a.csv", "row 1", throughput=100.0, eval_count=500, eval_ms=5500.0)
    )
    checks = build_metric_checks(metrics)
    ratios = dict(checks.select("metric", "eval_ms_to_expected_ratio").iter_rows())
    assert ratios["eval_ms"] == pytest.approx(1.1)
    assert ratios["eval_count"] == pytest.approx(1.1)
    assert ratios["throughput_tok_s"] == pytest.approx(1.1)
    assert ratios["ttft_ms"] is None


def test_no_ratio_when_the_record_has_no_throughput():
    checks = build_metric_checks(metrics_frame(record("a.csv", "row 1", throughput=0.0)))
    assert checks["eval_ms_to_expected_ratio"].null_count() == checks.height


def test_range_columns_hold_the_value_only_on_their_metric():
    checks = build_metric_checks(metrics_frame(record("a.csv", "row 1")), ["ttft_ms"])
    values = dict(checks.select("metric", "value_of_ttft_ms").iter_rows())
    assert values == {
        "throughput_tok_s": None,
        "eval_ms": None,
        "eval_count": None,
        "ttft_ms": 2857.169,
    }


def test_durations_and_counts_are_picked_by_name_or_unit():
    metrics = metrics_frame(record("a.csv", "row 1")).with_columns(
        metric=pl.Series(["throughput_tok_s", "eval_ms", "eval_count", "warmup"]),
        unit=pl.Series(["tok/s", "ms", "tokens", "s"]),
    )
    checks = build_metric_checks(metrics)
    picked = checks.filter(pl.col("duration_or_count_value").is_not_null())["metric"].to_list()
    assert picked == ["eval_ms", "eval_count", "warmup"]


def test_timestamps_in_the_corpus_styles_parse_and_nonsense_does_not():
    timestamps = pl.Series(
        [
            "2025-10-02T19:12:04.495331+00:00",  # prompt-suite CSVs
            "2025-09-29T18:52:52.771901",  # baseline JSON test_datetime
            "2025-10-02 19:12:04",
            "2025-10-02T19:12:04Z",
            "2025-10-02",
            "20251002-151204",  # run folder names
            "1759186372.7719",  # epoch seconds
            " 2025-10-02T19:12:04 ",
            None,
            "",
            "last tuesday",
            "2025-13-45T99:00:00",
            "42",
        ]
    )
    assert sorted(unparseable_timestamps(timestamps).to_list()) == [
        "2025-13-45T99:00:00",
        "42",
        "last tuesday",
    ]


def test_file_flags_mark_unexplained_skips_and_orphaned_duplicates():
    files = pl.DataFrame(
        {
            "status": ["parsed", "skipped", "error", "duplicate", "duplicate"],
            "reason": [None, "not metrics", " ", "same bytes", "same bytes"],
            "duplicate_of": [None, None, None, "a.csv", None],
        }
    )
    checks = build_file_checks(files)
    assert checks["unparsed_without_reason"].to_list() == [False, False, True, False, False]
    assert checks["duplicate_without_original"].to_list() == [False, False, False, False, True]


def test_changes_between_runs_may_be_negative_durations_may_not():
    metrics = metrics_frame(record("a.md", "table 1 row 1")).with_columns(
        metric=pl.Series(["ttft_delta_ms", "ttft_ms", "word_count", "avg_ttft_penalty_ms"]),
        unit=pl.Series(["ms", "ms", "%", "ms"]),
    )
    checks = build_metric_checks(metrics)
    picked = checks.filter(pl.col("duration_or_count_value").is_not_null())["metric"].to_list()
    assert picked == ["ttft_ms"]


def test_one_table_row_comparing_models_is_not_a_duplicate():
    # "| Mean Throughput | 102.85 tokens/s | 76.59 tokens/s |": one locator, two models.
    gemma = record("r.md", "table 3 row 2", model="gemma3:latest")
    llama = record("r.md", "table 3 row 2", model="llama3.1:8b-instruct-q4_0")
    checks = build_metric_checks(metrics_frame(gemma, llama))
    assert not checks["duplicate_measurement"].any()
    # Several throughputs in one record: no single eval_ms consistency ratio to compute.
    assert checks["eval_ms_to_expected_ratio"].null_count() == checks.height


def test_the_same_metric_twice_with_the_same_dimensions_is_a_duplicate():
    twice = metrics_frame(record("a.csv", "row 1", model="m"), record("a.csv", "row 1", model="m"))
    checks = build_metric_checks(twice)
    assert checks["duplicate_measurement"].all()
    assert set(checks["measurement_count"]) == {2}
