"""Text from the data or a model, made safe to put into Markdown.

File names, model names, error messages and model-written words reach the reports and the
Prefect artifacts. Backslash escapes (valid CommonMark for any ASCII punctuation) keep a pipe
from breaking a table, a backtick from opening code, brackets from making a link and angle
brackets from making HTML (`<script>`, `<img onerror>`), while the raw .md stays readable:
underscores and asterisks are left alone, so `q4_0` reads as written.
"""

from __future__ import annotations

from collections.abc import Sequence

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
