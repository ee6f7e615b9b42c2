"""report.html renders the reports' Markdown: safe with hostile names, charts embedded."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tasks.facts import compute_findings
from tasks.facts.measurements import coverage_matrix, performance_rows
from tasks.report.charts import plot_agent_calls_over_runs
from tasks.report.findings import render_coverage_matrix, render_findings, render_top_findings
from tasks.report.html import read_images, render_html_report
from tasks.report.summary import CHART_CAPTIONS, chart_links
from tasks.schemas import AGENT_CALLS, empty
from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame

HOSTILE_MODEL = "<img src=x onerror=alert(1)>"
HOSTILE_FILE = "a/<svg onload=alert(2)>[x](javascript:alert(3)).csv"


class _Elements(HTMLParser):
    """Every element of a page with its attributes, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _elements(page: str) -> _Elements:
    parsed = _Elements()
    parsed.feed(page)
    return parsed


def _hostile_report() -> str:
    """The findings sections as the Markdown renderers write them for hostile names."""
    metrics = metrics_frame(
        [
            *metric_rows(HOSTILE_FILE, HOSTILE_MODEL, [10.0, 11.0, 12.0]),
            *metric_rows("a/y.csv", "m|[link](http://evil)`", [20.0, 21.0, 22.0]),
        ]
    )
    findings = compute_findings(files_frame(metrics), metrics)
    return "\n".join(
        [
            "# Chimera Flows report, run 1",
            "",
            render_top_findings(findings),
            render_coverage_matrix(coverage_matrix(performance_rows(metrics))),
            render_findings(findings),
        ]
    )


@pytest.fixture(scope="module")
def chart(tmp_path_factory) -> tuple[Path, Path]:
    """A real chart PNG and the reports folder it sits in."""
    reports = tmp_path_factory.mktemp("reports")
    path = plot_agent_calls_over_runs(empty(AGENT_CALLS), reports / "charts" / "calls.png")
    return reports, path


def test_names_from_the_data_stay_text_no_script_image_or_link_of_theirs():
    page = render_html_report([_hostile_report()], {})
    parsed = _elements(page)

    images = [attrs for tag, attrs in parsed.elements if tag == "img"]
    links = [attrs["href"] for tag, attrs in parsed.elements if tag == "a"]
    assert images == [] and all(str(href).startswith("#") for href in links)  # contents only
    assert len(parsed.scripts) == 1 and "alert" not in parsed.scripts[0]  # only the sort script
    assert not [name for _, attrs in parsed.elements for name in attrs if name.startswith("on")]
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;svg onload=alert(2)&gt;[x](javascript:alert(3)).csv" in page
    assert "m|[link](http://evil)`" in page  # a pipe in a cell did not split the row


def test_raw_html_and_script_links_written_in_markdown_are_not_rendered():
    markdown = "# R\n\n<script>alert(1)</script>\n\n[click](javascript:alert(1)) <b onclick=x>b</b>"

    parsed = _elements(render_html_report([markdown], {}))

    assert [tag for tag, _ in parsed.elements if tag in ("b", "a", "script")] == ["a", "script"]
    assert [attrs["href"] for tag, attrs in parsed.elements if tag == "a"] == ["#r"]  # contents


def test_the_findings_heading_leads_with_an_anchor_in_the_contents():
    page = render_html_report([_hostile_report()], {})

    assert '<h2 id="top-findings">Top findings</h2>' in page
    assert '<a href="#top-findings">Top findings</a>' in page
    assert "<title>Chimera Flows report, run 1</title>" in page


def test_charts_are_embedded_as_png_and_nothing_else_is_loaded(chart):
    reports, path = chart
    summary = "# Summary\n\n" + chart_links({"agent_calls_over_runs": path}, report_dir=reports)

    page = render_html_report([summary], read_images(summary, reports))

    [(_, image)] = [(t, a) for t, a in _elements(page).elements if t == "img"]
    assert image["src"] == "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()
    assert image["alt"] == CHART_CAPTIONS["agent_calls_over_runs"]


def test_an_image_that_is_not_a_chart_handed_in_shows_its_caption(chart, tmp_path):
    reports, _ = chart
    (tmp_path / "outside.png").write_bytes((reports / "charts" / "calls.png").read_bytes())
    (reports / "not-a-png.png").write_text("<svg onload=alert(1)>")
    markdown = (
        f"# R\n\n![outside]({tmp_path / 'outside.png'}) ![up](../outside.png) "
        "![fake](not-a-png.png) ![remote](http://example.com/x.png)"
    )

    images = read_images(markdown, reports)
    page = render_html_report([markdown], images)

    assert images == {}
    assert "<img" not in page.split("<body>")[1]
    assert "[image: remote]" in page and "[image: fake]" in page


def test_tables_align_by_class_and_the_policy_runs_only_the_page_own_script():
    markdown = "# R\n\n| Model | Runs |\n|---|---:|\n| a | 1,234.5 |\n| b | 2 |\n"

    page = render_html_report([markdown], {})
    parsed = _elements(page)

    assert [a.get("class") for t, a in parsed.elements if t in ("th", "td")] == [
        None,
        "right",
        None,
        "right",
        None,
        "right",
    ]
    assert not [a for _, a in parsed.elements if "style" in a]
    [policy] = [a["content"] for t, a in parsed.elements if a.get("http-equiv")]
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy
    assert re.search(r"img-src data:(;|$)", policy)


def test_headings_of_the_same_name_get_their_own_anchor():
    page = render_html_report(["# A\n\n## Method\n", "# B\n\n## Method\n"], {})

    assert 'id="method"' in page and 'id="method-2"' in page
