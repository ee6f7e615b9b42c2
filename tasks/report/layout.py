"""Where a run's reports go: reports/agent_a.md, agent_b.md, combined.md and report.html (the
combined report and the summary in one page for a browser) for one run; reports/run-1/ ..
run-N/ with `--runs N`; summary.md and charts/ in reports/. Each run writes into a fresh folder
(tasks.out_dir.stage_run), so no report of an earlier run is left beside the new tables.
"""

from __future__ import annotations

from pathlib import Path

COMBINED_REPORT = "combined.md"
HTML_REPORT = "report.html"  # beside each combined.md
REPORT_FILES = ("agent_a.md", "agent_b.md", COMBINED_REPORT, HTML_REPORT)


def report_folder(reports: Path, run: int, runs: int) -> Path:
    """The folder of run `run` (1-based) of `runs`."""
    return reports if runs == 1 else reports / f"run-{run}"
