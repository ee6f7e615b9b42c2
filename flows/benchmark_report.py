"""The `benchmark-report` flow: benchmark folders in, Parquet tables and Markdown reports out.

OUT/tables/ (tasks.tables.TABLES), OUT/quality/ (GE results and the data-quality summary) and
OUT/reports/ (agent_a.md, agent_b.md, combined.md; one run-N folder per run when there are
several). The flow is the recipe; its stages are tasks in flows/ingest.py and flows/stages.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated

import httpx
import polars as pl
from prefect import flow, get_run_logger
from pydantic import BaseModel, Field

from flows.agent_analysis import AgentPair, agent_analysis
from flows.ingest import Ingested, ingest
from flows.stages import (
    AgentRuns,
    Analysis,
    analyse,
    append_history,
    publish,
    read_run_history,
    select_measurements,
    write_metric_tables,
    write_reports,
    write_summary,
    write_tables,
)
from tasks.agents.analyst import deferred_result
from tasks.agents.backends import select_backend
from tasks.agents.backends.base import BackendError
from tasks.agents.options import ModelOptions
from tasks.agents.personas import PERSONAS
from tasks.agents.scenarios import scenario_options
from tasks.agents.telemetry import gpu_status
from tasks.choices import MAX_RETRIES, RUNS, AgentsWhen, BackendKind, ScenarioName
from tasks.facts.measurements import UNREAD_COLUMNS
from tasks.out_dir import check_out_dir, out_dir_lock, stage_run
from tasks.prefect_tasks import validate
from tasks.progress import report_progress
from tasks.report.render import RunContext
from tasks.tables import FILES_TABLE, FINDINGS_TABLE, METRICS_TABLE, read_table
from tasks.validate import ValidationResult


@dataclass
class StageClock:
    """Seconds per stage, for the reports' own timing lines (Prefect records them too)."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - started, 3)


class AgentRunError(RuntimeError):
    """The agents' deployment run did not complete."""


@dataclass
class Agents:
    """How this flow run's agents run: backend, model, options, where; and, once a backend has
    failed, why the model is unavailable (later runs then skip it)."""

    backend: str
    model: str
    why: str  # why this backend ran
    options: dict[str, ModelOptions]
    when: AgentsWhen  # now | follow-up (a follow-up run asks the model) | off (none does)
    deployment: str | None
    max_retries: int
    measure_concurrency: bool
    unavailable: str | None = None

    @classmethod
    def choose(
        cls,
        backend: BackendKind,
        model: str | None,
        options: dict[str, ModelOptions],
        *,
        when: AgentsWhen,
        deployment: str | None,
        max_retries: int,
        measure_concurrency: bool,
    ) -> Agents:
        """Resolve `auto` once per flow run; a backend that cannot be had is noted, not raised."""
        how = dict(
            options=options,
            when=when,
            deployment=deployment,
            max_retries=max_retries,
            measure_concurrency=measure_concurrency,
        )
        if when == "off":
            return cls(backend, model or "", "agents off: no model asked", **how)
        try:
            chosen = select_backend(backend, model)
        except BackendError as error:
            reason = " ".join(str(error).split())
            return cls(backend, model or "", f"unavailable: {reason}", unavailable=reason, **how)
        if backend != "auto":
            why = f"chosen with --backend {backend}"
        elif chosen.name == "ollama":
            why = "auto: an Ollama server answered"
        else:
            why = "auto: no Ollama server answered, so the embedded llama.cpp engine ran"
        return cls(chosen.name, chosen.model, why, **how)

    def run(self, stage: Path, findings: pl.DataFrame, run: int, runs: int) -> AgentPair:
        """Both agents on the findings; rendered from the findings when deferred or unavailable."""
        if self.when != "now" or self.unavailable:
            return self._from_findings(findings)
        report_progress(
            "runs",
            run - 1,
            runs,
            "run %d of %d: agents A and B ask %s %s",
            run,
            runs,
            self.backend,
            self.model,
            unit="runs",
        )
        try:
            return self._agent_pair(
                findings_path=str(FINDINGS_TABLE.path(stage)),
                options_a=self.options["A"],
                options_b=self.options["B"],
                backend=self.backend,
                model=self.model,
                max_retries=self.max_retries,
                measure_concurrency=self.measure_concurrency,
                run=run,
            )
        except (BackendError, AgentRunError) as error:
            # A backend down, failing or hanging past its budget costs the agents' prose,
            # never the report: the sections come from the findings.
            self.unavailable = " ".join(str(error).split())
            get_run_logger().warning(
                "run %d: model unavailable (%s); the agent sections are rendered from the findings",
                run,
                self.unavailable,
            )
            return self._from_findings(findings)

    def _from_findings(self, findings: pl.DataFrame) -> AgentPair:
        return AgentPair(
            a=deferred_result(
                PERSONAS["A"], findings, self.options["A"], self.unavailable, self.when == "off"
            ),
            b=deferred_result(
                PERSONAS["B"], findings, self.options["B"], self.unavailable, self.when == "off"
            ),
            concurrent_wall_ms=None,
            sequential_wall_ms=None,
        )

    def _agent_pair(self, **parameters: object) -> AgentPair:
        """agent-analysis in process, or as a run of the agents' deployment when one is named."""
        if self.deployment is None:
            return agent_analysis(**parameters)
        from prefect.deployments import run_deployment

        # as_subflow links the run to this one in the UI; timeout=None waits for it to finish.
        child = run_deployment(self.deployment, parameters=parameters, timeout=None)
        if not child.state or not child.state.is_completed():
            state = child.state.name if child.state else "unknown"
            raise AgentRunError(
                f"agent deployment {self.deployment!r}: flow run {child.name} ended {state}"
            )
        # The worker's flow run persists its result (the gpu pool sets
        # PREFECT_RESULTS_PERSIST_BY_DEFAULT); both sides must share the result storage.
        return child.state.result()

    def context(
        self, run: int, scenario: str, seconds: dict[str, float], pair: AgentPair, tables: str
    ) -> RunContext:
        return RunContext(
            run=run,
            scenario=scenario,
            backend=self.backend,
            model=self.model,
            backend_note=self.why,
            gpu=gpu_status(),
            stage_seconds=seconds,
            concurrent_wall_ms=pair.concurrent_wall_ms,
            sequential_wall_ms=pair.sequential_wall_ms,
            tables=tables,
        )


class RunSummary(BaseModel):
    """What a benchmark-report run did: the flow's result, and what `chimera run` prints."""

    out_dir: str
    files: int
    files_parsed: int
    metrics: int
    quarantined: int
    findings: int
    claims_published: int
    agent_calls: int
    agent_calls_cached: int  # of agent_calls: reused from an earlier run, no model asked
    agents: AgentsWhen
    backend: str
    model: str
    reports: list[str]
    stage_seconds: dict[str, float]
    # agents "follow-up": the automation that starts the follow-up run (agents "now") when
    # this run completes (prefect.yaml's trigger on on-new-files); None when none will.
    follow_up_by: str | None
    agents_unavailable: str | None


def _log_ingest(ingested: Ingested) -> None:
    report_progress(
        "parse",
        ingested.files_parsed,
        ingested.files_parsed,
        "%d files: parsed %d (%d kept from the last run) %s: %d measurements",
        ingested.files.height,
        ingested.files_parsed,
        ingested.files_kept,
        _where_parsed(ingested.runner, ingested.workers),
        ingested.parsed.height,
        unit="files",
    )


def _where_parsed(runner: str, processes: int) -> str:
    if runner == "in process":
        return "in this process"
    if runner == "workers":
        return f"in {processes} worker processes"
    if runner == "process":
        return f"in Prefect's process pool ({processes} processes)"
    if processes:
        return f"on a local Dask cluster ({processes} worker processes)"
    return "on the Dask cluster"


FOLLOW_UP_EVENT = "prefect.flow-run.Completed"


def _follow_up_by() -> str | None:
    """The automation that starts this run's follow-up run (agents "now") once this run
    completes: an enabled automation of this run's deployment that runs the deployment on
    `prefect.flow-run.Completed` (prefect.yaml, on-new-files), when an automation created this
    run. None when none will: not a deployment's run, a run started by hand, no such trigger."""
    from prefect.client.orchestration import get_client
    from prefect.events.actions import RunDeployment
    from prefect.runtime import deployment, flow_run

    log = get_run_logger()
    if deployment.id is None:
        log.info(
            "agents deferred: not a deployment's run, so no follow-up; run again with agents='now'"
        )
        return None
    try:
        with get_client(sync_client=True) as client:
            created_by = client.read_flow_run(flow_run.id).created_by
            automations = client.read_resource_related_automations(
                f"prefect.deployment.{deployment.id}"
            )
    except httpx.HTTPError as error:
        log.warning("agents deferred: could not read this deployment's automations: %s", error)
        return None
    triggers = [
        automation
        for automation in automations
        if automation.enabled
        and FOLLOW_UP_EVENT in getattr(automation.trigger, "expect", ())
        and any(
            isinstance(action, RunDeployment) and str(action.deployment_id) == deployment.id
            for action in automation.actions
        )
    ]
    by_automation = created_by is not None and created_by.type == "AUTOMATION"
    follow_up = [a for a in triggers if by_automation and str(a.id) != str(created_by.id)]
    if not follow_up:
        log.info(
            "agents deferred: no trigger of deployment %s starts a follow-up of this run; run "
            "again with agents='now'",
            deployment.name,
        )
        return None
    log.info(
        "agents deferred: automation %r starts the follow-up run once this one completes",
        follow_up[0].name,
    )
    return follow_up[0].name


# The deployment form's help texts are the docstring's Args, their one place: Prefect 3.8 builds
# the parameter schema's descriptions from them, never from a Field in Annotated (whose bounds it
# does check).
@flow(name="benchmark-report", log_prints=True)
def benchmark_report(
    sources: list[str],
    out_dir: str,
    backend: BackendKind = "auto",
    model: str | None = None,
    scenario: ScenarioName = "baseline_vs_chimera",
    runs: Annotated[int, Field(ge=RUNS[0], le=RUNS[1])] = 1,
    options_a: ModelOptions | None = None,
    options_b: ModelOptions | None = None,
    config_file: str | None = None,
    max_retries: Annotated[int, Field(ge=MAX_RETRIES[0], le=MAX_RETRIES[1])] = 2,
    measure_concurrency: bool = False,
    agents_deployment: str | None = None,
    force: bool = False,
    agents: AgentsWhen = "now",
) -> RunSummary:
    """1. Discover every file under the sources and inventory it.
    2. Parse new or changed files, in batches, into one long metrics table.
    3. Validate the metrics with the Great Expectations suites; quarantine failures.
    4. Place the measurements in their series over the run history and find what changed
       since the last run; analyse the rows that passed: the findings, ranked, what changed
       among them; write the tables.
    5. Per run, agents A and B write claims on the findings concurrently, each claim checked
       (deferred with agents "follow-up", or the model unavailable: their sections are
       rendered from the findings); then that run's reports.
    6. The agents' tables, charts and summary; publish the run at once, with its artifacts
       and lineage.
    7. Then, and only then, an event per regression, and the run appended to the history.

    Args:
        sources: Folders of benchmark result files, as absolute paths on the worker's host, one
            item per folder. Every file under them is listed; CSV, JSON and Markdown files and
            the benchmark tools' own outputs are parsed.
        out_dir: Folder the run writes, an absolute path on the worker's host: tables/ (Parquet),
            quality/ and reports/ (combined.md, agent_a.md, agent_b.md). It must not be inside a
            source folder nor hold one. A later run into the same folder parses only new or
            changed files.
        backend: Where the agents' model runs. auto: the Ollama server at the worker's
            OLLAMA_HOST when it answers, else embedded. ollama: that server only. embedded:
            llama.cpp inside the run, with a small bundled model (no server, no GPU needed).
            replay: answers recorded on an earlier run (set model to the recording's file).
        model: The model for that backend; empty: its default (gemma3:270m on Ollama,
            smollm2-135m embedded). An Ollama tag such as llama3.1:8b, an embedded model
            (smollm2-135m, gemma3-270m) or the path of a GGUF file on the worker.
        scenario: Which model options agents A and B use. baseline_vs_chimera: A on the
            backend's defaults, B on the tuned options. chimera_hetero: two different tuned
            sets. chimera_homo: the same tuned set for both.
        runs: How many times agents A and B write their analysis, from 1 to 100. Above 1, each
            run's reports go to reports/run-N/ and reports/summary.md compares A and B over the
            runs, with charts.
        options_a: Model options for agent A over the scenario's (temperature, seed, num_ctx,
            num_gpu...); an option left empty keeps the scenario's value.
        options_b: Model options for agent B over the scenario's, as for agent A.
        config_file: A TOML file on the worker's host with per-scenario options for A and B,
            laid over the built-in ones (same shape as tasks/agents/scenarios.toml); empty:
            the built-in options.
        max_retries: How many more drafts an agent may write, from 0 to 5, when the checks
            reject its claims (each at a lower temperature). A section still without an
            accepted claim is then written from the findings.
        measure_concurrency: Also run agent A then agent B one after the other, to report the
            speedup of running them together. Doubles the agents' time and always asks the
            model afresh (no cached answers).
        agents_deployment: Run the agents as a run of this deployment on its own work pool,
            e.g. agent-analysis/gpu for the GPU workers; empty: inside this run.
        force: Move tables/, quality/ and reports/ that this program did not write in out_dir
            aside (into out_dir/.chimera/replaced-<time>/) instead of refusing to run. Nothing
            is deleted.
        agents: now: the agents analyse in this run. follow-up: publish the tables and a
            report at once, its agent sections written from the findings; a run of the same
            folders with agents now follows, started by the deployment's trigger on this run's
            completion (what a run for new files does). off: no model is asked; the sections
            are written from the findings.
    """
    out = check_out_dir(sources, out_dir)  # refused inside a source, and a source inside it
    with out_dir_lock(out):  # one run at a time in an output folder
        stage = stage_run(out, force)  # everything goes here; published at the end in one step
        clock = StageClock()
        ingested = ingest(
            [Path(s) for s in sources],
            read_table(FILES_TABLE.path(out), FILES_TABLE.schema),
            read_table(METRICS_TABLE.path(out), METRICS_TABLE.schema),
        )
        clock.seconds |= ingested.seconds
        _log_ingest(ingested)
        with clock.stage("validate"):
            validation = validate(ingested.parsed)
        # Written before the measurements are taken: the write's peak then holds the table
        # without them (on a 50 MB CSV, 0.16 GB less).
        counted = write_metric_tables(stage, ingested.files, validation)
        # Written: of the rows, the run holds what the measurements read, then the counts and
        # `performance` (the columns let go first: on a 50 MB CSV, the step peaked 55 MB lower).
        measured = validation.metrics.drop(UNREAD_COLUMNS)
        validation, ingested = counted, replace(ingested, parsed=None)
        with clock.stage("measurements"):
            performance = select_measurements(measured)
        del measured
        with clock.stage("history"):
            history = read_run_history(out, stage, sources, ingested.files, validation, performance)
        with clock.stage("findings"):
            analysis = analyse(ingested.files, validation, performance, history)
        tables_note = write_tables(stage, validation, analysis)

        options = scenario_options(
            scenario,
            Path(config_file) if config_file else None,
            {k: v for k, v in (("A", options_a), ("B", options_b)) if v is not None},
        )
        agents_now = Agents.choose(
            backend,
            model,
            options,
            when=agents,
            deployment=agents_deployment or None,
            max_retries=max_retries,
            measure_concurrency=measure_concurrency,
        )
        runs = 1 if agents_now.when != "now" else runs
        agent_runs = AgentRuns(calls=[], claims=[], reports=[])
        for run in range(1, runs + 1):
            run_clock = StageClock(dict(clock.seconds))
            with run_clock.stage("agents"):
                pair = agents_now.run(stage, analysis.findings, run, runs)
            agent_runs.add(run, scenario, pair)
            with run_clock.stage("report"):
                context = agents_now.context(run, scenario, run_clock.seconds, pair, tables_note)
                agent_runs.reports.append(write_reports(stage, out, runs, pair, context, analysis))
        calls, claims, summary = write_summary(stage, agent_runs, validation.metrics, performance)
        publish(out, stage, summary, calls, validation, ingested.files, agent_runs.reports)
        append_history(history, analysis.findings, agent_runs.reports[0])  # only once published
        follow_up = _follow_up_by() if agents_now.when == "follow-up" else None
        return _summary(
            out, ingested, validation, analysis, claims, agent_runs, agents_now, clock, follow_up
        )


def _summary(
    out: Path,
    ingested: Ingested,
    validation: ValidationResult,
    analysis: Analysis,
    claims: pl.DataFrame,
    agent_runs: AgentRuns,
    agents: Agents,
    clock: StageClock,
    follow_up: str | None,
) -> RunSummary:
    return RunSummary(
        out_dir=str(out),
        files=ingested.files.height,
        files_parsed=ingested.files_parsed,
        metrics=validation.metrics.height,
        quarantined=validation.quarantine.height,
        findings=analysis.findings.height,
        claims_published=claims.filter(pl.col("published")).height,
        agent_calls=len(agent_runs.calls),
        agent_calls_cached=sum(bool(call.get("cached")) for call in agent_runs.calls),
        agents=agents.when,
        backend=agents.backend,
        model=agents.model,
        reports=agent_runs.reports,
        stage_seconds=clock.seconds,
        follow_up_by=follow_up,
        agents_unavailable=agents.unavailable,
    )
