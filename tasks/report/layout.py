"""Where a run's reports go, and which reports an earlier run into the same folder left behind.

One run writes reports/agent_a.md, agent_b.md and combined.md; `--runs N` writes them to
reports/run-1/ .. run-N/. A re-run into the same output folder rewrites the tables, so reports
of the earlier run that this one does not rewrite (run-7/ after --runs 10 then --runs 3, or the
top-level files after --runs 1 then --runs 3) would describe tables that no longer exist.
"""

from __future__ import annotations

import re
from pathlib import Path

REPORT_FILES = ("agent_a.md", "agent_b.md", "combined.md")
_RUN_FOLDER = re.compile(r"run-(\d+)")


def report_folder(reports: Path, run: int, runs: int) -> Path:
    """The folder of run `run` (1-based) of `runs`."""
    return reports if runs == 1 else reports / f"run-{run}"


def stale_reports(reports: Path, runs: int) -> list[Path]:
    """Report files under `reports` that a run of `runs` runs does not write."""
    stale: list[Path] = []
    if runs > 1:
        stale += [reports / name for name in REPORT_FILES if (reports / name).is_file()]
    if reports.is_dir():
        for folder in sorted(reports.iterdir()):
            found = _RUN_FOLDER.fullmatch(folder.name)
            if found and folder.is_dir() and (runs == 1 or int(found.group(1)) > runs):
                stale += [folder / name for name in REPORT_FILES if (folder / name).is_file()]
    return stale


def remove_stale_reports(reports: Path, runs: int) -> list[Path]:
    """Delete what stale_reports finds (and run folders left empty); returns what was deleted."""
    stale = stale_reports(reports, runs)
    for path in stale:
        path.unlink()
    for folder in {path.parent for path in stale if path.parent != reports}:
        if not any(folder.iterdir()):
            folder.rmdir()
    return stale
