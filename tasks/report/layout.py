"""Where a run's reports go: reports/agent_a.md, agent_b.md and combined.md for one run;
reports/run-1/ .. run-N/ with `--runs N`. Each run writes into a fresh folder
(tasks.out_dir.stage_run), so no report of an earlier run is left beside the new tables.
"""

from __future__ import annotations

from pathlib import Path

REPORT_FILES = ("agent_a.md", "agent_b.md", "combined.md")


def report_folder(reports: Path, run: int, runs: int) -> Path:
    """The folder of run `run` (1-based) of `runs`."""
    return reports if runs == 1 else reports / f"run-{run}"
