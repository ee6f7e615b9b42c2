"""Numbers and units as benchmark files write them.

In: a cell or label value as text, e.g. "3,503", "102.34 tokens/s", "1.62s (first prompt: 7.84s)",
"**+34%** faster", "99.16 ± 0.25 tok/s". Out: a `ParsedValue` (float value, canonical unit symbol
or None), or None when the text is not one measured number (ranges, versions, dates, prose).
Also unit helpers: `canonical_unit` spells units one way, `unit_factor` converts between units
of the same kind (durations, throughput, sizes).
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple


class ParsedValue(NamedTuple):
    value: float
    unit: str | None


# Markdown emphasis and code marks carry no meaning for a value.
_MARKUP = re.compile(r"\*\*|__|`|~~")
_TRAILING_PARENTHESES = re.compile(r"\s*\([^()]*\)\s*$")
# Thousands groups: "3,503", "1,296" and the Indian "22,80,000"; a lone "12,5" is not a number.
_NUMBER = r"(?:\d+(?:,\d{2,3})*,\d{3}|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
_VALUE = re.compile(
    rf"""
    (?P<sign>[+\-\u2212])?\s*(?P<number>{_NUMBER})
    (?:\s*(?:±|\+/-)\s*(?:{_NUMBER}))?           # "mean ± sd": keep the mean
    (?P<multiplier>[kKM](?=\s|$))?               # "32K tokens"
    \s*(?P<unit>%|°C|[A-Za-zµμ°][A-Za-z0-9µμ°_\-.]*(?:/[A-Za-z][A-Za-z0-9_\-]*)*)?
    (?P<rest>.*)
    """,
    re.VERBOSE,
)
_MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6}
_MISSING = frozenset({"", "-", "—", "–", "n/a", "na", "nan", "none", "null", "inf", "-inf"})

_UNIT_SYNONYMS = {
    **dict.fromkeys(["s", "sec", "secs", "second", "seconds"], "s"),
    **dict.fromkeys(["ms", "msec", "msecs", "millisecond", "milliseconds"], "ms"),
    **dict.fromkeys(["us", "µs", "μs", "usec", "usecs", "microsecond", "microseconds"], "us"),
    **dict.fromkeys(["ns", "nsec", "nanosecond", "nanoseconds"], "ns"),
    **dict.fromkeys(["min", "mins", "minute", "minutes"], "min"),
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours"], "h"),
    **dict.fromkeys(
        ["tok/s", "tokens/s", "token/s", "tokens/sec", "tokens/second", "tok/sec", "t/s", "tps"],
        "tok/s",
    ),
    **dict.fromkeys(
        ["req/s", "reqs/s", "request/s", "requests/s", "req/sec", "requests/sec", "rps"], "req/s"
    ),
    **dict.fromkeys(["%", "pct", "percent"], "%"),
    **dict.fromkeys(["b", "byte", "bytes"], "B"),
    **dict.fromkeys(["kb", "kbyte", "kbytes"], "KB"),
    **dict.fromkeys(["mb", "mbyte", "mbytes"], "MB"),
    **dict.fromkeys(["gb", "gbyte", "gbytes"], "GB"),
    "tb": "TB",
    "kib": "KiB",
    "mib": "MiB",
    "gib": "GiB",
    **dict.fromkeys(["w", "watt", "watts"], "W"),
    "°c": "°C",
    "x": "x",
}

# Each family maps a unit to its size in the family's base unit.
_UNIT_FAMILIES = (
    {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3, "min": 6e4, "h": 3.6e6},
    {"tok/s": 1.0},
    {"req/s": 1.0},
    {"%": 1.0},
    {
        "B": 1.0,
        "KB": 1e3,
        "MB": 1e6,
        "GB": 1e9,
        "TB": 1e12,
        "KiB": 1024.0,
        "MiB": 1024.0**2,
        "GiB": 1024.0**3,
    },
)


def strip_markup(text: str) -> str:
    """Text without Markdown emphasis/code marks and surrounding blanks."""
    return (_MARKUP.sub("", text) if _has_markup(text) else text).strip()


def canonical_unit(unit: str | None) -> str | None:
    """One spelling per unit ("seconds" -> "s", "tokens/second" -> "tok/s"); others as written."""
    if unit is None:
        return None
    unit = unit.strip()
    if not unit:
        return None
    return _UNIT_SYNONYMS.get(unit.lower(), unit)


def unit_factor(from_unit: str | None, to_unit: str | None) -> float | None:
    """Multiplier turning a value in `from_unit` into `to_unit`; None when they do not convert."""
    if from_unit == to_unit:
        return 1.0
    if from_unit is None or to_unit is None:
        return None
    for family in _UNIT_FAMILIES:
        if from_unit in family and to_unit in family:
            return family[from_unit] / family[to_unit]
    return None


def parse_value(text: str, *, trailing_words: bool = True) -> ParsedValue | None:
    """One measured number with its unit, or None when the text is not exactly that.

    Accepts thousands separators, a sign, a unit ("ms", "tok/s", "%", "GB", "x"), markdown
    emphasis, a trailing parenthetical note and, unless `trailing_words` is False, a few
    trailing words ("+34% faster", as table cells say). Rejects
    approximations ("~0.1 s"), ranges ("6-7 GB"), versions ("3.13.1"), dates and any text where
    another number follows, since then it is unclear which number is meant.
    """
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        # float() also takes "nan", "inf" and "1_000", which are not measurements as written.
        if math.isfinite(number) and "_" not in text:
            return ParsedValue(number, None)
        return None
    cleaned = (_MARKUP.sub("", text) if _has_markup(text) else text).strip()
    while cleaned.endswith(")"):
        shorter = _TRAILING_PARENTHESES.sub("", cleaned)
        if shorter == cleaned:
            break
        cleaned = shorter
    if cleaned.lower() in _MISSING or cleaned[:1] in ("~", "≈", "<", ">"):
        return None
    match = _VALUE.fullmatch(cleaned)
    if match is None:
        return None
    rest = match["rest"].strip()
    if rest and not (trailing_words and _is_trailing_words(rest)):
        return None
    unit = match["unit"]
    if unit and any(ch.isdigit() for ch in unit):
        return None  # an identifier that starts with digits: a commit "27aa9b6", a hex "0x1f"
    if unit and unit[-1] in ".-_":
        unit = unit.rstrip(".-_")
    value = float(match["number"].replace(",", ""))
    if match["sign"] in ("-", "\u2212"):
        value = -value
    if match["multiplier"]:
        value *= _MULTIPLIERS[match["multiplier"]]
    if not math.isfinite(value):
        return None
    return ParsedValue(value, canonical_unit(unit))


def _has_markup(text: str) -> bool:
    return "*" in text or "_" in text or "`" in text or "~" in text


def _is_trailing_words(rest: str) -> bool:
    """A few words after the unit ("faster", "Top combinations by throughput:") carry no number."""
    if not (rest[0].isalpha() or rest[0] in "✅❌⚠"):
        return False
    return not any(ch.isdigit() for ch in rest) and len(rest.split()) <= 5
