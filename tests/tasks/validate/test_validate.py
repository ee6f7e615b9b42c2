"""validate_metrics and validate_files on tiny literal frames: statuses, reasons, schemas."""

from __future__ import annotations

import gc
import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tasks.schemas import FILES, METRICS, PARSED_METRICS, QUARANTINE, conform
from tasks.validate import EXPECTATION_RESULTS, ValidationResult, validate_files, validate_metrics
from tasks.validate.suites import read_suite_file
from tasks.validate.validate import cycles_of_parts_only
from tests.tasks.validate.validation_frames import metrics_frame, reasons, record, statuses

CONNECTION_ERROR = "Failed to connect to Ollama. Please check that Ollama is running."


@pytest.fixture(scope="module")
def mixed() -> tuple[pl.DataFrame, ValidationResult]:
    """One frame holding one record per case, validated once (GE costs ~0.3 s a call)."""
    metrics = metrics_frame(
        record("ok.csv", "row 1"),
        record("ok.csv", "row 2", success=True),
        record("fail.csv", "row 1", throughput=0, eval_ms=0, eval_count=0, error=CONNECTION_ERROR),
        record("flag.json", "/results/0", success=False),
        record(
            "banter.json",
            "/results/0",
            success=True,
            error="Error generating banter: All connection attempts failed",
        ),
        record("zero.csv", "row 1", throughput=0.0),
        record("negative.csv", "row 1", ttft_ms=-5.0),
        record("fast.csv", "row 1", throughput=250_000.0, eval_ms=1.496),
        record("drift.csv", "row 1", eval_ms=9000.0),
        record("clock.csv", "row 1", timestamp="last tuesday"),
        record("hole.csv", "row 1", ttft_ms=None),
        record("timeout.csv", "row 1", throughput=None, eval_ms=None, error="timed out"),
        record("blank_error.csv", "row 1", error="  "),
    )
    duplicate = metrics_frame(record("twice.csv", "row 1")).head(1)
    metrics = pl.concat([metrics, metrics_frame(record("twice.csv", "row 1")), duplicate])
    return metrics, validate_metrics(metrics)


def test_clean_records_pass(mixed):
    _, result = mixed
    assert set(statuses(result.metrics, "ok.csv", "row 1").values()) == {"passed"}
    assert set(statuses(result.metrics, "ok.csv", "row 2").values()) == {"passed"}
    assert set(statuses(result.metrics, "blank_error.csv", "row 1").values()) == {"passed"}


def test_an_error_quarantines_every_metric_of_its_record(mixed):
    _, result = mixed
    found = reasons(result.quarantine, "fail.csv", "row 1")
    assert sorted(found) == ["eval_count", "eval_ms", "throughput_tok_s", "ttft_ms"]
    for metric_reasons in found.values():
        assert metric_reasons == [f"record has an error: {CONNECTION_ERROR}"]


def test_success_false_quarantines_the_record(mixed):
    _, result = mixed
    found = reasons(result.quarantine, "flag.json", "/results/0")
    assert len(found) == 4
    assert all(r == ["record is marked unsuccessful (success=false)"] for r in found.values())


def test_success_beside_an_error_is_contradictory(mixed):
    _, result = mixed
    found = reasons(result.quarantine, "banter.json", "/results/0")
    assert len(found) == 4
    for metric_reasons in found.values():
        assert metric_reasons[0] == (
            "record has an error: Error generating banter: All connection attempts failed"
        )
        assert "successful but carries an error message" in metric_reasons[1]


def test_zero_throughput_without_an_error_quarantines_the_record(mixed):
    _, result = mixed
    found = reasons(result.quarantine, "zero.csv", "row 1")
    assert len(found) == 4
    assert found["ttft_ms"] == [
        "throughput_tok_s must be > 0 on a record without an error (it is 0.0)"
    ]


def test_negative_duration_quarantines_only_that_row(mixed):
    _, result = mixed
    assert statuses(result.metrics, "negative.csv", "row 1") == {
        "throughput_tok_s": "passed",
        "eval_ms": "passed",
        "eval_count": "passed",
        "ttft_ms": "quarantined",
    }
    assert reasons(result.quarantine, "negative.csv", "row 1")["ttft_ms"] == [
        "ttft_ms is a duration or count and must be non-negative (it is -5.0)"
    ]


def test_implausible_throughput_is_quarantined(mixed):
    _, result = mixed
    found = reasons(result.quarantine, "fast.csv", "row 1")
    assert found["throughput_tok_s"] == [
        "throughput_tok_s must be between 0 and 100,000 tokens/s (it is 250000.0)"
    ]


def test_durations_that_disagree_with_counts_are_warned_not_quarantined(mixed):
    _, result = mixed
    assert statuses(result.metrics, "drift.csv", "row 1") == {
        "throughput_tok_s": "warned",
        "eval_ms": "warned",
        "eval_count": "warned",
        "ttft_ms": "passed",  # not part of the eval_ms = eval_count / throughput check
    }


def test_unparseable_timestamp_is_warned(mixed):
    _, result = mixed
    assert set(statuses(result.metrics, "clock.csv", "row 1").values()) == {"warned"}


def test_missing_value_is_quarantined_unless_an_error_explains_it(mixed):
    _, result = mixed
    assert reasons(result.quarantine, "hole.csv", "row 1") == {
        "ttft_ms": ["ttft_ms has no finite value (it is null) on a record without an error"]
    }
    timed_out = reasons(result.quarantine, "timeout.csv", "row 1")
    assert len(timed_out) == 4
    assert all(r == ["record has an error: timed out"] for r in timed_out.values())


def test_duplicate_measurements_are_quarantined(mixed):
    _, result = mixed
    twice = result.quarantine.filter(pl.col("source_path") == "twice.csv")
    assert twice["metric"].to_list() == ["throughput_tok_s", "throughput_tok_s"]
    assert twice["reasons"].to_list()[0] == [
        "throughput_tok_s is measured 2 times in one record with the same unit, model and "
        "configuration (same source_path, locator, metric and dimensions), so no single value "
        "can be trusted"
    ]


def test_every_input_row_comes_back_once_in_order_with_the_metrics_schema(mixed):
    metrics, result = mixed
    assert result.metrics.schema == METRICS
    assert_frame_equal(result.metrics.select(PARSED_METRICS.names()), metrics)
    assert set(result.metrics["status"].unique()) == {"passed", "warned", "quarantined"}


def test_quarantine_holds_exactly_the_quarantined_rows(mixed):
    _, result = mixed
    assert result.quarantine.schema == QUARANTINE
    quarantined = result.metrics.filter(pl.col("status") == "quarantined")
    assert_frame_equal(
        result.quarantine.select(PARSED_METRICS.names()),
        quarantined.select(PARSED_METRICS.names()),
    )
    assert result.quarantine["reasons"].list.len().min() >= 1


def test_one_expectation_row_per_suite_entry_with_counts_matching_rows(mixed):
    _, result = mixed
    _, suite = read_suite_file("metrics")
    assert result.expectations.schema == EXPECTATION_RESULTS
    assert result.expectations["column"].to_list() == [
        entry["kwargs"]["column"] for entry in suite["expectations"]
    ]
    by_column = {row["column"]: row for row in result.expectations.iter_rows(named=True)}
    assert (
        by_column["record_has_error"]["unexpected_count"] == 12
    )  # 3 records with an error x 4 metrics
    assert by_column["record_has_error"]["success"] is False
    assert by_column["missing_provenance"]["success"] is True


def test_ge_results_are_json_ready(mixed):
    _, result = mixed
    saved = json.loads(json.dumps(result.ge_results))
    assert saved["metrics"]["statistics"]["evaluated_expectations"] == result.expectations.height
    assert saved["metrics"]["success"] is False


def test_an_all_clean_table_passes_every_expectation():
    result = validate_metrics(metrics_frame(record("a.csv", "row 1"), record("a.csv", "row 2")))
    assert result.expectations["success"].all()
    assert result.quarantine.is_empty()
    assert set(result.metrics["status"]) == {"passed"}


def test_an_empty_table_validates_to_empty_tables():
    result = validate_metrics(pl.DataFrame(schema=PARSED_METRICS))
    assert result.metrics.is_empty() and result.metrics.schema == METRICS
    assert result.quarantine.is_empty() and result.quarantine.schema == QUARANTINE


def files_frame(**overrides: list) -> pl.DataFrame:
    columns = {
        "path": ["/src/a.csv", "/src/b.txt", "/src/c.csv"],
        "relative_path": ["a.csv", "b.txt", "c.csv"],
        "format": ["csv", "text", "csv"],
        "size_bytes": [120, 40, 120],
        "sha256": ["a" * 64, "b" * 64, "a" * 64],
        "status": ["parsed", "skipped", "duplicate"],
        "reason": [None, "not a metrics file", "same bytes as a.csv"],
        "duplicate_of": [None, None, "a.csv"],
        "metric_rows": [8, 0, 0],
    }
    return conform(pl.DataFrame({**columns, **overrides}), FILES)


def test_a_consistent_file_inventory_passes():
    found = validate_files(files_frame())
    assert found.schema == EXPECTATION_RESULTS
    assert found["success"].all()
    assert set(found["suite"]) == {"files"}


@pytest.mark.parametrize(
    ("overrides", "failing_column"),
    [
        ({"sha256": ["a" * 64, "xyz", "a" * 64]}, "sha256"),
        ({"status": ["parsed", "lost", "duplicate"]}, "status"),
        ({"reason": [None, None, "same bytes as a.csv"]}, "unparsed_without_reason"),
        ({"duplicate_of": [None, None, None]}, "duplicate_without_original"),
    ],
)
def test_a_broken_file_inventory_fails_the_matching_expectation(overrides, failing_column):
    found = validate_files(files_frame(**overrides))
    failed = found.filter(~pl.col("success"))
    assert failed["column"].to_list() == [failing_column]
    assert failed["unexpected_count"].to_list() == [1]


def test_the_findings_suite_passes_the_analysis_and_fails_a_broken_finding():
    from tasks.facts import compute_findings
    from tasks.validate import validate_findings
    from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame

    metrics = metrics_frame(
        metric_rows("a/x.csv", "m1", [10.0, 11.0, 12.0])
        + metric_rows("a/y.csv", "m2", [20.0, 21.0, 22.0])
    )
    findings = compute_findings(files_frame(metrics), metrics)

    assert validate_findings(findings)["success"].all()
    broken = findings.with_columns(
        pl.when(pl.col("rank") == 1).then(pl.lit(1.5)).otherwise(pl.col("p_value")).alias("p_value")
    )
    failed = validate_findings(broken).filter(~pl.col("success"))
    assert failed["column"].to_list() == ["p_value"]


def test_a_table_in_several_chunks_is_judged_as_in_one_and_keeps_its_chunks():
    # A pile's table comes in chunks; the status column is cut into the same ones (a column
    # cut otherwise makes Polars copy the whole table at its next select).
    parts = [
        metrics_frame(
            record(f"part{i}.csv", "row 1"),
            record(f"part{i}.csv", "row 2", ttft_ms=-float(i + 1)),  # one failure per part
            record(f"part{i}.csv", "row 3", eval_ms=9000.0),  # one warning per part
        )
        for i in range(3)
    ]
    chunked = pl.concat(parts, rechunk=False)
    assert chunked.n_chunks() == 3
    judged, whole = validate_metrics(chunked), validate_metrics(chunked.rechunk())
    assert_frame_equal(judged.metrics, whole.metrics)
    assert_frame_equal(judged.quarantine, whole.quarantine)
    assert judged.metrics["status"].chunk_lengths() == chunked["value"].chunk_lengths()
    assert judged.quarantine["reasons"].to_list() == [
        [f"ttft_ms is a duration or count and must be non-negative (it is {-(i + 1.0)})"]
        for i in range(3)
    ]
    assert judged.metrics.filter(pl.col("status") == "warned").height == 3 * 3


def test_a_table_judged_in_parts_gives_what_it_gives_judged_at_once(mixed):
    # A big table goes to GE 500,000 rows at a time; parts of 7 rows here split records,
    # failures and warnings across parts.
    metrics, whole = mixed
    parted = validate_metrics(metrics, part_rows=7)
    assert metrics.height > 7 * 5
    assert_frame_equal(parted.metrics, whole.metrics)
    assert_frame_equal(parted.quarantine, whole.quarantine)
    assert_frame_equal(parted.expectations, whole.expectations)
    saved, at_once = parted.ge_results["metrics"], whole.ge_results["metrics"]
    assert saved["statistics"] == at_once["statistics"]
    assert saved["success"] is at_once["success"] is False
    for part_of, whole_of in zip(saved["expectations"], at_once["expectations"], strict=True):
        assert part_of["success"] == whole_of["success"]
        for key in ("element_count", "unexpected_count", "missing_count", "unexpected_percent"):
            assert part_of["result"][key] == pytest.approx(whole_of["result"][key]), key
        first_failures = part_of["result"]["partial_unexpected_index_list"]
        assert first_failures == whole_of["result"]["partial_unexpected_index_list"]
    json.dumps(parted.ge_results)  # still ready to save


def test_validation_in_parts_leaves_no_object_frozen(mixed):
    # The collections between parts look only at what the parts made; everything older is
    # frozen meanwhile and must be collectable again once validation ends.
    metrics, _ = mixed
    validate_metrics(metrics, part_rows=7)
    assert gc.get_freeze_count() == 0
    with pytest.raises(ValueError), cycles_of_parts_only():
        assert gc.get_freeze_count() > 0
        raise ValueError("a part failed")
    assert gc.get_freeze_count() == 0
