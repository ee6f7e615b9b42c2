"""Prefect artifacts of a run: the summary as Markdown, the A/B and data-quality tables, and
links to the Parquet tables and reports (the Markdown and report.html), so the UI shows what the
run produced.

In: the output folder, summary.md's text, the agent_calls and expectation frames. Out: artifacts
on the current flow run (this must be called inside one).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)

from tasks.report.layout import HTML_REPORT
from tasks.tables import TABLES

AB_COLUMNS = ("run", "agent", "model", "options", "tokens_per_s", "ttft_ms", "total_ms", "attempt")


def ab_rows(calls: pl.DataFrame) -> list[dict]:
    """Each agent's final call per run: the figures the reports compare."""
    final = calls.sort("attempt").group_by("run", "agent", maintain_order=True).last()
    return final.sort("run", "agent").select(AB_COLUMNS).to_dicts()


def publish_artifacts(
    out: Path, summary: str, calls: pl.DataFrame, expectations: pl.DataFrame
) -> None:
    create_markdown_artifact(summary, key="benchmark-summary", description="Summary over runs")
    create_table_artifact(ab_rows(calls), key="agent-ab", description="Agent A against agent B")
    create_table_artifact(
        expectations.to_dicts(),
        key="data-quality",
        description="Great Expectations results per expectation",
    )
    for name, table in TABLES.items():
        create_link_artifact(
            table.path(out).as_uri(),
            link_text=f"{name}.parquet",
            key=f"table-{name.replace('_', '-')}",
            description=table.about,
        )
    for report in sorted((out / "reports").rglob("*.md")):
        relative = report.relative_to(out / "reports").with_suffix("").as_posix()
        create_link_artifact(report.as_uri(), link_text=report.name, key=report_key(relative))
    for page in sorted((out / "reports").rglob(HTML_REPORT)):
        relative = page.relative_to(out / "reports").as_posix()  # report.html, run-2/report.html
        create_link_artifact(
            page.as_uri(),
            link_text=relative,
            key=report_key(relative),
            description="The report and the summary in one page, charts embedded: open it in a "
            "browser",
        )


def report_key(relative: str) -> str:
    """An artifact key for a report's path under reports/: lower case, other characters as
    dashes (combined -> report-combined, run-2/report.html -> report-run-2-report-html)."""
    return "report-" + "".join(c if c.isalnum() else "-" for c in relative.lower())
