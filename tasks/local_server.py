"""A local Prefect server left running between runs, so a one-off `chimera run` starts fast.

A run without PREFECT_API_URL needs a Prefect API. Prefect's temporary server (a uvicorn child
that the run starts, waits for and stops) is most of what a one-off run of the corpus spends
outside its stages: importing Prefect's server package into the run's process takes 1.4 s, the
child about 3 s more to answer, on 2 cores. `chimera server start` runs Prefect's own background
server (`prefect server start --background`, stopped by `prefect server stop`) on 127.0.0.1 and
notes its address in PREFECT_HOME; a later run finds it there, checks that it answers, and uses
it: 9.2 s -> 6.3 s for a re-run of the corpus with the agents off (bench/bench_start.py, figures
in bench/RESULTS.md). Everything the run does is then also kept in that server's UI.

In: the port to serve on, PREFECT_HOME (Prefect's own setting). Out: the server's API address,
or None when no such server answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

STATE_FILE = "chimera-server.json"  # beside Prefect's own server.pid in PREFECT_HOME
PREFECT_PID_FILE = "server.pid"  # written by `prefect server start --background`
DEFAULT_PORT = 4200
# The settings a run without a server gets by default (flows/cli.py): the same for the server.
SERVER_ENV = {"DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


class LocalServerError(RuntimeError):
    """The local server could not be started or stopped; the message says why."""


def state_path() -> Path:
    from prefect.settings import PREFECT_HOME

    return Path(PREFECT_HOME.value()) / STATE_FILE


def answers(api_url: str, timeout: float = 1.0) -> bool:
    """Whether a Prefect API answers its health check at `api_url` within `timeout` seconds."""
    try:
        return httpx.get(f"{api_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def recorded_url() -> str | None:
    """The API address `chimera server start` noted, whether or not it still answers."""
    try:
        return json.loads(state_path().read_text())["api_url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_server_url(timeout: float = 1.0) -> str | None:
    """The API address of the server `chimera server start` left running, if it answers."""
    url = recorded_url()
    return url if url and answers(url, timeout) else None


def _prefect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env={**os.environ, **SERVER_ENV},
        capture_output=True,
        text=True,
        check=False,
    )


def start_local_server(port: int = DEFAULT_PORT, timeout: float = 120.0) -> str:
    """Start Prefect's background server on 127.0.0.1:`port` (or find it already running) and
    note its address for later runs; its API address. Raises LocalServerError with the
    reason when it does not answer within `timeout` seconds."""
    api_url = f"http://127.0.0.1:{port}/api"
    if answers(api_url):
        _note(api_url)
        return api_url
    _forget_dead_server()
    started = _prefect(
        "server", "start", "--background", "--host", "127.0.0.1", "--port", str(port)
    )
    if started.returncode != 0:
        reason = " ".join((started.stderr or started.stdout).split()[-40:])
        raise LocalServerError(f"prefect server start failed: {reason}")
    deadline = time.monotonic() + timeout
    while not answers(api_url):
        if time.monotonic() > deadline:
            raise LocalServerError(
                f"the server started but did not answer at {api_url} within {timeout:.0f} s"
            )
        time.sleep(0.2)
    _note(api_url)
    return api_url


def _forget_dead_server() -> None:
    """Remove Prefect's pid file when its process is gone. A background server killed without
    `prefect server stop` (kill -9, a reboot) leaves it, and `prefect server start
    --background` then refuses, saying a server is already running. A live process is left
    alone, whatever it is."""
    pid_file = state_path().parent / PREFECT_PID_FILE
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    if not _alive(pid):
        pid_file.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    """Whether the process runs: not gone, and not a zombie (killed, its exit not yet collected
    by the process that adopted it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):  # no /proc (not Linux): trust kill
        return True
    return state != "Z"


def _note(api_url: str) -> None:
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_url": api_url}) + "\n")


def stop_local_server() -> bool:
    """Stop the background server and forget its address; whether one was noted."""
    path = state_path()
    noted = path.exists()
    stopped = _prefect("server", "stop")
    path.unlink(missing_ok=True)
    if stopped.returncode != 0:
        reason = " ".join((stopped.stderr or stopped.stdout).split()[-40:])
        raise LocalServerError(f"prefect server stop failed: {reason}")
    return noted
