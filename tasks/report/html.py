"""report.html: a run's Markdown reports as one self-contained page for a browser.

In: the Markdown of the reports (combined.md, then summary.md) and the PNG charts they link.
Out: one HTML string with the charts embedded (base64), a table of contents, and tables that
sort when a column's heading is clicked. Pure; `read_images` is the one function that reads.

Why from the Markdown and not from the findings: every number and word of the reports is
rendered once, by the Markdown renderers (tasks/report/render.py, findings.py, summary.py), and
checked there (bench/check_report_numbers.py). This page only changes the notation, so it can
never state a number the Markdown does not.

Safety: text from the data or a model reaches the Markdown escaped (tasks.markdown.escape), and
markdown-it-py renders it here with raw HTML off, so `<script>` or `<img onerror>` in a file name
stays text, and links with a `javascript:` target stay text. Images are only the charts handed
in, embedded; any other image becomes its caption. A Content-Security-Policy lets the page run
its own script alone (by hash) and load nothing from anywhere: it works offline, and an escape
missed upstream could still not run a script or call out.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Sort a table by a column: numbers as numbers ("1,234.5", "+12.3%", "<0.001", "72.06 (n=4)"),
# other cells as words; cells without a number after the numbers in either direction.
SORT_SCRIPT = """\
"use strict";
(() => {
  const number = (text) => {
    const plain = text.trim().replace(/^[<>+~]/, "").replace(/,/g, "");
    return /^-?\\.?\\d/.test(plain) ? parseFloat(plain) : null;
  };
  for (const table of document.querySelectorAll("table")) {
    const body = table.tBodies[0];
    const headings = Array.from(table.querySelectorAll("thead th"));
    if (!body || body.rows.length < 2) continue;
    headings.forEach((heading, column) => {
      const button = document.createElement("button");
      button.type = "button";
      button.append(...heading.childNodes);
      heading.append(button);
      button.addEventListener("click", () => {
        const ascending = heading.getAttribute("aria-sort") !== "ascending";
        headings.forEach((other) => other.removeAttribute("aria-sort"));
        heading.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const rows = Array.from(body.rows, (row) => {
          const text = row.cells[column] ? row.cells[column].textContent : "";
          return { row, text, value: number(text) };
        });
        const numeric = rows.some((r) => r.value !== null);
        rows.sort((a, b) => {
          if (numeric && (a.value === null) !== (b.value === null)) {
            return a.value === null ? 1 : -1;
          }
          const order = numeric && a.value !== null
            ? a.value - b.value
            : a.text.localeCompare(b.text, undefined, { numeric: true });
          return ascending ? order : -order;
        });
        body.append(...rows.map((r) => r.row));
      });
    });
  }
})();
"""

STYLE = """\
:root { color-scheme: light; --rule: #d0d7de; --muted: #57606a; --stripe: #f6f8fa; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
  margin: 0 auto; padding: 1.5rem 2rem 4rem; max-width: 78rem; }
h1 { font-size: 1.7rem; border-bottom: 1px solid var(--rule); padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
article + article { margin-top: 3rem; border-top: 4px double var(--rule); }
nav { background: var(--stripe); border: 1px solid var(--rule); border-radius: 6px;
  padding: .6rem 1.2rem; font-size: .92rem; }
nav ul { margin: .2rem 0; padding-left: 1.2rem; }
nav > ul { columns: 2 22rem; }
p.hint { color: var(--muted); font-size: .9rem; }
em { color: var(--muted); }
.table-wrap { overflow-x: auto; margin: .8rem 0; }
table { border-collapse: collapse; font-size: .9rem; }
th, td { border: 1px solid var(--rule); padding: .3rem .6rem; vertical-align: top; }
thead th { background: var(--stripe); text-align: left; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.right { text-align: right; font-variant-numeric: tabular-nums; }
.center { text-align: center; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0;
  cursor: pointer; color: inherit; text-align: inherit; }
th button::after { content: "\\00a0\\2195"; color: var(--muted); }
th[aria-sort="ascending"] button::after { content: "\\00a0\\25B2"; }
th[aria-sort="descending"] button::after { content: "\\00a0\\25BC"; }
img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
pre { background: var(--stripe); padding: .8rem; overflow-x: auto; white-space: pre-wrap; }
code { font-size: .88em; }
"""


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# Nothing loads from anywhere; the page's own style and script run, by hash; images only embedded.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "img-src data:",
        f"style-src {_csp_hash(STYLE)}",
        f"script-src {_csp_hash(SORT_SCRIPT)}",
        "base-uri 'none'",
        "form-action 'none'",
    ]
)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # plain text, not escaped
    anchor: str


def _parser() -> MarkdownIt:
    """CommonMark with tables; raw HTML off (rendered as text), no autolinks, no typography."""
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.add_render_rule("table_open", lambda *_: '<div class="table-wrap"><table>\n')
    parser.add_render_rule("table_close", lambda *_: "</table></div>\n")
    return parser


def _plain_text(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def _anchor(text: str, taken: set[str]) -> str:
    """A unique id for a heading: its words in lower case joined by dashes."""
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def image_sources(markdown: str) -> list[str]:
    """The image targets a Markdown document names, in order (the charts summary.md links)."""
    return [
        child.attrGet("src") or ""
        for token in _parser().parse(markdown)
        if token.type == "inline"
        for child in token.children or []
        if child.type == "image"
    ]


def read_images(markdown: str, folder: Path) -> dict[str, bytes]:
    """The PNG files the document's images name, relative to `folder`, by target as written;
    targets outside the folder, missing, or not PNG are left out (shown as their caption)."""
    found: dict[str, bytes] = {}
    root = folder.resolve()
    for source in image_sources(markdown):
        path = (folder / source).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            continue
        data = path.read_bytes()
        if data.startswith(PNG_SIGNATURE):
            found[source] = data
    return found


def _prepare(tokens: list[Token], images: Mapping[str, bytes], taken: set[str]) -> list[Heading]:
    """Give headings ids, embed the images handed in, drop any other, and turn the tables'
    inline alignment into classes (the policy allows no style attribute)."""
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            text = _plain_text(tokens[index + 1])
            anchor = _anchor(text, taken)
            token.attrSet("id", anchor)
            headings.append(Heading(int(token.tag[1]), text, anchor))
        elif token.type in ("th_open", "td_open"):
            style = str(token.attrGet("style") or "")
            token.attrs.pop("style", None)
            if style.startswith("text-align:"):
                token.attrSet("class", style.removeprefix("text-align:"))
        elif token.type == "inline":
            token.children = [_embedded(child, images) for child in token.children or []]
    return headings


def _embedded(child: Token, images: Mapping[str, bytes]) -> Token:
    if child.type != "image":
        return child
    data = images.get(str(child.attrGet("src") or ""))
    if data is None:  # not one of the charts: its caption, never a fetch
        return Token("text", "", 0, content=f"[image: {child.content}]")
    child.attrSet("src", "data:image/png;base64," + base64.b64encode(data).decode())
    return child


def _contents(documents: Sequence[list[Heading]]) -> str:
    """The table of contents: each document's title with its sections."""
    items = []
    for headings in documents:
        sections = "".join(
            f'<li><a href="#{h.anchor}">{html.escape(h.text)}</a></li>'
            for h in headings
            if h.level == 2
        )
        title = next((h for h in headings if h.level == 1), None)
        if title is not None:
            link = f'<a href="#{title.anchor}">{html.escape(title.text)}</a>'
            items.append(f"<li>{link}<ul>{sections}</ul></li>")
    return f'<nav aria-label="Contents"><strong>Contents</strong><ul>{"".join(items)}</ul></nav>'


def render_html_report(documents: Sequence[str], images: Mapping[str, bytes]) -> str:
    """One page of the Markdown documents in order, each an <article>; `images` maps an image
    target as the Markdown writes it (charts/x.png) to its PNG bytes."""
    parser = _parser()
    taken: set[str] = set()
    articles, outlines = [], []
    for markdown in documents:
        tokens = parser.parse(markdown)
        outlines.append(_prepare(tokens, images, taken))
        articles.append(
            f"<article>\n{parser.renderer.render(tokens, parser.options, {})}</article>"
        )
    title = next((h.text for h in outlines[0] if h.level == 1), "Chimera Flows report")
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(title)}</title>",
            f"<style>{STYLE}</style>",
            "</head>",
            "<body>",
            _contents(outlines),
            '<p class="hint">The same text as the Markdown reports beside this file, with the '
            "charts embedded. Click a column's heading to sort its table.</p>",
            *articles,
            f"<script>{SORT_SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )
