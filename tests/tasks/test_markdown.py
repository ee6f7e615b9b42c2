"""The number formats every report shares: each distinct behaviour, pinned (the reports' numbers
are traced to the tables, so a changed format is a changed report)."""

from __future__ import annotations

import pytest

from tasks.markdown import (
    adaptive_number,
    axis_number,
    fixed_number,
    number_range,
    one_decimal,
    p_value,
    p_value_cell,
    short_names,
    signed_percent,
)


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [(None, 2, "n/a"), (1234, 2, "1,234"), (1234.0, 2, "1,234"), (1234.5, 2, "1,234.50"),
     (0.255, 1, "0.3"), (-0.5, 2, "-0.50")],
)  # fmt: skip
def test_fixed_number_keeps_its_decimals_unless_whole(value, digits, expected):
    assert fixed_number(value, digits) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12"), (12.345, "12.35"), (99.99, "99.99"), (100.25, "100.2"), (1234.56, "1,234.6"),
     (-250.75, "-250.8")],
)  # fmt: skip
def test_adaptive_number_drops_a_decimal_from_100(value, expected):
    assert adaptive_number(value) == expected


def test_one_decimal_keeps_the_decimal_of_a_whole_number():
    assert [one_decimal(v) for v in (12, 12.04, 1234.56)] == ["12.0", "12.0", "1,234.6"]
    assert fixed_number(12.0, 1) == "12"  # the difference from fixed_number


def test_signed_percent():
    assert [signed_percent(v) for v in (12.34, -0.05, 0)] == ["+12.3%", "-0.1%", "+0.0%"]


def test_p_value_in_a_sentence_and_in_a_table_cell():
    assert [p_value(p) for p in (0.0004, 0.001, 0.04567)] == ["p<0.001", "p=0.001", "p=0.046"]
    assert [p_value_cell(p) for p in (None, 0.0004, 0.04567)] == ["", "<0.001", "0.046"]


def test_axis_number():
    assert [axis_number(v, 0) for v in (0, 2.5, 0.25, 10, 1500.4)] == [
        "0", "2.5", "0.25", "10", "1,500"
    ]  # fmt: skip


def test_a_file_is_named_with_the_folders_that_tell_it_apart() -> None:
    runs = [
        "ollama/20251002-151204/prompt_suite_runs.csv",
        "ollama/20251002-151824/prompt_suite_runs.csv",
    ]
    other = ["corpus/gemma3/gemma3_baseline.csv", "a/x/runs.csv", "b/x/runs.csv"]
    names = short_names(runs + other)
    assert [names[path] for path in runs] == [path.removeprefix("ollama/") for path in runs]
    # a name no other file has stays bare; a clash takes folders until it is told apart
    assert [names[path] for path in other] == [
        "gemma3_baseline.csv",
        "a/x/runs.csv",
        "b/x/runs.csv",
    ]


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(77.2, 78.4, "77.20 to 78.40"), (102.06, 102.14, "102.06 to 102.14"),
     (102.14, 102.14, "102.1 to 102.1"), (5.001, 5.0012, "5.0010 to 5.0012"),
     (0.012, 150.0, "0.01 to 150"), (77.2, 120.3, "77.20 to 120.3")],
)  # fmt: skip
def test_a_range_of_two_different_values_never_reads_as_one(low, high, expected):
    assert number_range(low, high) == expected
