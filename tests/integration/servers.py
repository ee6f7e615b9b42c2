"""A team's Prefect set-up on one machine, for the integration tests (fixtures in conftest.py).

`start_server` starts `prefect server start` (its own PREFECT_HOME, basic auth on, the UI
served) on SQLite or on a PostgreSQL server it starts too; `deploy` creates the two work pools
(`chimera-cpu`, and `gpu` from deployments/gpu-pool.base-job-template.json) and the folders
variable, runs `prefect deploy --all` of prefect.yaml, and starts a worker per pool and
`chimera watch` on a sample benchmark folder. Every process goes into the server's `Processes`,
so stopping those stops everything.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from tasks.samples.corpus import write_sample_corpus
from tests.integration.processes import Processes, command_env, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
DATABASES = ("sqlite", "postgresql")
# Runs in tests use the embedded model, greedy, with no guard retries: the same answers, fast.
FAST_RUN = {
    "backend": "embedded",
    "max_retries": 0,
    "options_a": {"temperature": 0.0, "seed": 7},
    "options_b": {"temperature": 0.0, "seed": 7},
}
SERVER_START_S = 180  # a cold start on 2 busy cores takes a while
RUN_TIMEOUT_S = 300
FINAL_STATES = ["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]
RETRY_STATUSES = {429, 502, 503}  # the ones Prefect's client retries
API_ATTEMPTS = 6  # 0.5 + 1 + 2 + 4 + 8 s of waiting at most


@dataclass
class Server:
    database: str  # sqlite | postgresql
    api_url: str
    auth: str
    processes: Processes
    root: Path

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    def headers(self) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(self.auth.encode()).decode()}

    def request(self, method: str, path: str, body: dict | None = None) -> httpx.Response:
        """One API call, retried as Prefect's own client retries it.

        On SQLite the server answers 503 while the database is busy (the scheduler inserting
        runs right after a deploy, say): a "try again", not a failure. A read it leaves
        unanswered for 30 s is asked once more (seen once in CI on SQLite, right after a
        follow-up run; the same test passed alone); a write never is, since it may have landed.
        """
        for attempt in range(API_ATTEMPTS):
            try:
                response = httpx.request(
                    method, f"{self.api_url}{path}", json=body, headers=self.headers(), timeout=30
                )
            except httpx.ReadTimeout:
                if method != "GET" or attempt > 0:
                    raise
                continue
            if response.status_code not in RETRY_STATUSES or attempt == API_ATTEMPTS - 1:
                break
            time.sleep(0.5 * 2**attempt)
        response.raise_for_status()
        return response

    def deployment_id(self, name: str) -> str:
        return self.request("GET", f"/deployments/name/{name}").json()["id"]

    def flow_run(self, flow_run_id: str) -> dict:
        return self.request("GET", f"/flow_runs/{flow_run_id}").json()

    def flow_runs(self, deployment: str, state_types: list[str] | None = None) -> list[dict]:
        flow_runs: dict = {"deployment_id": {"any_": [self.deployment_id(deployment)]}}
        if state_types:
            flow_runs["state"] = {"type": {"any_": state_types}}
        body = {"flow_runs": flow_runs, "sort": "EXPECTED_START_TIME_ASC"}
        return self.request("POST", "/flow_runs/filter", body).json()

    def logs(self) -> str:
        return "\n\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.processes.started)

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def log_size(self) -> int:
        return self.log.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")


@dataclass
class Deployed:
    server: Server
    bench: Path  # the watched folder
    out: Path  # CHIMERA_OUT_DIR


def iso_seconds(text: str) -> float:
    """An API timestamp as seconds since the epoch."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def server_processes(root: Path, port: int, auth: str) -> Processes:
    """Where the set-up's commands run, logging into `root`: its own PREFECT_HOME, the API's
    URL and auth string for every client."""
    env = command_env(
        {
            "PREFECT_HOME": str(root / "prefect-home"),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_API_AUTH_STRING": auth,
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # The server's own setting below serves the UI; the clients need none.
            "PREFECT_UI_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "CHIMERA_PROJECT_DIR": str(REPO_ROOT),
            "CHIMERA_OUT_DIR": str(root / "out"),
        }
    )
    return Processes(log_dir=root, env=env)


def start_server(
    database: str, processes: Processes, port: int, database_url: str | None = None
) -> Server:
    """`prefect server start` with the UI, on SQLite in its PREFECT_HOME or at `database_url`."""
    auth = processes.env["PREFECT_API_AUTH_STRING"]
    server_env = {"PREFECT_SERVER_API_AUTH_STRING": auth, "PREFECT_UI_ENABLED": "true"}
    if database_url:
        server_env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    processes.start(
        "server",
        ["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        extra_env=server_env,
    )
    wait_for(
        lambda: httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).is_success,
        SERVER_START_S,
        what="the server's /api/health",
    )
    return Server(database, processes.env["PREFECT_API_URL"], auth, processes, processes.log_dir)


def deploy(server: Server) -> Deployed:
    """Pools, the folders variable, prefect.yaml deployed, workers and the watcher running."""
    processes, root = server.processes, server.root
    bench = root / "bench"
    write_sample_corpus(bench)

    # Independent set-up commands run side by side: each pays the CLI's start-up time.
    setup = [
        ["prefect", "work-pool", "create", "chimera-cpu", "--type", "process"],
        [
            "prefect",
            "work-pool",
            "create",
            "gpu",
            "--type",
            "process",
            "--base-job-template",
            str(REPO_ROOT / "deployments/gpu-pool.base-job-template.json"),
        ],
        ["prefect", "variable", "set", "chimera_benchmark_folders", json.dumps([str(bench)])],
    ]
    started = [processes.start(f"setup-{i}", command) for i, command in enumerate(setup)]
    for step in started:
        assert step.process.wait(timeout=120) == 0, step.tail()

    result = processes.run(["prefect", "--no-prompt", "deploy", "--all"], cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    on_new_files = server.deployment_id("benchmark-report/on-new-files")
    defaults = server.request("GET", f"/deployments/{on_new_files}").json()["parameters"]
    assert defaults == {"agents": "follow-up"}
    # What an operator would set as the triggered runs' defaults, to keep them fast.
    server.request("PATCH", f"/deployments/{on_new_files}", {"parameters": defaults | FAST_RUN})

    processes.start(
        "worker-cpu", ["prefect", "worker", "start", "--pool", "chimera-cpu", "--name", "cpu-1"]
    )
    processes.start(
        "worker-gpu", ["prefect", "worker", "start", "--pool", "gpu", "--name", "gpu-1"]
    )
    watcher = processes.start(
        "watcher",
        ["chimera", "watch", str(bench), "--quiet", "1", "--state-dir", str(root / "watch-state")],
    )
    wait_for(
        lambda: "watching" in watcher.log.read_text(),
        60,
        every_s=0.5,
        what="chimera watch to start",
    )
    return Deployed(server=server, bench=bench, out=root / "out")
