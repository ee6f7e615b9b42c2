"""'## What changed since the last run': the history's findings as combined.md shows them.

In: the FINDINGS table (its regression, improvement, new and removed configuration rows, made by
tasks.history.findings), the SERIES and CHANGES tables and the charts of the changed series. Out:
Markdown, near the top of the combined report. Nothing is computed here: each line is a
finding's statement with its id, each chart one drawn from the same change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from tasks.markdown import escape

CHANGE_KINDS = ("regression", "improvement")
CONFIGURATION_KINDS = ("new_configuration", "removed_configuration")


@dataclass(frozen=True)
class ChangesContext:
    """What the section says about the run beside its findings."""

    brings_news: bool  # this run added the measurements it reports
    first_of_pile: bool  # no earlier run of these sources in the history
    series: pl.DataFrame  # SERIES of the run's sources
    changes: pl.DataFrame  # CHANGES, `finding_id` set on the news
    charts: dict[str, Path]  # series_id -> chart of its change
    history: str  # where the history lives, as the reader should look for it


def _chart_link(path: Path, report_folder: Path, label: str) -> str:
    relative = os.path.relpath(path, report_folder)
    return f"![{escape(label)}]({Path(relative).as_posix()})"


def render_what_changed(
    findings: pl.DataFrame, context: ChangesContext, report_folder: Path
) -> str:
    """The section for a report written in `report_folder` (chart links are relative to it)."""
    parts = [
        "## What changed since the last run",
        "",
        "_Computed by code from the run history (each run's measurements by series: model, "
        "options, settings and metric, ordered by the data's own time). Change points: "
        "E-divisive (Apache Otava) over the runs, and a t-test of the latest run against the "
        "runs before it; a series too noisy to call is marked unstable, not alerted. Every "
        "series and change point is in tables/series.parquet and tables/changes.parquet, the "
        f"history in {escape(context.history)}._",
        "",
    ]
    series = context.series
    dated = series.filter(pl.col("points") > 1)
    if context.first_of_pile:
        parts += [
            f"The first run of these sources in the history: {series.height:,} series start "
            f"here, {dated.height:,} of them with several runs in the files.",
            "",
        ]
    elif not context.brings_news:
        parts += [
            "No new measurements since the last run: the changes below are those the latest "
            "new measurements brought.",
            "",
        ]
    ranked = findings.sort("rank")
    changed = ranked.filter(pl.col("kind").is_in(CHANGE_KINDS))
    configurations = ranked.filter(pl.col("kind").is_in(CONFIGURATION_KINDS))
    by_finding = dict(
        context.changes.filter(pl.col("finding_id").is_not_null())
        .select("finding_id", "series_id")
        .iter_rows()
    )
    for row in changed.iter_rows(named=True):
        parts += [f"- {escape(row['statement'])} ({row['finding_id']})"]
        chart = context.charts.get(by_finding.get(row["finding_id"], ""))
        if chart is not None:
            label = f"{row['model']} {row['metric']} over time, change marked"
            parts += ["", f"  {_chart_link(chart, report_folder, label)}", ""]
    parts += [f"- {escape(s)} ({i})" for i, s in configurations.select("finding_id", "statement")
              .iter_rows()]  # fmt: skip
    if changed.is_empty() and configurations.is_empty():
        parts += [
            "No regression or improvement among the runs the files hold; new and removed "
            "configurations are told from the next run on."
            if context.first_of_pile
            else "No regression, improvement, new or removed configuration."
        ]
    unstable = series.filter(pl.col("status") == "unstable").height
    if unstable:
        parts += [
            "",
            f"{unstable:,} of {series.height:,} series are unstable (their runs or repetitions "
            "scatter too much to call a change); `chimera history` lists them.",
        ]
    return "\n".join([*parts, ""])
