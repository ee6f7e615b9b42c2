"""Suite files load whole, or fail naming the file and the problem."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

from tasks.validate.suites import (
    SuiteError,
    build_suite,
    load_suite,
    new_context,
    read_suite_file,
    run_suite,
)

BETWEEN = {
    "type": "expect_column_values_to_be_between",
    "kwargs": {"column": "value", "min_value": 0},
    "meta": {"severity": "critical", "reason": "value must be non-negative"},
}


def document(*entries: dict) -> dict:
    return {"name": "example", "expectations": list(entries)}


@pytest.mark.parametrize("name", ["files", "metrics", "findings"])
def test_shipped_suites_load_every_expectation_with_a_severity_and_reason(name):
    _, raw = read_suite_file(name)
    loaded = load_suite(new_context(), name)
    assert len(loaded.suite.expectations) == len(raw["expectations"])
    assert [spec.type for spec in loaded.specs] == [e["type"] for e in raw["expectations"]]
    assert {spec.severity for spec in loaded.specs} <= {"critical", "warning"}
    assert all(spec.reason.strip() for spec in loaded.specs)


def test_an_unknown_expectation_type_names_the_file_and_the_type():
    typo = copy.deepcopy(BETWEEN) | {"type": "expect_column_values_to_be_betwen"}
    with pytest.raises(SuiteError, match=r"suite\.json: .*expect_column_values_to_be_betwen"):
        build_suite(new_context(), "example", "suite.json", document(BETWEEN, typo))


def test_invalid_kwargs_name_the_file_and_the_expectation():
    broken = copy.deepcopy(BETWEEN)
    broken["kwargs"]["min_value"] = "zero"
    with pytest.raises(SuiteError, match=r"suite\.json: expectation 0 \(expect_column_values"):
        build_suite(new_context(), "example", "suite.json", document(broken))


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"reason": "why"}, "meta.severity"),
        ({"severity": "fatal", "reason": "why"}, "meta.severity"),
        ({"severity": "warning"}, "meta.reason"),
        ({"severity": "warning", "reason": "  "}, "meta.reason"),
    ],
)
def test_every_expectation_needs_a_severity_and_a_reason(meta, message):
    entry = copy.deepcopy(BETWEEN) | {"meta": meta}
    with pytest.raises(SuiteError, match=rf"suite\.json: expectation 0 .*{message}"):
        build_suite(new_context(), "example", "suite.json", document(entry))


def test_an_empty_suite_is_refused():
    with pytest.raises(SuiteError, match="non-empty list"):
        build_suite(new_context(), "example", "suite.json", document())


def test_a_missing_suite_file_is_named():
    with pytest.raises(SuiteError, match="no_such_table.json"):
        read_suite_file("no_such_table")


def test_an_expectation_that_crashes_names_the_file_and_the_error():
    loaded = build_suite(new_context(), "example", "suite.json", document(BETWEEN))
    text_values = pd.DataFrame({"value": ["fast", "slow"]})
    with pytest.raises(SuiteError, match=r"suite\.json: .*on value could not run: .*same type"):
        run_suite(new_context(), loaded, text_values)


def test_a_column_missing_from_the_checks_table_is_named():
    loaded = build_suite(new_context(), "example", "suite.json", document(BETWEEN))
    with pytest.raises(SuiteError, match="no column.*value"):
        run_suite(new_context(), loaded, pd.DataFrame({"other": [1.0]}))


def test_ge_does_not_hash_the_frame_it_validates():
    # GE fingerprints a frame under 1 GB by hashing every cell, twice per validation: a third of
    # a big table's validation time for a marker nothing reads.
    loaded = build_suite(new_context(), "example", "suite.json", document(BETWEEN))
    result = run_suite(new_context(), loaded, pd.DataFrame({"value": [1.0, 2.0]}))
    assert result.success
    assert "pandas_data_fingerprint" not in result.meta["batch_markers"]
