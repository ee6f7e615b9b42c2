"""Named points where a run can be killed on purpose, to prove that a crash anywhere leaves the
output folder usable and that the next run repairs it.

With CHIMERA_CRASH_AT=<point> in the environment, the run kills itself with SIGKILL when it
reaches that point: no handler, no atexit, no flush, as a power cut or the OOM killer would.
The fault-injection tests (tests/faults/) run real `chimera run` processes this way. A run
passes six points, each reading the settings once.
"""

from __future__ import annotations

import os
import signal

from tasks.settings import settings

CRASH_AT = "CHIMERA_CRASH_AT"

POINTS = {
    "parsed": "every file parsed, nothing written yet",
    "between-tables": "files.parquet written, metrics.parquet not yet",
    "tables-written": "every table written, no report yet",
    "before-commit": "tables and reports written, not yet published",
    "after-commit": "published, the replaced run's folder not yet removed",
    "history-append": "published, the run's history folder written but not yet renamed in",
}


def crash_point(name: str) -> None:
    """Kill this process with SIGKILL when CHIMERA_CRASH_AT names this point."""
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}; known: {', '.join(POINTS)}")
    if settings().crash_at == name:
        os.kill(os.getpid(), signal.SIGKILL)
