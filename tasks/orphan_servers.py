"""Temporary Prefect servers left running by killed runs: found and stopped by the next run.

A run without PREFECT_API_URL starts Prefect's temporary server as a child process (uvicorn,
about 200 MB). Prefect stops it at exit and the CLI turns SIGTERM into an exit, but a SIGKILL
(the OOM killer, kill -9, a CI timeout) leaves it running for good. So each run writes its own
identity (pid and start time, which together never repeat) into its environment, which the
server inherits; `stop_orphaned_servers` stops the temporary servers whose run is gone. Only
this user's processes are looked at, and only those that carry the mark: a server the user
started, or one whose run is still alive, is never touched. Linux only (/proc); elsewhere
nothing is found.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

OWNER = "CHIMERA_RUN_OWNER"
_PROC = Path("/proc")
_EPHEMERAL = b"PREFECT__SERVER_EPHEMERAL=1"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot, or None when it is gone."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so count after its ")".
    return stat.rpartition(")")[2].split()[19]


def run_identity(pid: int | None = None) -> str | None:
    """'<pid>:<start time>' of a live process (this one by default)."""
    pid = os.getpid() if pid is None else pid
    started = _start_time(pid)
    return f"{pid}:{started}" if started else None


def mark_run() -> None:
    """Mark this run's environment, so the temporary server it starts can be traced back."""
    identity = run_identity()
    if identity:
        os.environ[OWNER] = identity


def orphaned_servers() -> list[int]:
    """Process ids of this user's temporary Prefect servers whose marked run is gone."""
    if not _PROC.is_dir():
        return []
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if entry.stat().st_uid != os.getuid():
                continue
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if _EPHEMERAL not in environment:
            continue
        mark = f"{OWNER}=".encode()
        owner = next((v[len(mark) :].decode() for v in environment if v.startswith(mark)), None)
        if owner and run_identity(int(owner.split(":", 1)[0])) != owner:
            found.append(int(entry.name))
    return found


def stop_orphaned_servers(timeout_s: float = 5.0) -> list[int]:
    """Stop the orphaned servers (SIGTERM, then SIGKILL after timeout_s); their pids."""
    pids = orphaned_servers()
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    return pids


def _alive(pid: int) -> bool:
    try:
        state = (_PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; its parent (init, here) reaps it


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
