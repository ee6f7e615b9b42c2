"""Prefect's temporary server for a run without an API, started without loading Prefect's
server package into the run's process, and stopped with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tasks.local_server import _alive

pytestmark = pytest.mark.slow

# In a fresh interpreter: start the server, ask its API, report what the process loaded.
_SCRIPT = """
import json, sys, httpx
from tasks.temporary_server import TemporaryServer
server = TemporaryServer()
url = server.api_url()
health = httpx.get(url + "/health").status_code
server_modules = sorted(m for m in sys.modules if m.startswith("prefect.server"))
print(json.dumps({"url": url, "health": health, "pid": server.process.pid,
                  "server_modules": server_modules}))
"""


def _run(script: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """The script in a fresh interpreter with no Prefect API set, offline."""
    inherited = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=180,
        env={
            **inherited,
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            **environment,
        },
        check=True,
    )


def test_the_run_reaches_a_temporary_server_that_it_did_not_load_and_that_ends_with_it() -> None:
    report = json.loads(_run(_SCRIPT).stdout.strip().splitlines()[-1])

    assert report["url"].startswith("http://127.0.0.1:") and report["url"].endswith("/api")
    assert report["health"] == 200
    assert report["server_modules"] == []
    # Stopped when the run's process exited.
    assert not _alive(report["pid"])


_FAILING = """
from tasks.temporary_server import TemporaryServer, TemporaryServerError
try:
    TemporaryServer().api_url()
except TemporaryServerError as error:
    print("ERROR:", error)
"""


def test_a_server_that_cannot_start_says_why_in_the_error_not_on_the_terminal(tmp_path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    done = _run(
        _FAILING,
        # a database inside a file: SQLite cannot open it, so the server's start fails
        PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{not_a_folder}/p.db",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="150",
    )

    error = done.stdout.strip().splitlines()[-1]
    assert error.startswith("ERROR: the temporary Prefect server exited with status")
    assert "unable to open database file" in error
    assert "Traceback" not in done.stderr


_PORT_TAKEN = """
import json, socket
import tasks.temporary_server as temporary
held = socket.socket()
held.bind(("127.0.0.1", 0))
held.listen()
taken = held.getsockname()[1]
ports = [taken]
free_port = temporary._free_port
temporary._free_port = lambda: ports.pop() if ports else free_port()
server = temporary.TemporaryServer()
print(json.dumps({"taken": taken, "url": server.api_url()}))
"""


def test_a_port_taken_before_the_server_binds_it_is_left_for_another() -> None:
    report = json.loads(_run(_PORT_TAKEN).stdout.strip().splitlines()[-1])

    assert report["url"].startswith("http://127.0.0.1:")
    assert f":{report['taken']}/" not in report["url"]
