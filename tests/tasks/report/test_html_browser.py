"""report.html in headless Chromium: the findings, a table and the charts render, a table sorts
by its heading, and hostile names run nothing. The report comes from one real run of the flow
on the sample corpus, its agents answered from recorded replies (`--backend replay`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.benchmark_report import benchmark_report
from tasks.markdown import escape, table
from tasks.report.html import render_html_report
from tasks.samples.corpus import write_sample_corpus
from tests import browser

RECORDING = Path(__file__).parents[2] / "fixtures" / "sample_replies.jsonl"


@pytest.fixture(scope="module")
def report_html(tmp_path_factory, prefect_server) -> Path:
    """reports/report.html of a real run."""
    folder = tmp_path_factory.mktemp("html-report")
    write_sample_corpus(folder / "bench")
    benchmark_report(
        sources=[str(folder / "bench")],
        out_dir=str(folder / "out"),
        backend="replay",
        model=str(RECORDING),
    )
    return folder / "out" / "reports" / "report.html"


def _column(page, section: str, heading: str) -> list[str]:
    cells = page.locator(f"h2#{section} ~ .table-wrap").first.locator("tbody tr").all()
    column = page.locator(f"h2#{section} ~ .table-wrap").first.locator("thead th")
    index = [text.strip() for text in column.all_inner_texts()].index(heading)
    return [row.locator("td").nth(index).inner_text().strip() for row in cells]


def test_the_report_shows_its_findings_tables_and_charts(report_html):
    errors: list[str] = []
    with browser.chromium_page() as page:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(report_html.as_uri())

        heading = page.locator("h2", has_text="Top findings")
        assert heading.is_visible()
        assert page.locator("h2#top-findings + p + ol > li").count() > 0  # the findings listed
        assert page.locator("table").count() > 0 and page.locator("table").first.is_visible()
        widths = page.eval_on_selector_all("img", "images => images.map(i => i.naturalWidth)")
        assert len(widths) >= 1 and all(width > 0 for width in widths)  # decoded, embedded
        page.screenshot(path=browser.screenshot_dir() / "report_html_top.png")
        page.locator("h2#charts").evaluate("heading => heading.scrollIntoView()")
        page.screenshot(path=browser.screenshot_dir() / "report_html_chart.png")

    assert errors == []  # no script error, nothing the page's policy had to block


def test_clicking_a_column_heading_sorts_its_table(report_html):
    with browser.chromium_page() as page:
        page.goto(report_html.as_uri())
        before = _column(page, "coverage-matrix", "Configurations")
        button = page.locator("h2#coverage-matrix ~ .table-wrap").first.get_by_role(
            "button", name="Configurations"
        )

        button.click()
        ascending = _column(page, "coverage-matrix", "Configurations")
        button.click()
        descending = _column(page, "coverage-matrix", "Configurations")
        page.locator("h2#coverage-matrix").scroll_into_view_if_needed()
        page.screenshot(path=browser.screenshot_dir() / "report_html_sorted.png")

    numbers = sorted(before, key=lambda cell: float(cell.replace(",", "")))
    assert len(set(before)) > 1
    assert ascending == numbers and descending == numbers[::-1]  # as numbers: 10 after 9
    assert before != ascending or before != descending  # the order changed


def test_the_report_is_a_link_artifact_of_the_run(report_html):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["report-report-html"]))
        )

    # One per run that published a report.html (other tests' runs too); this run's among them.
    assert f"[{report_html.name}]({report_html.as_uri()})" in [a.data for a in artifacts]


def test_hostile_names_render_as_text_and_run_nothing(tmp_path):
    names = ["<img src=x onerror=window.__pwned=1>", "<script>window.__pwned=2</script>"]
    markdown = "# Report\n\n## Top findings\n\n" + table(("Model", "n"), [(n, 1) for n in names])
    markdown += f"\n\n1. {escape('[x](javascript:window.__pwned=3)')} (F001)\n"
    path = tmp_path / "report.html"
    path.write_text(render_html_report([markdown], {}), encoding="utf-8")

    with browser.chromium_page() as page:
        dialogs: list[str] = []
        page.on("dialog", lambda d: dialogs.append(d.message))
        page.goto(path.as_uri())
        page.get_by_role("button", name="Model").click()
        shown = page.locator("tbody").inner_text()
        pwned = page.evaluate("window.__pwned")
        links = page.eval_on_selector_all("article a", "links => links.length")

    assert all(name in shown for name in names)  # as text, exactly as written
    assert pwned is None and dialogs == [] and links == 0
