"""Markdown and numbers as every report writes them: the one module for both.

Text from the data or a model (file names, model names, error messages, model-written words)
reaches the reports and the Prefect artifacts. Backslash escapes (valid CommonMark for any ASCII
punctuation) keep a pipe from breaking a table, a backtick from opening code, brackets from making
a link and angle brackets from making HTML (`<script>`, `<img onerror>`), while the raw .md stays
readable: underscores and asterisks are left alone, so `q4_0` reads as written.

Numbers: each distinct way the reports write a number is one function here, named for how it
differs from the others. bench/check_report_numbers.py traces every number a report states to the
tables, so a format changes only on purpose, here, for every renderer at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

_ESCAPED = str.maketrans({ch: "\\" + ch for ch in "\\`[]<>|"})


def escape(text: object) -> str:
    """The text with Markdown's link, code, HTML and table syntax escaped, on one line."""
    if text is None:
        return ""
    return " ".join(str(text).split()).translate(_ESCAPED)


def table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A Markdown table of escaped cells; `align` holds "l" or "r" per column (default "l")."""
    rules = ["---:" if a == "r" else "---" for a in align.ljust(len(header), "l")]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rules) + "|"]
    lines += ["| " + " | ".join(escape(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


# --- numbers ----------------------------------------------------------------------------------


def fixed_number(value: float | int | None, digits: int = 2) -> str:
    """Always `digits` decimals unless whole: 1,234.50, 1,234, 0.25; "n/a" for a missing value.
    Report tables and timings."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


def adaptive_number(value: float) -> str:
    """Fewer decimals as the number grows: 2 below 100, 1 from 100 (1,234.5, 12.35), none when
    whole. Statements about the findings, and the levels and medians they cite."""
    return fixed_number(value, _adaptive_digits(value))


def _adaptive_digits(value: float) -> int:
    return 1 if abs(value) >= 100 else 2


def number_range(low: float, high: float) -> str:
    """ "low to high", each as adaptive_number writes it, with more decimals (up to three more)
    where two different values would read the same: "102.06 to 102.14", not "102.1 to 102.1"."""
    for extra in range(4):
        a = fixed_number(low, _adaptive_digits(low) + extra)
        b = fixed_number(high, _adaptive_digits(high) + extra)
        if float(a.replace(",", "")) != float(b.replace(",", "")) or low == high:
            break
    return f"{a} to {b}"


def one_decimal(value: float) -> str:
    """One decimal even when whole (12.0, 1,234.5): the percentages statements write."""
    return f"{value:,.1f}"


def signed_percent(value: float) -> str:
    """A change in percent with its sign and one decimal: +12.3%, -0.5%."""
    return f"{value:+.1f}%"


def p_value(p: float) -> str:
    """A p-value in a sentence: "p<0.001" or "p=0.123"."""
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def p_value_cell(p: float | None) -> str:
    """A p-value in a table's "p" column: "<0.001" or "0.123"; empty when there is none."""
    if p is None:
        return ""
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def axis_number(value: float, _position: int | None = None) -> str:
    """A chart axis tick (a matplotlib FuncFormatter): whole with separators from 10 or at 0
    (1,500), else as short as exact (2.5, 0.25)."""
    return f"{value:,.0f}" if abs(value) >= 10 or value == 0 else f"{value:g}"


def short_names(paths: Iterable[str]) -> dict[str, str]:
    """Each path by its file name, with as many of its folders before it as tell it apart from
    the other paths' ("20251002-151824/prompt_suite_runs.csv" where five runs wrote
    prompt_suite_runs.csv): a report names a file the reader can find."""
    unique = list(dict.fromkeys(paths))
    parts = {path: path.split("/") for path in unique}
    depth = dict.fromkeys(unique, 1)
    while True:
        named: dict[str, list[str]] = {}
        for path in unique:
            named.setdefault("/".join(parts[path][-depth[path] :]), []).append(path)
        clashes = [group for group in named.values() if len(group) > 1]
        grown = False
        for group in clashes:
            for path in group:
                if depth[path] < len(parts[path]):
                    depth[path] += 1
                    grown = True
        if not grown:
            return {path: "/".join(parts[path][-depth[path] :]) for path in unique}
