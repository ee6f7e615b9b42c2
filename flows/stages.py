"""The stages of benchmark-report after parsing, each a Prefect task the UI shows with its time.

Each stage composes pure functions of tasks/ (analysis, rendering, writing) and returns what the
next one needs; the flow (flows/benchmark_report.py) is the recipe that calls them in order.
Everything is written into the run's staging folder; `publish` makes it the published run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.agent_analysis import AgentPair
from tasks.agents.concurrency import measured_concurrency
from tasks.crash_points import crash_point
from tasks.facts import compute_findings
from tasks.facts.measurements import coverage_matrix, performance_rows
from tasks.history.events import emit_regression_events
from tasks.history.lifecycle import (
    HistoryRun,
    history_events,
    prepare_history,
    record_history,
    with_finding_ids,
)
from tasks.history.store import HistoryError
from tasks.lineage.record import record_lineage
from tasks.out_dir import commit_run
from tasks.progress import report_progress, tick
from tasks.report.artifacts import publish_artifacts
from tasks.report.changes import ChangesContext, render_what_changed
from tasks.report.charts import write_charts
from tasks.report.findings import render_coverage_matrix, render_findings, render_top_findings
from tasks.report.html import read_images, render_html_report
from tasks.report.layout import COMBINED_REPORT, HTML_REPORT, report_folder
from tasks.report.quality_summary import render_quality_summary
from tasks.report.render import RunContext, render_agent_report, render_combined_report
from tasks.report.summary import render_summary
from tasks.schemas import conform
from tasks.tables import (
    AGENT_CALLS_TABLE,
    CHANGES_TABLE,
    CLAIMS_TABLE,
    FILES_TABLE,
    FINDINGS_TABLE,
    METRICS_TABLE,
    QUARANTINE_TABLE,
    SERIES_TABLE,
    content_hash,
    write_table,
    write_text,
)
from tasks.validate import ValidationResult, validate_files, validate_findings


@dataclass(frozen=True)
class Analysis:
    findings: pl.DataFrame  # tasks.schemas.FINDINGS
    top_findings: str  # Markdown sections every report shares
    coverage: str
    detail: str
    quality_summary: str
    history: HistoryRun | None = None  # what changed since the last run, and the history's view

    def what_changed(self, report_folder: Path) -> str:
        """'## What changed since the last run' for a report in `report_folder`."""
        if self.history is None:
            return ""
        view = self.history.view
        context = ChangesContext(
            brings_news=view.brings_news,
            first_of_pile=view.first_of_pile,
            series=view.series,
            changes=view.changes,
            charts=self.history.charts,
            history=str(self.history.location),
        )
        return render_what_changed(self.findings, context, report_folder)


@dataclass
class AgentRuns:
    """What the runs of the agents left, for the tables and the summary."""

    calls: list[dict]
    claims: list[dict]
    reports: list[str]  # combined.md of each run, at its published path

    def add(self, run: int, scenario: str, pair: AgentPair) -> None:
        """One run's model calls and claims, tagged with the run and scenario."""
        for result in (pair.a, pair.b):
            self.calls += [{"run": run, "scenario": scenario, **call} for call in result.calls]
            self.claims += [
                {"run": run, "scenario": scenario, **claim} for claim in result.claim_rows()
            ]


@task(name="measurements", cache_policy=NO_CACHE)
def select_measurements(metrics: pl.DataFrame) -> pl.DataFrame:
    """The rows every analysis counts (tasks.facts.measurements.performance_rows) of the
    validated METRICS rows, worked out once for the history, the findings, the coverage matrix
    and the charts. Each worked them out for itself, five times a run: on a 50 MB CSV (1.3
    million of them) each time took about 1 s and 0.55 GB at its peak."""
    return performance_rows(metrics)


@task(name="history", cache_policy=NO_CACHE)
def read_run_history(
    out: Path,
    stage: Path,
    sources: list[str],
    files: pl.DataFrame,
    validation: ValidationResult,
    performance: pl.DataFrame,
) -> HistoryRun:
    """This run's measurements placed in their series over the run history, what changed since
    the last run, and a chart per changed series (tasks.history)."""
    from prefect.runtime import flow_run

    history = prepare_history(
        out,
        stage,
        sources,
        files,
        validation.metrics,
        datetime.now(UTC),
        (flow_run.id, flow_run.name),
        performance,
    )
    view = history.view
    get_run_logger().info(
        "history %s: %d series, %d with news (%s run's), %d unstable",
        history.location,
        view.series.height,
        view.news["series_id"].n_unique(),
        "this" if view.brings_news else "the last",
        view.series.filter(pl.col("status") == "unstable").height,
    )
    return history


@task(name="analyse", cache_policy=NO_CACHE)
def analyse(
    files: pl.DataFrame,
    validation: ValidationResult,
    performance: pl.DataFrame,
    history: HistoryRun | None = None,
) -> Analysis:
    """The findings (with what changed since the last run), their renderings, and the files and
    findings suites; `performance`: select_measurements' rows."""
    tick("findings", 0, 1, "findings: analysing %s measurements", f"{validation.metrics.height:,}")
    extra = history.findings if history is not None else []
    finding_table = compute_findings(files, validation.metrics, extra, performance=performance)
    history = with_finding_ids(history, finding_table) if history is not None else None
    checks = pl.concat([validate_files(files), validate_findings(finding_table)])
    report_progress("findings", 1, 1, "findings: %d findings, ranked", finding_table.height)
    return Analysis(
        findings=finding_table,
        top_findings=render_top_findings(finding_table),
        coverage=render_coverage_matrix(coverage_matrix(performance)),
        detail=render_findings(finding_table),
        quality_summary=render_quality_summary(validation, files, checks),
        history=history,
    )


# What the findings and the quality summary read of the metric rows (statuses per file and
# record, failed records' errors): all the run holds of them once metrics.parquet is written.
COUNTED_COLUMNS = ("source_path", "locator", "metric", "status", "error", "success")


@task(name="write-metrics", cache_policy=NO_CACHE)
def write_metric_tables(
    stage: Path, files: pl.DataFrame, validation: ValidationResult
) -> ValidationResult:
    """files.parquet and metrics.parquet, as soon as the rows are validated; returns
    `validation` with the COUNTED_COLUMNS of its rows alone. Once the measurements are taken
    (select_measurements), the rest of the run reads them and these counts; the whole table of
    a 50 MB CSV (3.8 million rows, about 470 MB) was held to the run's end."""
    crash_point("parsed")
    write_table(files, FILES_TABLE.path(stage))
    crash_point("between-tables")
    write_table(validation.metrics, METRICS_TABLE.path(stage))
    return replace(validation, metrics=validation.metrics.select(COUNTED_COLUMNS))


@task(name="write-tables", cache_policy=NO_CACHE)
def write_tables(stage: Path, validation: ValidationResult, analysis: Analysis) -> str:
    """The analysis's tables and the quality results (after write_metric_tables); returns the
    note by which reports name the tables."""
    for table, frame in (
        (QUARANTINE_TABLE, validation.quarantine),
        (FINDINGS_TABLE, analysis.findings),
        *_history_tables(analysis),
    ):
        write_table(frame, table.path(stage))
    write_text(
        json.dumps(validation.ge_results, indent=2, default=str),
        stage / "quality" / "ge_results.json",
    )
    write_text(analysis.quality_summary, stage / "quality" / "data_quality.md")
    note = _tables_note(stage)
    crash_point("tables-written")
    return note


def _history_tables(analysis: Analysis) -> list[tuple]:
    if analysis.history is None:
        return [(t, pl.DataFrame(schema=t.schema)) for t in (SERIES_TABLE, CHANGES_TABLE)]
    view = analysis.history.view
    return [(SERIES_TABLE, view.series), (CHANGES_TABLE, view.changes)]


def _tables_note(stage: Path) -> str:
    """What a report names its tables by: this flow run, the time, the tables' content hashes."""
    from prefect.runtime import flow_run

    hashes = ", ".join(
        f"{table.name}.parquet sha256 {content_hash(table.path(stage))[:12]}"
        for table in (METRICS_TABLE, FINDINGS_TABLE)
    )
    written = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"written by flow run {flow_run.name} at {written}; {hashes}"


@task(name="write-reports", cache_policy=NO_CACHE)
def write_reports(
    stage: Path, out: Path, runs: int, pair: AgentPair, context: RunContext, analysis: Analysis
) -> str:
    """One run's agent_a.md, agent_b.md and combined.md (also an artifact); the published path
    of combined.md."""
    folder = report_folder(stage / "reports", context.run, runs)
    combined = render_combined_report(
        pair.a,
        pair.b,
        context,
        analysis.quality_summary,
        analysis.top_findings,
        analysis.coverage,
        analysis.detail,
        what_changed=analysis.what_changed(folder),
    )
    write_text(render_agent_report(pair.a, context, analysis.coverage), folder / "agent_a.md")
    write_text(render_agent_report(pair.b, context), folder / "agent_b.md")
    write_text(combined, folder / "combined.md")
    create_markdown_artifact(
        combined,
        key="benchmark-report",
        description=f"Combined report, run {context.run} ({context.scenario})",
    )
    report_progress(
        "runs",
        context.run,
        runs,
        "run %d of %d: reports in %s (claims published: A %d, B %d)",
        context.run,
        runs,
        out / folder.relative_to(stage),
        sum(map(len, pair.a.claims.values())),
        sum(map(len, pair.b.claims.values())),
        unit="runs",
    )
    logger = get_run_logger()
    concurrency = measured_concurrency(pair.concurrent_wall_ms, pair.sequential_wall_ms)
    if concurrency is not None:
        logger.info(
            "run %d: A and B together %.2fx as fast as one after the other "
            "(efficiency %.0f%%, contention: %s)",
            context.run,
            concurrency.speedup,
            concurrency.efficiency * 100,
            "yes" if concurrency.contended else "no",
        )
    return str(out / (folder / "combined.md").relative_to(stage))


@task(name="write-summary", cache_policy=NO_CACHE)
def write_summary(
    stage: Path, agent_runs: AgentRuns, metrics: pl.DataFrame, performance: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The agents' call and claim tables, the charts, summary.md, and report.html beside each
    combined.md (here, where the charts it embeds are drawn): (calls, claims, summary)."""
    tick("summary", 0, 1, "summary: agent tables, charts, summary.md, report.html")
    calls = conform(
        pl.DataFrame(agent_runs.calls, infer_schema_length=None), AGENT_CALLS_TABLE.schema
    )
    write_table(calls, AGENT_CALLS_TABLE.path(stage))
    claims = conform(pl.DataFrame(agent_runs.claims, infer_schema_length=None), CLAIMS_TABLE.schema)
    write_table(claims, CLAIMS_TABLE.path(stage))
    reports = stage / "reports"
    charts = write_charts(metrics, calls, reports / "charts", performance)
    summary = render_summary(calls, charts, report_dir=reports)
    write_text(summary, reports / "summary.md")
    _write_html_reports(reports, summary)
    tick("summary", 1, 1, "summary: %d charts, summary.md and %s written", len(charts), HTML_REPORT)
    return calls, claims, summary


def _write_html_reports(reports: Path, summary: str) -> list[Path]:
    """report.html beside each combined.md staged under `reports`: that report, then the
    summary with its charts embedded, rendered from the very Markdown just written."""
    images = read_images(summary, reports)
    written = []
    for combined_path in sorted(reports.rglob(COMBINED_REPORT)):
        combined = combined_path.read_text(encoding="utf-8")
        page = render_html_report(
            [combined, summary], images | read_images(combined, combined_path.parent)
        )
        written.append(write_text(page, combined_path.with_name(HTML_REPORT)))
    return written


@task(name="publish", cache_policy=NO_CACHE)
def publish(
    out: Path,
    stage: Path,
    summary: str,
    calls: pl.DataFrame,
    validation: ValidationResult,
    files: pl.DataFrame,
    reports: list[str],
) -> None:
    """Make the staged run the published one, then its artifacts and lineage."""
    tick("publish", 0, 1, "publish: %s", out)
    crash_point("before-commit")
    commit_run(out, stage)  # from here on, readers see this run's outputs
    publish_artifacts(out, summary, calls, validation.expectations)
    record_lineage(out, files, reports)  # asset events: sources -> tables -> reports
    report_progress("publish", 1, 1, "published: tables, quality and reports in %s", out)


@task(name="append-history", cache_policy=NO_CACHE)
def append_history(history: HistoryRun, findings: pl.DataFrame, report: str | None) -> int:
    """After publish: an event per regression this run brings, then the run into the history.
    A history that cannot be written costs the record, not the published run: the next run of
    the pile finds the same measurements new and appends them."""
    logger = get_run_logger()
    events = history_events(history, report)
    sent = emit_regression_events(events)
    if events:
        logger.info("%d chimera.regression.detected event(s) sent", sent)
    try:
        added = record_history(history, findings)
    except (HistoryError, OSError) as error:
        logger.warning("history %s not appended: %s", history.location, error)
        return 0
    logger.info("history %s: run appended, %d new measurements", history.location, added)
    return added
