"""The deployments on a real Prefect server, as a team runs them, on SQLite and on PostgreSQL.

The `deployed` fixture (conftest.py, servers.py) gives a server with basic auth on, two process
work pools (`chimera-cpu`, and `gpu` from deployments/gpu-pool.base-job-template.json), `prefect
deploy --all` of prefect.yaml, a worker per pool and `chimera watch` on a sample benchmark
folder; every test here runs once per database. Then:

- a client without the auth string is refused;
- the nightly deployment has scheduled runs;
- a burst of files copied into the watched folder makes one completed run of on-new-files whose
  report covers them, created within seconds (on SQLite, plus one busy timeout when the server
  logged its database locked meanwhile; on PostgreSQL, no such allowance; the time from landing
  to creation and to completion is printed per database);
- that run's completion makes the deployment's second trigger start exactly one follow-up run
  with the agents, which rewrites the report (and triggers nothing itself);
- a manual `prefect deployment run` with parameters completes and writes tables and reports,
  its agents run by the agent-analysis deployment on the gpu pool;
- `chimera lineage` lists the source files behind a report.

Everything started is stopped by process group, also when a test fails. To keep it fast, runs use
the embedded backend, no guard retries and temperature 0 on the small sample corpus; for the
event-triggered runs an operator would set those as the deployment's default parameters, which
is what `deploy` does through the API.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import polars as pl
import pytest

from tasks.samples.corpus import write_sample_corpus
from tests.integration.processes import wait_for
from tests.integration.servers import (
    FAST_RUN,
    FINAL_STATES,
    RUN_TIMEOUT_S,
    Deployed,
    Server,
    iso_seconds,
)

pytestmark = pytest.mark.slow

TRIGGER_S = 30  # landing -> run created, on a server whose database answered
# Prefect's server waits this long on a locked SQLite database before it gives up and retries
# the event (PRAGMA busy_timeout in prefect.server.database.configurations).
SQLITE_BUSY_TIMEOUT_S = 60
SQLITE_LOCKED = "database is locked"
# What the server logs when its database fails it: SQLite's lock, SQLAlchemy's and asyncpg's errors
DATABASE_ERRORS = (SQLITE_LOCKED, "sqlalchemy.exc.", "asyncpg.exceptions.")
# The on-new-files deployment's two automations (prefect.yaml, its triggers' names).
NEW_FILES_TRIGGER = "chimera on-new-files: new files"
FOLLOW_UP_TRIGGER = "chimera on-new-files: agents follow-up"
# How long the follow-up run's own completion is given to start another run, which it must not:
# the trigger service acts within a second or two of an event.
NO_LOOP_S = 20


@dataclass
class NewFilesRun:
    run: dict  # the on-new-files flow run the trigger created
    landed: list[Path]
    landed_at: float
    report_text: str  # combined.md as that run left it
    # The server log's lines naming a database error, from landing to the run's creation
    database_errors: list[str]


@pytest.fixture(scope="module")
def new_files_run(deployed, tmp_path_factory):
    """Copy a burst of new benchmark files into the watched folder; the run it triggers."""
    staging = tmp_path_factory.mktemp("staging")
    write_sample_corpus(staging, seed=1)  # other numbers, so other content hashes
    picked = sorted(staging.rglob("*_baseline.csv"))[:2]
    assert len(picked) == 2
    landed_dir = deployed.bench / "landed"
    landed_dir.mkdir()

    server = deployed.server
    log_offset = server.log_size()
    landed_at = time.time()
    landed = []
    for source in picked:
        target = landed_dir / f"new_{source.name}"
        shutil.copyfile(source, target)
        landed.append(target)

    wait_for(lambda: triggered_runs(server), RUN_TIMEOUT_S, every_s=0.5, what="an on-new-files run")
    # Only what the server logged before the run existed can have delayed its creation.
    database_errors = [
        line
        for line in server.log_since(log_offset).splitlines()
        if any(error in line for error in DATABASE_ERRORS)
    ]
    run = wait_for(
        lambda: triggered_runs(server, FINAL_STATES),
        RUN_TIMEOUT_S,
        every_s=0.5,
        what="a finished on-new-files run",
    )[0]
    # Read now: the follow-up run rewrites the report a minute later.
    report = Path(run["parameters"]["out_dir"]) / "reports" / "combined.md"
    return NewFilesRun(
        run=run,
        landed=landed,
        landed_at=landed_at,
        report_text=report.read_text() if report.is_file() else "",
        database_errors=database_errors,
    )


def triggered_runs(server: Server, state_types: list[str] | None = None) -> list[dict]:
    """Runs the new-files trigger created; their follow-up runs (agents "now") are left out."""
    return _on_new_files_runs(server, "follow-up", state_types)


def follow_up_runs(server: Server, state_types: list[str] | None = None) -> list[dict]:
    return _on_new_files_runs(server, "now", state_types)


def _on_new_files_runs(server: Server, agents: str, state_types: list[str] | None) -> list[dict]:
    runs = server.flow_runs("benchmark-report/on-new-files", state_types)
    return [run for run in runs if run["parameters"].get("agents") == agents]


def on_new_files_automations(server: Server) -> dict[str, str]:
    """The on-new-files deployment's automations, name -> id."""
    deployment_id = server.deployment_id("benchmark-report/on-new-files")
    automations = server.request(
        "GET", f"/automations/related-to/prefect.deployment.{deployment_id}"
    )
    return {automation["name"]: automation["id"] for automation in automations.json()}


def run_logs(server: Server, flow_run_id: str) -> str:
    body = {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}
    return "\n".join(log["message"] for log in server.request("POST", "/logs/filter", body).json())


@pytest.fixture(scope="module")
def manual_run(deployed):
    out = deployed.out / "manual-test"
    parameters = {
        "sources": [str(deployed.bench)],
        "out_dir": str(out),
        "agents_deployment": "agent-analysis/gpu",
        **FAST_RUN,
    }
    result = deployed.server.processes.run(
        [
            "prefect",
            "deployment",
            "run",
            "benchmark-report/manual",
            "--params",
            json.dumps(parameters),
            "--watch",
            "--watch-interval",
            "2",
            "--watch-timeout",
            str(RUN_TIMEOUT_S),
        ],
        timeout_s=RUN_TIMEOUT_S + 60,
    )
    return result, out


def lineage(deployed: Deployed, report: Path) -> dict:
    result = deployed.server.processes.run(["chimera", "lineage", str(report), "--json"])
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_a_client_without_the_auth_string_is_refused(server):
    body = {"limit": 1}

    anonymous = httpx.post(f"{server.api_url}/flows/filter", json=body, timeout=30)
    wrong = httpx.post(
        f"{server.api_url}/flows/filter",
        json=body,
        timeout=30,
        headers={"Authorization": "Basic " + base64.b64encode(b"x:y").decode()},
    )

    assert anonymous.status_code == 401
    assert wrong.status_code == 401
    assert server.request("POST", "/flows/filter", body).status_code == 200


def test_the_server_makes_no_telemetry_attempt(deployed):
    # Offline, an attempt would log "Failed to send telemetry"; analytics off means none is made.
    assert "telemetry" not in deployed.server.log.read_text().lower()


def test_the_nightly_deployment_has_scheduled_runs(deployed):
    scheduled = wait_for(
        lambda: deployed.server.flow_runs("benchmark-report/nightly", ["SCHEDULED"]),
        120,
        every_s=2,
        what="scheduled nightly runs",
    )

    starts = [run["expected_start_time"] for run in scheduled]
    assert all("T02:00:00" in start for start in starts), starts
    assert scheduled[0]["parameters"]["sources"] == [str(deployed.bench)]


def test_a_burst_of_new_files_makes_one_completed_run_covering_them(
    deployed, new_files_run, capsys
):
    run, landed, landed_at = new_files_run.run, new_files_run.landed, new_files_run.landed_at
    server = deployed.server

    assert run["state"]["type"] == "COMPLETED", server.logs()
    assert run["parameters"]["sources"] == [str(deployed.bench)]
    out = Path(run["parameters"]["out_dir"])
    assert out == deployed.out / "folders" / deployed.bench.name
    files = pl.read_parquet(out / "tables" / "files.parquet")
    covered = files.filter(pl.col("path").is_in([str(p) for p in landed]))
    assert covered["status"].to_list() == ["parsed", "parsed"]
    report = out / "reports" / "combined.md"
    assert report.stat().st_mtime > landed_at
    assert {str(p) for p in landed} <= set(lineage(deployed, report)["sources"])
    # One burst, one run: the trigger's window swallowed the second file's event.
    assert len(triggered_runs(server)) == 1
    # Published at once; the agents' analysis is left to the follow-up run.
    assert "the agents' analysis follows in the next run" in new_files_run.report_text

    created = iso_seconds(run["created"]) - landed_at
    completed = iso_seconds(run["end_time"]) - landed_at
    with capsys.disabled():
        print(
            f"\n[{server.database}] file landed -> on-new-files run created {created:.1f} s, "
            f"completed {completed:.1f} s (run took {run['total_run_time']:.1f} s)"
        )
    assert created < trigger_limit_s(server, new_files_run, capsys), (
        "the trigger should create the run within seconds of the file"
    )


def trigger_limit_s(server: Server, new_files_run: NewFilesRun, capsys) -> float:
    """Seconds from landing to the run's creation, plus one busy timeout where SQLite said so.

    Now and then Prefect's server holds its SQLite database locked for a whole busy timeout
    (PrefectHQ/prefect #10188, #18934); the event then waits that out and is retried. Allow one
    such wait when the server logged it, and say so. PostgreSQL has no such lock: there the
    server must have logged no database error at all.
    """
    if server.database == "postgresql":
        assert new_files_run.database_errors == [], new_files_run.database_errors
        return TRIGGER_S
    locked = sum(SQLITE_LOCKED in line for line in new_files_run.database_errors)
    if not locked:
        return TRIGGER_S
    limit_s = TRIGGER_S + SQLITE_BUSY_TIMEOUT_S
    with capsys.disabled():
        print(
            f"the server's log said '{SQLITE_LOCKED}' {locked} times meanwhile: "
            f"allowing {limit_s} s"
        )
    return limit_s


def test_the_follow_up_run_rewrites_the_report_with_the_agents(deployed, new_files_run):
    run = new_files_run.run
    server = deployed.server
    automations = on_new_files_automations(server)
    assert set(automations) == {NEW_FILES_TRIGGER, FOLLOW_UP_TRIGGER}, automations

    follow_up = wait_for(
        lambda: follow_up_runs(server, FINAL_STATES),
        RUN_TIMEOUT_S,
        every_s=1,
        what="the follow-up run with the agents",
    )

    assert [r["state"]["type"] for r in follow_up] == ["COMPLETED"], server.logs()
    # The new-files trigger created the first run, the follow-up trigger the second one (after
    # the first completed: the flow itself starts nothing), both of the on-new-files deployment.
    assert run["created_by"] == {
        "id": automations[NEW_FILES_TRIGGER],
        "type": "AUTOMATION",
        "display_value": NEW_FILES_TRIGGER,
    }
    assert follow_up[0]["created_by"] == {
        "id": automations[FOLLOW_UP_TRIGGER],
        "type": "AUTOMATION",
        "display_value": FOLLOW_UP_TRIGGER,
    }
    assert follow_up[0]["deployment_id"] == run["deployment_id"]
    assert iso_seconds(follow_up[0]["created"]) >= iso_seconds(run["end_time"])
    assert f"automation {FOLLOW_UP_TRIGGER!r} starts the follow-up run" in run_logs(
        server, run["id"]
    )
    for same in ("sources", "out_dir", "backend", "max_retries"):
        assert follow_up[0]["parameters"][same] == run["parameters"][same], same
    out = Path(run["parameters"]["out_dir"])
    calls = pl.read_parquet(out / "tables" / "agent_calls.parquet")
    assert sorted(set(calls["agent"])) == ["A", "B"]
    assert "the agents' analysis follows" not in (out / "reports" / "combined.md").read_text()

    # No loop: the follow-up run's own completion starts nothing.
    time.sleep(max(0.0, iso_seconds(follow_up[0]["end_time"]) + NO_LOOP_S - time.time()))
    runs = server.flow_runs("benchmark-report/on-new-files")
    assert [r["id"] for r in runs] == [run["id"], follow_up[0]["id"]], [
        (r["name"], r["parameters"].get("agents"), r["created_by"]) for r in runs
    ]


def test_a_manual_run_with_parameters_writes_tables_and_reports(deployed, manual_run):
    result, out = manual_run

    assert result.returncode == 0, result.stdout + result.stderr + deployed.server.logs()
    for table in ("files", "metrics", "quarantine", "findings", "claims", "agent_calls"):
        assert (out / "tables" / f"{table}.parquet").is_file(), table
    for report in ("agent_a.md", "agent_b.md", "combined.md"):
        assert (out / "reports" / report).read_text().startswith("# "), report
    calls = pl.read_parquet(out / "tables" / "agent_calls.parquet")
    assert set(calls["backend"]) == {"embedded"}
    # The agents ran as their own deployment, on the gpu pool's worker.
    agent_runs = deployed.server.flow_runs("agent-analysis/gpu")
    assert [r["state"]["type"] for r in agent_runs] == ["COMPLETED"]


def test_lineage_lists_the_tables_and_source_files_behind_a_report(deployed, manual_run):
    _, out = manual_run

    found = lineage(deployed, out / "reports" / "combined.md")

    files = pl.read_parquet(out / "tables" / "files.parquet")
    parsed = files.filter(pl.col("status") == "parsed")["path"].to_list()
    assert sorted(found["sources"]) == sorted(parsed)
    tables = {Path(path).name for path in found["tables"]}
    assert {"findings.parquet", "metrics.parquet", "files.parquet"} <= tables
