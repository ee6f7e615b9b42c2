"""Numbers in a draft, and whether each one traces to the facts.

In: Markdown text and the numbers the facts state (the allowed numbers). Out: the numbers the text
writes (`numbers_in_text`) and those that trace to no fact (`untraced_numbers`).

What counts as a number
- "3,503", "1.62s", "102.34 tokens/s", "+34%", "-12.5%", "7,836.6 ms", "2.3x", "1e-3".
- "4k" is 4000 (it also traces as 4096, a context size). Dates are read as their parts:
  "2025-10-08" is 2025, 10 and 8, the way the facts state a date.
- Counting numbers are numbers: "3 recommendations" must trace like any other; "three" is a word.
- Not numbers: list markers at a line start ("1. ", "2) "), heading numbering ("## 2.1 Setup"),
  and identifier-like tokens: anything with an underscore or starting with a letter ("F012",
  "p95", "gemma3:270m", "g999_c4096_t0.4"), a letter glued before a digit
  ("8b-instruct-q4"), version strings ("3.8.8"), URLs and paths, and model names in prose: a
  known family with its version and size ("Gemma 3 270M", "Llama 3.1 8B", "SmolLM2 135M") or a
  capitalised word before a size ("Mistral 7B").

How a number traces (w as written, without sign when none is written)
1. Exact or rounded: an allowed x within half a unit of w's last written digit (for an integer
   ending in zeros, of its last non-zero digit: "7,800" is 7,836.6 to the hundred) and, for a
   number written without decimals, within `max_rounding_error` of x. So 238.239 may be
   written 238.24, 238.2 or 238, not 238.23 or 200.
   A number written without a sign also traces to -x ("fell 12.5%" for a change of -12.5).
2. Units that imply a scale are tried in the other scale too: s <-> ms <-> µs (x1000), min and h
   (x60), KB/MB/GB and KiB/MiB/GiB (x1000 or x1024), "%" also as a fraction (45% for 0.45), a
   glued "M" also as millions. "7.8 s" thus traces to 7,836.6 (ms).
3. Derived from two different operands a and b, within `relative_tolerance` of w or half its last
   digit, by the form of the number:
   - percentages: a share a/b, a change (b - a)/a, or a difference in points;
   - multipliers ("2.3x", "2.3×", "2.3 times"): a ratio a/b;
   - other numbers: a difference a - b, only where the text compares (a comparison word such as
     "faster", "more", "gap", "by" or "than" within 30 characters on its line, a written sign, or
     "percentage points"); else 12 - 9 would excuse "3 weeks".
   Ratios never explain plain numbers. Operands are either the facts the same text cites directly
   ("cited", the default) or any two allowed numbers ("all"). With ~200 allowed numbers there are
   ~40,000 ratios and differences: under "all", nearly any percentage and most plain numbers find
   some pair within rounding, so "all" suits small fact sets only.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from tasks.agents.guard.policy import GuardPolicy


@dataclass(frozen=True)
class Number:
    value: float  # the quantity written, sign included: "+34%" -> 34.0, "4k" -> 4000.0
    text: str  # as written, with its sign and a glued unit: "+34%", "1.62s", "3,503"
    position: int  # offset of `text` in the string searched
    unit: str = ""  # a glued unit ("s") or a known unit word after it ("tokens/s"); else ""

    @property
    def display(self) -> str:
        """The number with its unit, as a person would quote it: "110 tok/s"."""
        if not self.unit or self.text.endswith(self.unit):
            return self.text
        return f"{self.text} {self.unit}"


# Unit words and their kinds; the kind decides which scales and derivations are tried.
_TIME_FACTORS = {
    "ns": (1.0, 1e-3),
    "us": (1.0, 1e-3, 1e3),
    "ms": (1.0, 1e-3, 1e3),
    "s": (1.0, 1e3),
    "min": (1.0, 60.0, 6e4),
    "h": (1.0, 60.0, 3600.0),
}
_TIME_WORDS = {
    "ns": "ns", "nanosecond": "ns", "nanoseconds": "ns",
    "us": "us", "µs": "us", "μs": "us", "microsecond": "us", "microseconds": "us",
    "ms": "ms", "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
    "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "min", "mins": "min", "minute": "min", "minutes": "min",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
}  # fmt: skip
_DATA_WORDS = {"kb", "mb", "gb", "tb", "kib", "mib", "gib", "tib"}
_DATA_FACTORS = (1.0, 1e3, 1e-3, 1024.0, 1 / 1024)
_PERCENT_WORDS = {"%", "percent", "pct"}
_POINTS_WORDS = {"pp", "points", "percentage"}  # "percentage points"
_MULTIPLIER_WORDS = {"x", "×", "times", "fold"}
_OTHER_UNIT_WORDS = {
    "tok/s", "tokens/s", "token/s", "t/s", "tps", "tokens", "token", "tok",
    "w", "watts", "°c", "°", "files", "records", "measurements", "runs",
}  # fmt: skip

# A numeral inside a chunk: sign, digits (thousands separators allowed), exponent, glued unit.
_NUMERAL = re.compile(
    r"(?P<sign>[+\-−])?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<exp>[eE][+\-]?\d+)?"
    r"(?P<suffix>%|‰|×|°[CF]?|[^\W\d_]+(?:/[^\W\d_]+)*)?"
)
_SCIENTIFIC = re.compile(r"[+\-−]?(?:\d+\.?\d*|\.\d+)[eE][+\-]?\d+")
_CHUNK = re.compile(r"[^\s|()\[\]{}<>\"“”‘’'`=;*→⇒—]+")
_LETTER_THEN_DIGIT = re.compile(r"[^\W\d_]\d")
_VERSION = re.compile(r"v?\d+(?:\.\d+){2,}")
_LIST_MARKER = re.compile(r"^[ \t]*(?:>[ \t]*)*\d{1,3}[.)](?=[ \t])", re.MULTILINE)
_HEADING_NUMBER = re.compile(r"^[ \t]*#{1,6}[ \t]+\d+(?:\.\d+)*[.)]?(?=[ \t])", re.MULTILINE)
_MODEL_FAMILIES = (
    "gemma|llama|tinyllama|codellama|qwen|phi|mistral|mixtral|smollm|deepseek|granite|falcon|"
    "olmo|starcoder|vicuna"
)
# A family name, its version and size ("Gemma 3 270M"), or a capitalised word before a size.
_PROSE_MODEL = re.compile(
    rf"\b(?i:{_MODEL_FAMILIES})(?![^\W\d_])[\d.]*(?:[ -]v?\d{{1,2}}(?:\.\d{{1,2}})?(?!\d|[.,]\d))?"
    r"(?:[ -]\d+(?:\.\d+)?[MBmbKk]\b)?"
    r"|\b[A-Z][\w.]*[ -]\d+(?:\.\d+)?[MB]\b"
)
_SIZE_LABELS = {"m", "b", "k"}
# A difference is only read where the text compares: "25.9 tok/s faster", "a gap of 25.9".
_COMPARISON = re.compile(
    r"\b(?:more|less|fewer|faster|slower|quicker|higher|lower|longer|shorter|bigger|smaller|"
    r"larger|greater|gap|difference|differs?|delta|by|than|ahead|behind|increased?|increases|"
    r"decreased?|decreases|drop(?:s|ped)?|gain(?:s|ed)?|rise|rose|fell|falls?|sav(?:es|ed|ing|"
    r"ings)|improve(?:s|d|ment)|reduc(?:es|ed|tion)|extra|additional|apart|margin|minus|plus)\b"
    r"|Δ|±",
    re.IGNORECASE,
)
_COMPARISON_REACH = 30  # characters either side of the number, on its line
_UNIT_WORD_AFTER = re.compile(r"[ \t]{0,2}(%|‰|×|°[CF]?|[^\W\d_]+(?:/[^\W\d_]+)*)")


@dataclass(frozen=True)
class FoundNumber:
    number: Number
    half_unit: float  # half a unit of the last written digit, in the scale of number.value
    kind: str  # plain | percent | points | multiplier | scaled
    factors: tuple[float, ...]  # the scales the facts may use for it
    signed: bool  # a sign was written
    compares: bool  # a comparison word is near it, so it may be a difference


def _unit_kind(unit: str) -> tuple[str, tuple[float, ...]]:
    word = unit.casefold()
    if word in _PERCENT_WORDS or word == "‰":
        return "percent", (1.0, 0.01)
    if word in _POINTS_WORDS:
        return "points", (1.0,)
    if word in _MULTIPLIER_WORDS:
        return "multiplier", (1.0,)
    if word in _TIME_WORDS:
        return "scaled", _TIME_FACTORS[_TIME_WORDS[word]]
    if word in _DATA_WORDS:
        return "scaled", _DATA_FACTORS
    if unit == "M":
        return "scaled", (1.0, 1e6)
    return "plain", (1.0,)


def _is_known_unit(word: str) -> bool:
    word = word.casefold()
    return (
        word in _PERCENT_WORDS
        or word in _POINTS_WORDS
        or word in _MULTIPLIER_WORDS
        or word in _TIME_WORDS
        or word in _DATA_WORDS
        or word in _OTHER_UNIT_WORDS
    )


def _half_unit(num: str, exp: str | None) -> float:
    digits = num.replace(",", "")
    if "." in digits:
        half = 0.5 * 10.0 ** -len(digits.split(".", 1)[1])
    else:
        stripped = digits.rstrip("0")
        half = 0.5 * 10.0 ** (len(digits) - len(stripped)) if stripped else 0.5
    # Clamped: "1e99999" must not overflow; such a number is inf and never traces anyway.
    return half * 10.0 ** max(-300, min(300, int(exp[1:]))) if exp else half


class _Spans:
    """Non-overlapping text spans, for a fast "is this offset inside one" test."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [start for start, _ in ordered]
        self._ends = [end for _, end in ordered]

    def __contains__(self, position: int) -> bool:
        i = bisect_right(self._starts, position) - 1
        return i >= 0 and position < self._ends[i]


def _strip_chunk(chunk: str, start: int) -> tuple[str, int]:
    """Drop wrapping punctuation ("(", "**", "_", a sentence's full stop) but keep signs and %."""
    i, j = 0, len(chunk)
    while i < j and not chunk[i].isalnum() and chunk[i] not in "+-−×":
        if chunk[i] == "." and i + 1 < j and chunk[i + 1].isdigit():
            break
        i += 1
    while j > i and not chunk[j - 1].isalnum() and chunk[j - 1] not in "%‰×°":
        j -= 1
    return chunk[i:j], start + i


def _numerals(chunk: str, start: int) -> list[tuple[re.Match[str], int]]:
    """The numerals of a chunk that is not an identifier, with the chunk's offset."""
    if not chunk or not any(c.isdigit() for c in chunk) or "_" in chunk:
        return []
    if chunk[0].isalpha():
        # "Throughput:102.3" states a number; "gemma3:270m" and "qwen:7b" name a model.
        head, colon, tail = chunk.partition(":")
        if not colon or any(c.isdigit() for c in head) or _LETTER_THEN_DIGIT.search(tail):
            return []
        match = _NUMERAL.fullmatch(tail)
        if match is None or (match["suffix"] and not _is_known_unit(match["suffix"])):
            return []
        return [(match, start + len(head) + 1)]
    if _VERSION.fullmatch(chunk):
        return []
    if _LETTER_THEN_DIGIT.search(chunk) and not _SCIENTIFIC.fullmatch(chunk):
        return []
    return [(match, start) for match in _NUMERAL.finditer(chunk)]


def _compares(text: str, number: Number) -> bool:
    start = max(0, number.position - _COMPARISON_REACH)
    end = number.position + len(number.display) + _COMPARISON_REACH
    window = text[start:end]
    line_start = window.rfind("\n", 0, number.position - start) + 1
    line_end = window.find("\n", number.position - start)
    window = window[line_start : line_end if line_end >= 0 else len(window)]
    return _COMPARISON.search(window) is not None


def find_numbers(text: str) -> list[FoundNumber]:
    """Every number in the text, with what tracing needs to know about it."""
    markers = _Spans(
        [m.span() for m in _LIST_MARKER.finditer(text)]
        + [m.span() for m in _HEADING_NUMBER.finditer(text)]
    )
    model_names = _Spans(m.span() for m in _PROSE_MODEL.finditer(text))
    found: list[FoundNumber] = []
    for chunk_match in _CHUNK.finditer(text):
        raw = chunk_match.group()
        if "://" in raw or raw.startswith(("www.", "/", "./", "../", "~/")) or "\\" in raw:
            continue
        chunk, chunk_start = _strip_chunk(raw, chunk_match.start())
        for match, offset in _numerals(chunk, chunk_start):
            # A sign counts only at the chunk's start: "3-5" and "2025-10-08" carry no negatives.
            signed = bool(match["sign"]) and match.start() == 0
            first = match.start() if signed else match.start("num")
            position = offset + first
            if position in markers:
                continue
            suffix = match["suffix"] or ""
            value = float(match["num"].replace(",", "") + (match["exp"] or ""))
            half = _half_unit(match["num"], match["exp"])
            factors: tuple[float, ...] = (1.0,)
            if suffix in ("k", "K"):
                value, half, factors, suffix = value * 1e3, half * 1e3, (1.0, 1.024), ""
            if signed and match["sign"] in "-−":
                value = -value
            unit = suffix or ("×" if chunk.startswith("×") else "")
            if not unit:
                after = _UNIT_WORD_AFTER.match(text, offset + match.end())
                if after and _is_known_unit(after.group(1)):
                    unit = after.group(1)
            if position in model_names and (not unit or unit.casefold() in _SIZE_LABELS):
                continue
            kind, unit_factors = _unit_kind(unit)
            if factors == (1.0,):
                factors = unit_factors
            number = Number(
                value=value,
                text=text[position : offset + match.end()],
                position=position,
                unit=unit,
            )
            found.append(FoundNumber(number, half, kind, factors, signed, _compares(text, number)))
    return found


def numbers_in_text(text: str) -> list[Number]:
    """The numbers a text states, in order; list markers and identifiers are not numbers."""
    return [f.number for f in find_numbers(text)]


def _finite(numbers: Iterable[object]) -> list[float]:
    values = []
    for n in numbers:
        try:
            value = float(n)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(value):
            values.append(value)
    return sorted(set(values))


def _within(sorted_values: Sequence[float], low: float, high: float) -> list[float]:
    i = bisect_left(sorted_values, low)
    hits = []
    while i < len(sorted_values) and sorted_values[i] <= high:
        hits.append(sorted_values[i])
        i += 1
    return hits


def _any_within(sorted_values: Sequence[float], low: float, high: float) -> bool:
    i = bisect_left(sorted_values, low)
    return i < len(sorted_values) and sorted_values[i] <= high


def direct_sources(
    found: FoundNumber, allowed: Sequence[float], policy: GuardPolicy
) -> list[float]:
    """The allowed numbers that this number states exactly or rounded, in any of its scales."""
    w = found.number.value
    if not math.isfinite(w):
        return []  # "1" * 400 overflows to inf: a number no fact states
    sources = []
    for target in (w,) if found.signed else (w, -w):
        for factor in found.factors:
            scaled, slack = target * factor, found.half_unit * factor
            eps = 1e-9 * max(1.0, abs(scaled))
            for x in _within(allowed, scaled - slack - eps, scaled + slack + eps):
                # Written decimals state their own precision (an SD of 0.0153 shown as 0.02);
                # the relative bound is for whole numbers, where "200" must not pass for 238.
                decimals_written = found.half_unit < 0.5
                if decimals_written or abs(scaled - x) <= policy.max_rounding_error * abs(x) + eps:
                    sources.append(x)
    return sources


@dataclass(frozen=True)
class Derivations:
    """Every difference and ratio of two different operands, sorted for range lookups."""

    differences: tuple[float, ...]
    ratios: tuple[float, ...]

    def explains(self, found: FoundNumber, policy: GuardPolicy) -> bool:
        w = found.number.value
        if not math.isfinite(w):
            return False
        slack = max(found.half_unit, policy.relative_tolerance * abs(w))
        slack += 1e-9 * max(1.0, abs(w))
        if found.kind == "multiplier":
            return _any_within(self.ratios, w - slack, w + slack)
        if found.kind == "percent":
            changes = (w,) if found.signed else (w, -w)
            fractions = [1 + change / 100 for change in changes]
            if w > 0:
                fractions.append(w / 100)  # a share
            return any(
                _any_within(self.ratios, f - slack / 100, f + slack / 100) for f in fractions
            ) or _any_within(self.differences, w - slack, w + slack)
        compares = found.compares or found.signed or found.kind == "points"
        return compares and any(
            _any_within(self.differences, w * f - slack * f, w * f + slack * f)
            for f in found.factors
        )


@lru_cache(maxsize=16)
def derivations(operands: tuple[float, ...]) -> Derivations:
    """Differences and ratios of every ordered pair of distinct operands (~40,000 for 200)."""
    differences = sorted(a - b for a in operands for b in operands if a != b)
    ratios = sorted(a / b for a in operands for b in operands if a != b and b != 0)
    return Derivations(tuple(differences), tuple(ratios))


def trace(
    found_per_text: Sequence[Sequence[FoundNumber]],
    allowed_numbers: Iterable[object],
    policy: GuardPolicy,
) -> list[list[FoundNumber]]:
    """Per text, the numbers that trace to no allowed number, rounded, scaled or derived.

    Texts are traced together so that, under "cited", one text's citations serve as operands
    for another's derivations (one draft's sections).
    """
    allowed = _finite(allowed_numbers)
    cited: set[float] = set()
    pending: list[list[FoundNumber]] = []
    for found in found_per_text:
        left = []
        for item in found:
            sources = direct_sources(item, allowed, policy)
            cited.update(sources)
            if not sources:
                left.append(item)
        pending.append(left)
    if not any(pending):
        return pending
    operands = tuple(sorted(cited)) if policy.derivation_operands == "cited" else tuple(allowed)
    table = derivations(operands)
    return [[item for item in left if not table.explains(item, policy)] for left in pending]


def untraced_numbers(
    text: str, allowed_numbers: Sequence[float], policy: GuardPolicy | None = None
) -> list[Number]:
    """The numbers in `text` that trace to no allowed number (see the module docstring)."""
    policy = policy or GuardPolicy()
    (left,) = trace([find_numbers(text)], allowed_numbers, policy)
    return [item.number for item in left]
