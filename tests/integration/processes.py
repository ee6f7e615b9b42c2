"""Long-running commands for the integration test, each in its own process group.

`Processes.start` launches a command in a new session with its output in a log file;
`Processes.stop_all` ends every group it started (SIGTERM, then SIGKILL), newest first, by PID.
Plus small helpers: a free port, an environment for the commands, and polling.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command_env(extra: dict[str, str]) -> dict[str, str]:
    """The test's environment without any PREFECT_ setting of the caller's, plus `extra`.

    The project's venv bin folder is appended to PATH, so `prefect` and `chimera` resolve to the
    project's commands when the venv is not activated.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    env["PATH"] = f"{env.get('PATH', '')}{os.pathsep}{VENV_BIN}"
    env.update(extra)
    return env


def wait_for(
    check: Callable[[], T],
    timeout_s: float,
    every_s: float = 1.0,
    what: str = "",
    fatal: type[Exception] | None = None,
) -> T:
    """Call `check` until it returns something truthy; fail after timeout_s, or at once when it
    raises `fatal` (a process that died will not come back)."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
        except Exception as error:  # the server may not answer yet
            if fatal is not None and isinstance(error, fatal):
                raise
            last_error = error
        else:
            if result:
                return result
        time.sleep(every_s)
    raise TimeoutError(
        f"timed out after {timeout_s:.0f} s waiting for {what or check}: {last_error!r}"
    )


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Processes:
    log_dir: Path
    env: dict[str, str]
    started: list[Started] = field(default_factory=list)

    def start(
        self,
        name: str,
        command: list[str],
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
        user: int | None = None,
        group: int | None = None,
    ) -> Started:
        """`command` in a new process group, logging to LOG_DIR/NAME.log; as `user` and `group`
        (ids; the caller must be root) when given, with no supplementary groups."""
        log = self.log_dir / f"{name}.log"
        as_user = {} if user is None else {"user": user, "group": group, "extra_groups": []}
        with log.open("wb") as handle:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env={**self.env, **(extra_env or {})},
                stdout=handle,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **as_user,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started

    def stop(self, started: Started, grace_s: float = 15.0) -> None:
        if started.process.poll() is not None:
            return
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(started.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                started.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self) -> None:
        for started in reversed(self.started):
            self.stop(started)
        # A group outlives its leader when a child (a flow run) is still going.
        for started in self.started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(started.process.pid, signal.SIGKILL)

    def run(
        self, command: list[str], timeout_s: float = 300, cwd: Path | None = None
    ) -> subprocess.CompletedProcess:
        """A short command to its end; its output is returned and must say why it failed."""
        return subprocess.run(
            command,
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            start_new_session=True,
        )
