"""Prefect's temporary server for a run without a Prefect API, started as a child process
without loading Prefect's server package into the run.

Prefect's own way (prefect.server.api.server.SubprocessASGIServer, what a flow called with no
API starts) imports the server package (FastAPI, its database models, its services) into the
run's process just to start the child, held from the run's start to its end: a one-task flow's
process grew from 332 to 406 MB (to 336 MB with a server's address given), and the import
takes 1.4 s on 2 cores (tasks/local_server.py). This starts the same child the same way (uvicorn
serving Prefect's app factory, with the same settings and the marks Prefect gives it, which
tasks.orphan_servers looks for), waits until it answers, and stops it when the run's process
exits. What the server prints goes to a temporary file, not to the run's terminal: stopped while
its task-run recorder was writing (a loaded machine), Prefect's server printed some 200 lines of
tracebacks after the run's summary, about events of a database thrown away with it; a server that
fails to start has its last lines in the error instead.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tasks.local_server import answers

# What Prefect sets for its temporary server: no UI; the server is ephemeral (its database
# migrated at start; what tasks.orphan_servers recognises).
SERVER_ENV = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}
# uvicorn's exit status when it cannot bind its port, and when the app fails to start: told
# apart by what it printed.
_STARTUP_FAILED = 3
_PORT_TAKEN_SAYS = "address already in use"
_STOP_WAIT_S = 5.0
_LAST_WORDS_LINES = 3


class TemporaryServerError(RuntimeError):
    """The temporary server did not start or answer; the message says why."""


def _free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TemporaryServer:
    """A Prefect server in a child process, started at once; `api_url()` waits until it
    answers. Stopped by `stop()` or when this process exits."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = self._start()
        self._answered = False
        atexit.register(self.stop)

    def _start(self) -> subprocess.Popen[bytes]:
        import prefect
        from prefect.settings import get_current_settings

        settings = get_current_settings().to_environment_variables(exclude_unset=True)
        # The server's stdout and stderr; closed by stop(), when the server has ended.
        self._output = tempfile.TemporaryFile()  # noqa: SIM115
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(Path(prefect.__file__).parent.parent),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env={**os.environ, **SERVER_ENV, **settings},
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def api_url(self, timeout_s: float | None = None) -> str:
        """The server's API address, once its health check answers (within `timeout_s`,
        Prefect's PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS by default). A port taken
        meanwhile by another process: started again on another."""
        if self._answered:
            return self.address
        if timeout_s is None:
            from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

            timeout_s = float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self.process.poll()
            if status == _STARTUP_FAILED and _PORT_TAKEN_SAYS in self._printed():
                self._output.close()
                self.port = _free_port()
                self.process = self._start()
            elif status is not None:
                raise TemporaryServerError(
                    f"the temporary Prefect server exited with status {status} before it "
                    f"answered; it said: {self._last_words()}"
                )
            if answers(self.address, timeout=2.0):
                self._answered = True
                return self.address
            time.sleep(0.1)
        said = self._last_words()
        self.stop()
        raise TemporaryServerError(
            f"the temporary Prefect server did not answer at {self.address} within "
            f"{timeout_s:.0f} s; it said: {said}"
        )

    def _printed(self) -> str:
        if self._output.closed:  # stopped already
            return ""
        # At offset 0 without moving the file's offset, which the server writes at.
        descriptor = self._output.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")

    def _last_words(self) -> str:
        # Without a traceback's indented frames: the error and what uvicorn made of it.
        lines = [line for line in self._printed().splitlines() if line[:1] not in ("", " ")]
        return " / ".join(lines[-_LAST_WORDS_LINES:]) or "nothing"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); nothing when it has ended."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=_STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._output.close()
