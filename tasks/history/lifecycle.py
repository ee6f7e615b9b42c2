"""The history's two moments in a run: read it before the analysis, append to it after publish.

`prepare_history` reads the store, places this run's measurements in their series, finds what
changed, draws a chart per changed series into the run's staging folder, and returns the
findings to rank with the others. Once the run's outputs are published, `history_events` gives
the regression events to send and `record_history` appends the run: the history never holds a
run that --out does not show. A run killed between the two
leaves its report published and the history without it; the next run of the pile then finds the
same measurements new and tells (and records) the same news.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import polars as pl

from tasks.history.events import regression_events
from tasks.history.findings import change_statement, history_findings
from tasks.history.fingerprint import history_measurements
from tasks.history.store import append_run, history_dir, read_history
from tasks.history.view import HistoryView, history_view, pile_key
from tasks.report.change_charts import write_change_charts

CHART_FOLDER = Path("reports") / "charts" / "history"


@dataclass(frozen=True)
class HistoryRun:
    location: Path  # the history store
    view: HistoryView  # its points: those of the changed series only (prepare_history)
    charts: dict[str, Path]  # series_id -> chart of its change, in the staging folder
    findings: list[dict]  # what changed, as findings to rank with the others

    @property
    def changes(self) -> pl.DataFrame:
        return self.view.changes


def run_id_for(stage: Path, flow_run_id: str | None) -> str:
    """A run id that sorts by start time and is unique across hosts: the staging folder's time
    and pid, and the flow run's id."""
    return stage.name.removeprefix("run-") + (f"-{flow_run_id[:8]}" if flow_run_id else "")


def prepare_history(
    out: Path,
    stage: Path,
    sources: list[str],
    files: pl.DataFrame,
    metrics: pl.DataFrame,
    started_at: datetime,
    flow_run: tuple[str | None, str | None] = (None, None),
    performance: pl.DataFrame | None = None,
) -> HistoryRun:
    """The history as this run sees it, with its news; `flow_run`: (id, name); `performance`:
    performance_rows(metrics) when the caller has them already."""
    location = history_dir(out)
    resolved = [str(Path(s).expanduser().resolve()) for s in sources]
    run = {
        "run_id": run_id_for(stage, flow_run[0]),
        "flow_run_id": flow_run[0],
        "flow_run_name": flow_run[1],
        "started_at": started_at,
        "host": socket.gethostname(),
        "out_dir": str(out),
        "sources": resolved,
        "pile_key": pile_key(resolved),
    }
    measurements = history_measurements(metrics, files, started_at, performance)
    view = history_view(read_history(location), measurements, run)
    changed = view.news["series_id"].unique().to_list()
    charts = write_change_charts(
        view.points.filter(pl.col("series_id").is_in(changed)),
        view.changes.filter(pl.col("series_id").is_in(changed)),
        stage / CHART_FOLDER,
    )
    found = history_findings(view)
    # The points of the series that did not change served the view alone: the run would hold
    # them (each point's values and rows) to its end, 44 MB for a 50 MB CSV's 108 points.
    view = replace(view, points=view.points.filter(pl.col("series_id").is_in(changed)))
    return HistoryRun(location, view, charts, found)


def with_finding_ids(history: HistoryRun, findings: pl.DataFrame) -> HistoryRun:
    """The run with its news changes naming the findings that state them."""
    ids = dict(
        findings.filter(pl.col("kind").is_in(["regression", "improvement"]))
        .select("statement", "finding_id")
        .iter_rows()
    )
    statements = [change_statement(c) if c["new"] else None
                  for c in history.changes.iter_rows(named=True)]  # fmt: skip
    changes = history.changes.with_columns(
        pl.Series("finding_id", [ids.get(s) if s else None for s in statements], pl.Utf8)
    )
    return replace(history, view=replace(history.view, changes=changes))


def history_events(history: HistoryRun, report: str | None) -> list[dict]:
    """The `chimera.regression.detected` events of the regressions this run brings (none when
    it re-tells an earlier run's news)."""
    view = history.view
    if not view.brings_news:
        return []
    return regression_events(view.changes, view.run["out_dir"], report)


def record_history(history: HistoryRun, findings: pl.DataFrame) -> int:
    """Append the published run to the history (call it after the events are sent: a run killed
    in between sends them again on its re-run, under the same ids); the measurements added."""
    view = history.view
    told = view.news if view.brings_news else view.news.head(0)
    return append_run(history.location, view.run, view.measurements, findings, told,
                      view.present)  # fmt: skip
