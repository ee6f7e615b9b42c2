"""`chimera server start` leaves a local Prefect server running that later runs report to;
`chimera server stop` stops it, and runs go back to a temporary server of their own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tasks.samples.corpus import write_sample_corpus


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def environment(tmp_path):
    """A Prefect home of this test's own (the server's database and the noted address), with the
    local server allowed (the test session turns it off for every other test)."""
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    env["CHIMERA_LOCAL_SERVER"] = "true"
    return env


def _chimera(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )


@pytest.mark.slow
def test_runs_report_to_the_local_server_until_it_is_stopped(tmp_path, environment):
    sources = tmp_path / "bench"
    write_sample_corpus(sources)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    started = _chimera(environment, "server", "start", "--port", str(port))
    try:
        assert started.returncode == 0, started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout
        assert _chimera(environment, "server", "status").returncode == 0

        run = _chimera(environment, "run", str(sources), "--out", str(tmp_path / "out"),
                       "--agents", "off")  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert f"reporting to the local Prefect server at {api}" in run.stderr
        assert "temporary Prefect server" not in run.stderr
        # The run, its task runs and its last log line are kept in the server after it exits.
        flow_runs = httpx.post(f"{api}/flow_runs/filter", json={}).json()
        assert [r["state"]["type"] for r in flow_runs] == ["COMPLETED"]
        logs = httpx.post(
            f"{api}/logs/filter", json={"logs": {"flow_run_id": {"any_": [flow_runs[0]["id"]]}}}
        ).json()
        assert "Finished in state Completed" in logs[-1]["message"]
    finally:
        stopped = _chimera(environment, "server", "stop")
    assert stopped.returncode == 0, stopped.stderr
    status = _chimera(environment, "server", "status")
    assert status.returncode == 1
    assert "no local Prefect server answers" in status.stdout

    # With the server gone, a run starts a temporary one again.
    rerun = _chimera(environment, "run", str(sources), "--out", str(tmp_path / "out"),
                     "--agents", "off")  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert "reporting to the local Prefect server" not in rerun.stderr
    assert "reporting to a temporary Prefect server at http://127.0.0.1:" in rerun.stderr


@pytest.mark.slow
def test_a_server_killed_without_stop_can_be_started_again(environment, tmp_path):
    port = _free_port()
    assert _chimera(environment, "server", "start", "--port", str(port)).returncode == 0
    pid_file = tmp_path / "prefect-home" / "server.pid"
    os.kill(int(pid_file.read_text()), signal.SIGKILL)  # as a reboot or the OOM killer would
    try:
        again = _chimera(environment, "server", "start", "--port", str(port))
        assert again.returncode == 0, again.stderr
        assert _chimera(environment, "server", "status").returncode == 0
    finally:
        _chimera(environment, "server", "stop")


def test_status_says_when_the_noted_server_does_not_answer(tmp_path, environment):
    from tasks.local_server import STATE_FILE

    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / STATE_FILE).write_text(f'{{"api_url": "http://127.0.0.1:{_free_port()}/api"}}\n')

    status = _chimera(environment, "server", "status")

    assert status.returncode == 1
    assert "no local Prefect server answers at http://127.0.0.1:" in status.stdout
