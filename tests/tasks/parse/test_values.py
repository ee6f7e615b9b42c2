"""Numbers and units as files write them: what parses, to what, and what is refused."""

from __future__ import annotations

import pytest

from tasks.parse.values import ParsedValue, canonical_unit, parse_value, unit_factor


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,503", ParsedValue(3503.0, None)),
        ("102.34 tokens/s", ParsedValue(102.34, "tok/s")),
        ("1.62s", ParsedValue(1.62, "s")),
        ("**+34%**", ParsedValue(34.0, "%")),
        ("**-30% smaller**", ParsedValue(-30.0, "%")),
        ("0.165 seconds (excluding cold start)", ParsedValue(0.165, "s")),
        ("1.62s (first prompt: 7.84s, subsequent: 0.07s)", ParsedValue(1.62, "s")),
        ("99.16 ± 0.25 tok/s", ParsedValue(99.16, "tok/s")),
        ("`mlp` 0.5", None),
        ("22,80,000", ParsedValue(2280000.0, None)),
        ("32K tokens", ParsedValue(32000.0, "tokens")),
        ("1.598x", ParsedValue(1.598, "x")),
        ("0.000000", ParsedValue(0.0, None)),
        ("1e-5", ParsedValue(1e-5, None)),
        ("5.3 GB", ParsedValue(5.3, "GB")),
    ],
)
def test_parse_value_reads_number_and_unit(text: str, expected: ParsedValue | None) -> None:
    assert parse_value(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "~6-7 GB (estimated)",  # an approximate range
        "2025-10-08",  # a date
        "3.13.1",  # a version
        "12,5",  # not a thousands group
        "(128, 1, 1)",  # a tuple
        "-",
        "",
        "nan",
        "inf",
        "TRUE",
        "3/5 runs",
        "102.31 tokens/s @ 0.128s TTFT",  # two numbers: which one is meant is unclear
        "No-CC",
        "1_000",
        "27aa9b6a6c4282",  # a commit hash that starts with digits
        "0x1f",  # a hex number
    ],
)
def test_parse_value_refuses_what_is_not_one_number(text: str) -> None:
    assert parse_value(text) is None


def test_trailing_words_can_be_refused() -> None:
    assert parse_value("+34% faster") == ParsedValue(34.0, "%")
    assert parse_value("304 tokens/s peak throughput", trailing_words=False) is None
    assert parse_value("5.15 s", trailing_words=False) == ParsedValue(5.15, "s")


@pytest.mark.parametrize(
    ("unit", "canonical"),
    [("seconds", "s"), ("tokens/second", "tok/s"), ("MB", "MB"), ("gb", "GB"), ("warp", "warp")],
)
def test_canonical_unit_spells_units_one_way(unit: str, canonical: str) -> None:
    assert canonical_unit(unit) == canonical


def test_unit_factor_converts_within_a_kind_only() -> None:
    assert unit_factor("s", "ms") == 1000.0
    assert unit_factor("ns", "ms") == pytest.approx(1e-6)
    assert unit_factor("GB", "MB") == 1000.0
    assert unit_factor("ms", "tok/s") is None
    assert unit_factor("%", None) is None
