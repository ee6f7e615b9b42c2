from pathlib import Path

from tasks.report.layout import REPORT_FILES, remove_stale_reports, report_folder


def _write_run(reports: Path, runs: int) -> None:
    for run in range(1, runs + 1):
        folder = report_folder(reports, run, runs)
        folder.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            (folder / name).write_text(f"# run {run} of {runs}\n")


def _reports(reports: Path) -> list[str]:
    return sorted(str(p.relative_to(reports)) for p in reports.rglob("*.md"))


def test_fewer_runs_than_last_time_leave_only_this_runs_reports(tmp_path):
    reports = tmp_path / "reports"
    _write_run(reports, 10)
    _write_run(reports, 3)

    removed = remove_stale_reports(reports, 3)

    assert len(removed) == 7 * len(REPORT_FILES)
    assert _reports(reports) == [f"run-{r}/{n}" for r in (1, 2, 3) for n in REPORT_FILES]
    assert not (reports / "run-4").exists()


def test_one_run_after_many_removes_the_run_folders(tmp_path):
    reports = tmp_path / "reports"
    _write_run(reports, 3)
    _write_run(reports, 1)

    remove_stale_reports(reports, 1)

    assert _reports(reports) == sorted(REPORT_FILES)


def test_many_runs_after_one_remove_the_top_level_reports_and_keep_other_files(tmp_path):
    reports = tmp_path / "reports"
    _write_run(reports, 1)
    (reports / "summary.md").write_text("# summary\n")
    (reports / "run-notes").mkdir()
    (reports / "run-notes" / "mine.md").write_text("kept\n")
    _write_run(reports, 2)

    remove_stale_reports(reports, 2)

    assert _reports(reports) == sorted(
        ["run-notes/mine.md", "summary.md"] + [f"run-{r}/{n}" for r in (1, 2) for n in REPORT_FILES]
    )


def test_a_first_run_removes_nothing(tmp_path):
    assert remove_stale_reports(tmp_path / "reports", 3) == []
