"""Canonical metric names, from the alias table in aliases.csv.

In: a metric name as a file writes it ("Tokens/s", "TTFT (s)", "benchmark.mean_time_ms") and,
when the value states one, the value's unit. Out: a `MetricName`: the canonical metric, its unit
and the factor that converts the written value into that unit, and the statistic the name says
the value is. A statistic of a name the table knows ("p99_ttft_ms", "Mean TTFT (s)") is that
metric with its statistic; a JSON key path the table does not know is looked up by its last key
("summary.avg_tokens_per_second"). Names the table does not know keep a snake_case version of
themselves, with a unit read from the value or the name.
"""

from __future__ import annotations

import csv
import functools
import re
from importlib import resources
from typing import NamedTuple

from tasks.parse.values import canonical_unit, unit_factor


class MetricName(NamedTuple):
    metric: str
    unit: str | None
    scale: float
    statistic: str | None = None  # "mean" for "mean_tokens_s": a statistic of several values


_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PARENTHESES = re.compile(r"\s*\(([^()]*)\)")
_RATE = re.compile(r"/\s*s(?:ec(?:ond)?)?\s*$", re.IGNORECASE)
# Words in a name that say the value summarises several measurements.
_STATISTIC_WORDS = {
    **dict.fromkeys(("mean", "avg", "average"), "mean"),
    "median": "median",
    **dict.fromkeys(("std", "stddev", "stdev", "sd"), "std"),
    "min": "min",
    **dict.fromkeys(("max", "peak", "best"), "max"),
    "variance": "variance",
}
_PERCENTILE = re.compile(r"^p(\d{1,3}(?:\.\d+)?)$")
_SYMBOL_WORDS = {"Δ": " delta ", "δ": " delta ", "%": " pct ", "#": " num "}
# Unit suffixes of snake_case names, longest first so "_tok_s" wins over "_s".
_NAME_SUFFIX_UNITS = (
    ("_tokens_s", "tok/s"),
    ("_tok_s", "tok/s"),
    ("_requests_s", "req/s"),
    ("_req_s", "req/s"),
    ("_percent", "%"),
    ("_pct", "%"),
    ("_bytes", "B"),
    ("_gb", "GB"),
    ("_mb", "MB"),
    ("_kb", "KB"),
    ("_ms", "ms"),
    ("_us", "us"),
    ("_ns", "ns"),
    ("_s", "s"),
)


def _spell_symbols(name: str) -> str:
    for symbol, word in _SYMBOL_WORDS.items():
        name = name.replace(symbol, word)
    return name


@functools.lru_cache(maxsize=16384)
def normalise_key(name: str) -> str:
    """The matching key of a name: lower case letters and digits only ("TTFT (s)" -> "ttfts")."""
    return _NOT_ALPHANUMERIC.sub("", _spell_symbols(name).lower())


@functools.lru_cache(maxsize=16384)
def snake_case(name: str) -> str:
    """A readable metric name: "Mean Latency (ms)" -> "mean_latency_ms", "a__b.sum" -> "a_b_sum"."""
    spelled = _CAMEL_BOUNDARY.sub("_", _spell_symbols(name))
    return _NOT_ALPHANUMERIC.sub("_", spelled.lower()).strip("_") or "value"


@functools.cache
def _aliases() -> dict[str, MetricName]:
    text = resources.files("tasks.parse").joinpath("aliases.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    table: dict[str, MetricName] = {}
    for row in csv.DictReader(lines):
        table[normalise_key(row["alias"])] = MetricName(
            row["metric"], row["unit"] or None, float(row["scale"])
        )
    return table


@functools.cache
def canonical_metrics() -> frozenset[str]:
    """The metrics the alias table maps names to."""
    return frozenset(alias.metric for alias in _aliases().values())


def known_alias(name: str) -> MetricName | None:
    """The alias table's entry for a name, matched case/space/punctuation-insensitively."""
    return _aliases().get(normalise_key(name))


def unit_in_name(name: str) -> str | None:
    """The unit a name states: "Mean (ms)" -> "ms", "cpu_percent" -> "%", else None."""
    for inner in reversed(_PARENTHESES.findall(name)):
        unit = canonical_unit(inner)
        if unit is not None and _is_known_unit(unit):
            return unit
    # Suffixes only of the name itself: "Regressions (>=10.0%)" counts regressions, not percent.
    bare = _PARENTHESES.sub("", name)
    snake = snake_case(bare)
    for suffix, unit in _NAME_SUFFIX_UNITS:
        if snake.endswith(suffix):
            # "Images/s" is a rate of something, not seconds
            return None if unit == "s" and _RATE.search(bare) else unit
    return None


def _is_known_unit(unit: str) -> bool:
    return any(
        unit_factor(unit, base) is not None for base in ("ms", "tok/s", "req/s", "%", "B", "x")
    )


@functools.lru_cache(maxsize=16384)
def statistic_in_name(name: str) -> str | None:
    """The statistic a name says its value is: "mean_tokens_s" -> "mean", "p99_ttft_ms" ->
    "p99", "TTFT median" -> "median"; None for a single measurement."""
    for word in snake_case(name).split("_"):
        found = _STATISTIC_WORDS.get(word)
        if found:
            return found
        percentile = _PERCENTILE.match(word)
        if percentile:
            return "p50" if percentile[1] == "50" else f"p{percentile[1]}"
    return None


def is_statistic_key(key: str) -> bool:
    """Whether a key is a statistic's name alone ("mean", "p90", "std"), as an object of a
    metric's statistics writes its keys."""
    word = snake_case(key)
    return word in _STATISTIC_WORDS or _PERCENTILE.match(word) is not None


@functools.lru_cache(maxsize=8192)
def resolve_metric(raw_name: str, value_unit: str | None = None) -> MetricName:
    """Canonical metric, unit and scale for a name as written, given the value's own unit.

    A name in the alias table maps to its canonical metric; a value that states a unit the
    canonical unit converts from is scaled from that unit. When the units do not convert (a
    "%" delta under a throughput label) the name is treated as unknown, so a value is never
    filed under a metric whose unit it does not have.
    """
    return _resolve_metric(raw_name, value_unit)._replace(statistic=statistic_in_name(raw_name))


def _resolve_metric(raw_name: str, value_unit: str | None) -> MetricName:
    alias = known_alias(raw_name)
    if alias is None and "(" in raw_name:
        # "Mean TTFT (warm)" is a "Mean TTFT"; the parenthetical is a note, not a new metric.
        # But a unit: "Throughput (req/s)" counts requests, not the tokens "Throughput" means.
        without_notes = _PARENTHESES.sub("", raw_name)
        if without_notes.strip():
            alias = known_alias(without_notes)
            if alias is not None:
                alias = _in_stated_unit(raw_name, alias)
    if alias is None:
        # "p99_ttft_ms", "p50_e2e_latency_ms": a statistic of the named metric, which
        # resolve_metric records, not a metric of its own.
        alias = _alias_without_statistic(raw_name)
    if alias is None and "." in raw_name.strip("."):
        # A JSON key path, "summary.avg_tokens_per_second": the key names the metric; or the
        # keys before a statistic's, "metrics.ttft_ms.p50".
        keys = raw_name.strip(".").split(".")
        for start in range(1, len(keys)):
            key = ".".join(keys[start:])
            alias = known_alias(key) or _alias_without_statistic(key)
            if alias is not None:
                break
    if alias is not None:
        if value_unit is None:
            return alias
        factor = unit_factor(value_unit, alias.unit)
        if factor is not None:
            return MetricName(alias.metric, alias.unit, factor)
    return MetricName(snake_case(raw_name), value_unit or unit_in_name(raw_name), 1.0)


def _in_stated_unit(raw_name: str, alias: MetricName) -> MetricName | None:
    """The alias of a name without its parentheses, scaled from the unit a parenthetical states
    ("TTFT (us)": microseconds, not the seconds a bare "TTFT" is taken to be); None when that
    unit is another quantity's (a known unit, or any rate: "Throughput (GB/s)")."""
    for inner in _PARENTHESES.findall(raw_name):
        stated = canonical_unit(inner)
        if stated is not None and (_is_known_unit(stated) or "/" in stated):
            factor = unit_factor(stated, alias.unit)
            return None if factor is None else alias._replace(scale=factor)
    return alias


def _alias_without_statistic(raw_name: str) -> MetricName | None:
    words = snake_case(raw_name).split("_")
    kept = [w for w in words if w not in _STATISTIC_WORDS and not _PERCENTILE.match(w)]
    if not kept or len(kept) == len(words):
        return None
    return known_alias("_".join(kept))
