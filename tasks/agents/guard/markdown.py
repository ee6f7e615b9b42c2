"""Section names, and findings that are sentences rather than heading fragments.

In: section names or one section's Markdown. Out: normalised names, and (offending text, why)
pairs for items that are not findings.

The fragment heuristic, per place:
- List items ("- ", "* ", "+ ", "1. ", "2) "): rejected when the item ends with an unclosed "**"
  ("Key Performance Findings**"), is a bold label alone ("**Key Findings**", "**Risks:**"), ends
  with ":" (a lead-in, not a finding), has fewer than `min_words` words, or is a Title Case phrase
  without a verb-ish word ("Key Performance Findings For Small Models"). Verb-ish: a form of be,
  have, do, a modal, a common report verb, or a word ending in "ed".
- Table cells (risk/mitigation tables are welcome): labels are legitimate there ("High",
  "Context overflow"), so a cell is rejected only for an unclosed "**" or a trailing ":"; the
  header row above a |---| separator is not checked.
- Any other line: rejected only when it ends with an unclosed "**".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_LIST_ITEM = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:[-*+•]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(.*)$")
_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$")
_TABLE_SEPARATOR = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_BOLD_LABEL = re.compile(r"(?:\*\*|__)[^*_]+(?:\*\*|__):?")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_WORD = re.compile(r"[^\W_](?:[\w'’./:-]*[^\W_])?")

_SMALL_WORDS = {
    "a", "an", "the", "and", "or", "nor", "but", "of", "for", "to", "in", "on", "at", "by",
    "with", "without", "vs", "via", "per", "from", "as", "into", "over", "under", "than",
}  # fmt: skip
_VERBS = {
    "is", "are", "was", "were", "be", "been", "being", "am", "isn't", "aren't", "wasn't",
    "has", "have", "had", "do", "does", "did", "can", "could", "should", "would", "will",
    "may", "might", "must", "shall", "use", "uses", "run", "runs", "ran", "keep", "keeps",
    "set", "sets", "add", "adds", "cap", "caps", "limit", "limits", "avoid", "avoids",
    "prefer", "prefers", "consider", "monitor", "track", "tracks", "test", "measure",
    "reduce", "reduces", "increase", "increases", "improve", "improves", "enable", "disable",
    "switch", "choose", "pick", "adopt", "move", "tune", "lower", "lowers", "raise", "raises",
    "reach", "reaches", "achieve", "achieves", "show", "shows", "outperform", "outperforms",
    "beat", "beats", "lead", "leads", "drop", "drops", "fall", "falls", "rise", "rises",
    "exceed", "exceeds", "remain", "remains", "stay", "stays", "need", "needs", "require",
    "requires", "take", "takes", "make", "makes", "cause", "causes", "fail", "fails",
    "hold", "holds", "cover", "covers", "lack", "lacks", "miss", "misses", "sit", "sits",
    "deliver", "delivers", "offer", "offers", "give", "gives", "gets", "get", "stop",
    "start", "ensure", "check", "verify", "validate", "rerun", "retry", "collect", "batch",
    "cache", "scale", "deploy", "replace", "compare", "benchmark", "document", "investigate",
}  # fmt: skip


def normalize_section_name(name: object) -> str:
    """Casefolded, "_" and "-" read as spaces: "Executive_Summary" is "executive summary"."""
    return " ".join(re.sub(r"[_\-]+", " ", str(name)).casefold().split())


def is_effectively_empty(text: str) -> bool:
    """No letter or digit at all: whitespace and Markdown punctuation only."""
    return re.search(r"[^\W_]", text) is None


def _unclosed_bold_at_end(text: str) -> bool:
    return text.endswith("**") and text.count("**") % 2 == 1


def _plain(text: str) -> str:
    text = _LINK.sub(r"\1", text)
    return re.sub(r"[*_`]+", " ", text)


def _is_title_case_without_verb(words: list[str]) -> bool:
    content = [w for w in words if w.casefold() not in _SMALL_WORDS and w[0].isalpha()]
    if len(content) < 2 or not all(w[0].isupper() for w in content):
        return False
    lowered = [w.casefold() for w in words]
    return not any(w in _VERBS or (len(w) > 4 and w.endswith("ed")) for w in lowered)


def item_problem(item: str, min_words: int) -> str | None:
    """Why a list item is a heading fragment rather than a finding, or None."""
    item = item.strip()
    if _unclosed_bold_at_end(item):
        return "ends with an unclosed **"
    if _BOLD_LABEL.fullmatch(item):
        return "is a bold label alone"
    if item.rstrip("*_ \t").endswith(":"):
        return "ends with ':'"
    words = _WORD.findall(_plain(item))
    if len(words) < min_words:
        return f"has {len(words)} word{'s' * (len(words) != 1)}, fewer than {min_words}"
    if _is_title_case_without_verb(words):
        return "is a Title Case phrase without a verb"
    return None


def cell_problem(cell: str) -> str | None:
    """Why a table cell is a heading fragment, or None; short labels are fine in cells."""
    cell = cell.strip()
    if _unclosed_bold_at_end(cell):
        return "ends with an unclosed **"
    if cell.rstrip("*_ \t").endswith(":"):
        return "ends with ':'"
    return None


def _cells(row: str) -> list[str]:
    row = row.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row)]


def _table_rows(lines: list[str]) -> Iterator[tuple[int, bool]]:
    """(line index, is header) for every table row: lines starting with "|", or a block
    of "|" lines around a |---| separator."""
    in_table = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _TABLE_SEPARATOR.match(line) and "|" in line:
            in_table = True
            continue
        is_header = (
            "|" in stripped
            and i + 1 < len(lines)
            and _TABLE_SEPARATOR.match(lines[i + 1]) is not None
            and "|" in lines[i + 1]
        )
        if stripped.startswith("|") or (in_table and "|" in stripped) or is_header:
            yield i, is_header
            in_table = True
        else:
            in_table = False


def fragment_problems(text: str, min_words: int) -> list[tuple[str, str]]:
    """List items, table cells and lines that are heading fragments, with why."""
    lines = text.splitlines()
    problems: list[tuple[str, str]] = []
    table = dict(_table_rows(lines))
    for i, line in enumerate(lines):
        if i in table:
            if not table[i]:
                for cell in _cells(line):
                    why = cell_problem(cell)
                    if why:
                        problems.append((f"table cell {why}", cell))
            continue
        if _TABLE_SEPARATOR.match(line) and "|" in line:
            continue
        item = _LIST_ITEM.match(line)
        if item and not _RULE.match(line):
            why = item_problem(item.group(1), min_words)
            if why:
                problems.append((f"list item {why}, not a finding", item.group(1).strip()))
        elif _unclosed_bold_at_end(line.strip()):
            problems.append(("line ends with an unclosed **, a heading fragment", line.strip()))
    return problems
