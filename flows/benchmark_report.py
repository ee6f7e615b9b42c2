"""The `benchmark-report` flow: benchmark folders in, Parquet tables and Markdown reports out.

OUT/tables/{files,metrics,quarantine,findings,claims,agent_calls}.parquet, OUT/quality/ (GE results
and the data-quality summary) and OUT/reports/ (agent_a.md, agent_b.md, combined.md; one run-N
folder per run when there are several).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import polars as pl
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from pydantic import Field

from flows.agent_analysis import AgentPair, agent_analysis
from flows.ingest import ingest
from tasks.agents.analyst import deferred_result
from tasks.agents.backends import select_backend
from tasks.agents.backends.base import BackendError
from tasks.agents.concurrency import measured_concurrency
from tasks.agents.options import ModelOptions
from tasks.agents.personas import PERSONAS
from tasks.agents.scenarios import scenario_options
from tasks.agents.telemetry import gpu_status
from tasks.crash_points import crash_point
from tasks.facts.measurements import coverage_matrix, performance_rows
from tasks.lineage.record import record_lineage
from tasks.out_dir import check_out_dir, commit_run, out_dir_lock, stage_run
from tasks.prefect_tasks import findings, validate
from tasks.report.artifacts import publish_artifacts
from tasks.report.charts import write_charts
from tasks.report.findings import render_coverage_matrix, render_findings, render_top_findings
from tasks.report.layout import report_folder
from tasks.report.render import RunContext, render_agent_report, render_combined_report
from tasks.report.summary import render_summary
from tasks.schemas import AGENT_CALLS, CLAIMS, FILES, METRICS, conform
from tasks.tables import content_hash, read_table, table_path, write_table, write_text
from tasks.validate import render_quality_summary, validate_files, validate_findings

Backend = Literal["auto", "ollama", "embedded"]
ScenarioName = Literal["baseline_vs_chimera", "chimera_hetero", "chimera_homo"]
AgentsWhen = Literal["now", "follow-up"]


@dataclass
class StageClock:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)


def _backend_choice(backend: str, model: str | None) -> tuple[str, str, str]:
    """Resolve `auto` once per flow run: (backend, model, why)."""
    chosen = select_backend(backend, model)  # type: ignore[arg-type]
    if backend == "auto":
        why = (
            "auto: an Ollama server answered"
            if chosen.name == "ollama"
            else "auto: no Ollama server answered, so the embedded llama.cpp engine ran"
        )
    else:
        why = f"chosen with --backend {backend}"
    return chosen.name, chosen.model, why


def _agent_pair(agents_deployment: str | None, **parameters) -> AgentPair:
    """Run agent-analysis in process, or as a run of `agents_deployment` when one is named."""
    if agents_deployment is None:
        return agent_analysis(**parameters)
    from prefect.deployments import run_deployment

    # as_subflow links the run to this one in the UI; timeout=None waits for it to finish.
    child = run_deployment(agents_deployment, parameters=parameters, timeout=None)
    if not child.state or not child.state.is_completed():
        state = child.state.name if child.state else "unknown"
        raise AgentRunError(
            f"agent deployment {agents_deployment!r}: flow run {child.name} ended {state}"
        )
    # The worker's flow run persists its result (the gpu pool sets
    # PREFECT_RESULTS_PERSIST_BY_DEFAULT); both sides must share the result storage.
    return child.state.result()


class AgentRunError(RuntimeError):
    """The agents' deployment run did not complete."""


def _findings_pair(
    findings: pl.DataFrame, options: dict[str, ModelOptions], unavailable: str | None = None
) -> AgentPair:
    """Both agents' sections rendered from the findings, no model call: deferred to a follow-up
    run, or the model unavailable (`unavailable` says why)."""
    return AgentPair(
        a=deferred_result(PERSONAS["A"], findings, options["A"], unavailable),
        b=deferred_result(PERSONAS["B"], findings, options["B"], unavailable),
        concurrent_wall_ms=None,
        sequential_wall_ms=None,
    )


def _tables_note(out: Path) -> str:
    """What a report names its tables by: this flow run, the time, the tables' content hashes."""
    from prefect.runtime import flow_run

    hashes = ", ".join(
        f"{name}.parquet sha256 {content_hash(table_path(out, name))[:12]}"
        for name in ("metrics", "findings")
    )
    written = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"written by flow run {flow_run.name} at {written}; {hashes}"


def _start_follow_up() -> str | None:
    """Start this run's deployment again with the same parameters and agents "now"; the new
    run's name, or None when this run is not a deployment's (nothing to start)."""
    from prefect.deployments import run_deployment
    from prefect.runtime import deployment, flow_run

    if deployment.id is None:
        return None
    parameters = {**flow_run.parameters, "agents": "now"}
    # timeout=0: start it and return; the deployment's concurrency limit queues it behind us.
    follow_up = run_deployment(deployment.id, parameters=parameters, timeout=0, as_subflow=False)
    return follow_up.name


@flow(name="benchmark-report", log_prints=True)
def benchmark_report(
    sources: Annotated[list[str], Field(description="Folders of benchmark files.")],
    out_dir: Annotated[str, Field(description="Where tables/, quality/ and reports/ go.")],
    backend: Annotated[
        Backend, Field(description="auto: Ollama when it answers, else embedded.")
    ] = "auto",
    model: Annotated[
        str | None, Field(description="Ollama model name, embedded model or GGUF path.")
    ] = None,
    scenario: Annotated[ScenarioName, Field(description="Agent option scenario.")] = (
        "baseline_vs_chimera"
    ),
    runs: Annotated[int, Field(ge=1, le=100, description="How many times the agents run.")] = 1,
    options_a: Annotated[
        ModelOptions | None, Field(description="Overrides for agent A's model options.")
    ] = None,
    options_b: Annotated[
        ModelOptions | None, Field(description="Overrides for agent B's model options.")
    ] = None,
    config_file: Annotated[
        str | None, Field(description="TOML file of per-scenario agent options.")
    ] = None,
    max_retries: Annotated[
        int, Field(ge=0, le=5, description="Guard retries per agent draft.")
    ] = 2,
    measure_concurrency: Annotated[
        bool, Field(description="Also run A then B one after the other, to time the speedup.")
    ] = False,
    agents_deployment: Annotated[
        str | None,
        Field(
            description="Run the agents as this deployment (e.g. agent-analysis/gpu) on its "
            "work pool's workers; empty: in this flow run."
        ),
    ] = None,
    force: Annotated[
        bool,
        Field(
            description="Move aside tables/, quality/ and reports/ in out_dir that this program "
            "did not write there (into .chimera/replaced-<time>/), instead of refusing."
        ),
    ] = False,
    agents: Annotated[
        AgentsWhen,
        Field(
            description="now: the agents analyse in this run. follow-up: publish the tables and "
            "a report whose agent sections are rendered from the findings at once, then start this "
            "deployment again with the agents (a quick refresh when new files land)."
        ),
    ] = "now",
) -> dict:
    """1. Discover every file under the sources and inventory it.
    2. Parse new or changed files, in batches, into one long metrics table.
    3. Validate the metrics with the Great Expectations suites; quarantine failures.
    4. Analyse the rows that passed: the findings, ranked.
    5. Per run, agents A and B write claims on the findings concurrently, each claim checked
       (with agents "follow-up": their sections are rendered from the findings, and a
       follow-up run analyses).
    6. Write the tables and reports; publish the report and quality tables as artifacts.
    """
    logger = get_run_logger()
    out = check_out_dir(sources, out_dir)  # refused inside a source, and a source inside it
    with out_dir_lock(out):  # one run at a time in an output folder
        # Everything is written into a fresh folder and published at the end in one step.
        stage = stage_run(out, force)
        clock = StageClock()

        ingested = ingest(
            [Path(s) for s in sources],
            read_table(table_path(out, "files"), FILES),
            read_table(table_path(out, "metrics"), METRICS),
        )
        clock.seconds |= ingested.seconds
        files, parsed = ingested.files, ingested.parsed
        logger.info(
            "%d files: parsed %d (%d kept from the last run) %s: %d measurements",
            files.height,
            ingested.files_parsed,
            ingested.files_kept,
            f"in {ingested.workers} worker processes" if ingested.workers else "in this process",
            parsed.height,
        )

        with clock.stage("validate"):
            validation = validate(parsed)

        with clock.stage("findings"):
            finding_table = findings(files, validation.metrics)
            top_findings = render_top_findings(finding_table)
            detail = render_findings(finding_table)
            coverage = render_coverage_matrix(coverage_matrix(performance_rows(validation.metrics)))
        with clock.stage("checks"):  # the files and the findings suites, after the analysis
            checks = pl.concat([validate_files(files), validate_findings(finding_table)])
            quality_summary = render_quality_summary(validation, files, checks)

        crash_point("parsed")
        for name, frame in (
            ("files", files),
            ("metrics", validation.metrics),
            ("quarantine", validation.quarantine),
            ("findings", finding_table),
        ):
            write_table(frame, table_path(stage, name))
            if name == "files":
                crash_point("between-tables")
        write_text(
            json.dumps(validation.ge_results, indent=2, default=str),
            stage / "quality" / "ge_results.json",
        )
        write_text(quality_summary, stage / "quality" / "data_quality.md")
        tables_note = _tables_note(stage)
        crash_point("tables-written")

        unavailable: str | None = None  # why the model could not be asked, once it could not
        try:
            backend_name, model_name, why = _backend_choice(backend, model)
        except BackendError as error:
            unavailable = " ".join(str(error).split())
            backend_name, model_name, why = backend, model or "", f"unavailable: {unavailable}"
        options = scenario_options(
            scenario,
            Path(config_file) if config_file else None,
            {k: v for k, v in (("A", options_a), ("B", options_b)) if v is not None},
        )
        call_rows: list[dict] = []
        claim_rows: list[dict] = []
        report_paths: list[str] = []
        pre_agent_seconds = dict(clock.seconds)
        deferred = agents == "follow-up"
        runs = 1 if deferred else runs
        for run in range(1, runs + 1):
            run_clock = StageClock(dict(pre_agent_seconds))
            with run_clock.stage("agents"):
                if deferred or unavailable:
                    pair = _findings_pair(finding_table, options, unavailable)
                else:
                    try:
                        pair = _agent_pair(
                            agents_deployment or None,
                            findings_path=str(table_path(stage, "findings")),
                            options_a=options["A"],
                            options_b=options["B"],
                            backend=backend_name,
                            model=model_name,
                            max_retries=max_retries,
                            measure_concurrency=measure_concurrency,
                        )
                    except (BackendError, AgentRunError) as error:
                        # A backend down, failing or hanging past its budget costs the agents'
                        # prose, never the report: the sections come from the findings.
                        unavailable = " ".join(str(error).split())
                        logger.warning(
                            "run %d: model unavailable (%s); the agent sections are rendered "
                            "from the findings",
                            run,
                            unavailable,
                        )
                        pair = _findings_pair(finding_table, options, unavailable)
            for result in (pair.a, pair.b):
                call_rows += [{"run": run, "scenario": scenario, **call} for call in result.calls]
                claim_rows += [
                    {"run": run, "scenario": scenario, **claim} for claim in result.claim_rows()
                ]
            with run_clock.stage("report"):
                context = RunContext(
                    run=run,
                    scenario=scenario,
                    backend=backend_name,
                    model=model_name,
                    backend_note=why,
                    gpu=gpu_status(),
                    stage_seconds=run_clock.seconds,
                    concurrent_wall_ms=pair.concurrent_wall_ms,
                    sequential_wall_ms=pair.sequential_wall_ms,
                    tables=tables_note,
                )
                folder = report_folder(stage / "reports", run, runs)
                combined = render_combined_report(
                    pair.a, pair.b, context, quality_summary, top_findings, coverage, detail
                )
                write_text(render_agent_report(pair.a, context, coverage), folder / "agent_a.md")
                write_text(render_agent_report(pair.b, context), folder / "agent_b.md")
                write_text(combined, folder / "combined.md")
                # the path it is published at
                report_paths.append(str(out / (folder / "combined.md").relative_to(stage)))
            create_markdown_artifact(
                combined,
                key="benchmark-report",
                description=f"Combined report, run {run} ({scenario})",
            )
            logger.info("run %d: reports in %s", run, out / folder.relative_to(stage))
            concurrency = measured_concurrency(pair.concurrent_wall_ms, pair.sequential_wall_ms)
            if concurrency is not None:
                logger.info(
                    "run %d: A and B together %.2fx as fast as one after the other "
                    "(efficiency %.0f%%, contention: %s)",
                    run,
                    concurrency.speedup,
                    concurrency.efficiency * 100,
                    "yes" if concurrency.contended else "no",
                )

        calls = conform(pl.DataFrame(call_rows, infer_schema_length=None), AGENT_CALLS)
        write_table(calls, table_path(stage, "agent_calls"))
        claims = conform(pl.DataFrame(claim_rows, infer_schema_length=None), CLAIMS)
        write_table(claims, table_path(stage, "claims"))
        reports = stage / "reports"
        charts = write_charts(validation.metrics, calls, reports / "charts")
        summary = render_summary(calls, charts, report_dir=reports)
        write_text(summary, reports / "summary.md")
        crash_point("before-commit")
        commit_run(out, stage)  # from here on, readers see this run's outputs
        publish_artifacts(out, summary, calls, validation.expectations)
        record_lineage(out, files, report_paths)  # asset events: sources -> tables -> reports
        follow_up = _start_follow_up() if deferred else None
        if deferred:
            logger.info(
                "agents deferred: %s",
                f"flow run {follow_up} analyses next"
                if follow_up
                else "not a deployment's run, so no follow-up; run again with agents='now'",
            )
        return {
            "out_dir": str(out),
            "files": files.height,
            "files_parsed": ingested.files_parsed,
            "metrics": validation.metrics.height,
            "quarantined": validation.quarantine.height,
            "findings": finding_table.height,
            "claims_published": claims.filter(pl.col("published")).height,
            "agent_calls": len(call_rows),
            "backend": backend_name,
            "model": model_name,
            "reports": report_paths,
            "stage_seconds": clock.seconds,
            "follow_up_run": follow_up,
            "agents_unavailable": unavailable,
        }
