"""The stages of benchmark-report after parsing, each a Prefect task the UI shows with its time.

Each stage composes pure functions of tasks/ (analysis, rendering, writing) and returns what the
next one needs; the flow (flows/benchmark_report.py) is the recipe that calls them in order.
Everything is written into the run's staging folder; `publish` makes it the published run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
from tasks.lineage.record import record_lineage
from tasks.out_dir import commit_run
from tasks.report.artifacts import publish_artifacts
from tasks.report.charts import write_charts
from tasks.report.findings import render_coverage_matrix, render_findings, render_top_findings
from tasks.report.layout import report_folder
from tasks.report.quality_summary import render_quality_summary
from tasks.report.render import RunContext, render_agent_report, render_combined_report
from tasks.report.summary import render_summary
from tasks.schemas import conform
from tasks.tables import (
    AGENT_CALLS_TABLE,
    CLAIMS_TABLE,
    FILES_TABLE,
    FINDINGS_TABLE,
    METRICS_TABLE,
    QUARANTINE_TABLE,
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


@task(name="analyse", cache_policy=NO_CACHE)
def analyse(files: pl.DataFrame, validation: ValidationResult) -> Analysis:
    """The findings, their renderings, and the files and findings suites."""
    finding_table = compute_findings(files, validation.metrics)
    checks = pl.concat([validate_files(files), validate_findings(finding_table)])
    return Analysis(
        findings=finding_table,
        top_findings=render_top_findings(finding_table),
        coverage=render_coverage_matrix(coverage_matrix(performance_rows(validation.metrics))),
        detail=render_findings(finding_table),
        quality_summary=render_quality_summary(validation, files, checks),
    )


@task(name="write-tables", cache_policy=NO_CACHE)
def write_tables(
    stage: Path, files: pl.DataFrame, validation: ValidationResult, analysis: Analysis
) -> str:
    """The data tables and quality results; returns the note by which reports name them."""
    crash_point("parsed")
    for table, frame in (
        (FILES_TABLE, files),
        (METRICS_TABLE, validation.metrics),
        (QUARANTINE_TABLE, validation.quarantine),
        (FINDINGS_TABLE, analysis.findings),
    ):
        write_table(frame, table.path(stage))
        if table is FILES_TABLE:
            crash_point("between-tables")
    write_text(
        json.dumps(validation.ge_results, indent=2, default=str),
        stage / "quality" / "ge_results.json",
    )
    write_text(analysis.quality_summary, stage / "quality" / "data_quality.md")
    note = _tables_note(stage)
    crash_point("tables-written")
    return note


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
    )
    write_text(render_agent_report(pair.a, context, analysis.coverage), folder / "agent_a.md")
    write_text(render_agent_report(pair.b, context), folder / "agent_b.md")
    write_text(combined, folder / "combined.md")
    create_markdown_artifact(
        combined,
        key="benchmark-report",
        description=f"Combined report, run {context.run} ({context.scenario})",
    )
    logger = get_run_logger()
    logger.info(
        "run %d of %d: reports in %s (claims published: A %d, B %d)",
        context.run,
        runs,
        out / folder.relative_to(stage),
        sum(map(len, pair.a.claims.values())),
        sum(map(len, pair.b.claims.values())),
    )
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
    stage: Path, agent_runs: AgentRuns, metrics: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """The agents' call and claim tables, the charts and summary.md: (calls, claims, summary)."""
    calls = conform(
        pl.DataFrame(agent_runs.calls, infer_schema_length=None), AGENT_CALLS_TABLE.schema
    )
    write_table(calls, AGENT_CALLS_TABLE.path(stage))
    claims = conform(pl.DataFrame(agent_runs.claims, infer_schema_length=None), CLAIMS_TABLE.schema)
    write_table(claims, CLAIMS_TABLE.path(stage))
    reports = stage / "reports"
    charts = write_charts(metrics, calls, reports / "charts")
    summary = render_summary(calls, charts, report_dir=reports)
    write_text(summary, reports / "summary.md")
    return calls, claims, summary


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
    crash_point("before-commit")
    commit_run(out, stage)  # from here on, readers see this run's outputs
    publish_artifacts(out, summary, calls, validation.expectations)
    record_lineage(out, files, reports)  # asset events: sources -> tables -> reports
