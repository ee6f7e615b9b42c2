"""SIGTERM stops a run and the temporary Prefect server it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest


def _servers(marker: str) -> list[int]:
    """Process ids of Prefect servers whose environment names `marker` (this test's run)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ")
            with open(f"/proc/{pid}/environ", "rb") as handle:
                environment = handle.read()
        except OSError:
            continue
        if b"uvicorn" in command and marker.encode() in environment:
            found.append(int(pid))
    return found


@pytest.mark.slow
def test_sigterm_stops_the_run_and_its_temporary_server(tmp_path):
    sources = tmp_path / "bench"
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "sample", str(sources)], check=True, timeout=120
    )
    marker = f"chimera-sigterm-{os.getpid()}"
    environment = {**os.environ, "CHIMERA_TEST_MARKER": marker}
    environment.pop("PREFECT_API_URL", None)  # the run starts its own temporary server
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "run",
            str(sources),
            "--out",
            str(tmp_path / "out"),
            "--backend",
            "embedded",
        ],  # fmt: skip
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not _servers(marker) and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.5)
    assert _servers(marker), "the run should have started its temporary server"

    run.send_signal(signal.SIGTERM)
    assert run.wait(60) == 128 + signal.SIGTERM
    time.sleep(2)
    assert _servers(marker) == []
