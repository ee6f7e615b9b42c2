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


def test_the_run_reaches_a_temporary_server_that_it_did_not_load_and_that_ends_with_it() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        timeout=180,
        env={**environment, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["url"].startswith("http://127.0.0.1:") and report["url"].endswith("/api")
    assert report["health"] == 200
    assert report["server_modules"] == []
    # Stopped when the run's process exited.
    assert not _alive(report["pid"])
