"""Which changes count, and how bursts are grouped per folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.watch.changes import ContentLedger, Debouncer, is_benchmark_file, watched_folder_of


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("run.csv", True),
        ("summary.JSON", True),
        ("REPORT.md", True),
        ("notes.txt", False),
        ("bench.py", False),
        (".run.csv.tmp", False),
        (".hidden.csv", False),
        ("run.csv.part", False),
    ],
)
def test_only_visible_csv_json_and_markdown_files_count(name, expected):
    assert is_benchmark_file(Path("/data") / name) is expected


def test_a_file_belongs_to_the_deepest_watched_folder_above_it():
    folders = [Path("/data"), Path("/data/team-a"), Path("/other")]

    assert watched_folder_of(Path("/data/team-a/x/run.csv"), folders) == Path("/data/team-a")
    assert watched_folder_of(Path("/data/run.csv"), folders) == Path("/data")
    assert watched_folder_of(Path("/elsewhere/run.csv"), folders) is None


def test_a_burst_is_released_once_as_one_group_after_the_folder_goes_quiet():
    debouncer = Debouncer(quiet_s=2.0, max_wait_s=20.0, cooldown_s=0.0)
    folder = Path("/data")
    for t, name in [(0.0, "a.csv"), (0.5, "b.json"), (1.0, "a.csv"), (1.4, "c.md")]:
        debouncer.note(folder / name, folder, now=t)

    assert debouncer.due(now=3.0) == {}  # only 1.6 s since the last change
    released = debouncer.due(now=3.4)
    assert released == {folder: [folder / "a.csv", folder / "b.json", folder / "c.md"]}
    assert debouncer.due(now=10.0) == {}
    assert debouncer.pending() == 0


def test_a_folder_that_never_goes_quiet_is_still_released_after_max_wait():
    debouncer = Debouncer(quiet_s=2.0, max_wait_s=5.0, cooldown_s=0.0)
    folder = Path("/data")
    for step in range(12):
        debouncer.note(folder / f"f{step}.csv", folder, now=step * 0.5)

    assert list(debouncer.due(now=5.5)) == [folder]


def test_folders_are_released_independently():
    debouncer = Debouncer(quiet_s=2.0, max_wait_s=20.0, cooldown_s=0.0)
    debouncer.note(Path("/a/x.csv"), Path("/a"), now=0.0)
    debouncer.note(Path("/b/y.csv"), Path("/b"), now=1.5)

    assert list(debouncer.due(now=2.5)) == [Path("/a")]
    assert list(debouncer.due(now=3.5)) == [Path("/b")]


def test_the_next_burst_of_a_folder_waits_out_the_cooldown():
    debouncer = Debouncer(quiet_s=1.0, max_wait_s=20.0, cooldown_s=15.0)
    folder = Path("/data")
    debouncer.note(folder / "a.csv", folder, now=0.0)
    assert list(debouncer.due(now=1.0)) == [folder]

    debouncer.note(folder / "b.csv", folder, now=3.0)

    assert debouncer.due(now=10.0) == {}  # quiet, but only 9 s after the last release
    assert debouncer.due(now=16.0) == {folder: [folder / "b.csv"]}


def test_the_ledger_knows_content_it_has_seen_by_hash():
    ledger = ContentLedger()
    path = Path("/data/run.csv")
    assert ledger.is_new_content(path, "aa")

    ledger.record(path, "aa")

    assert not ledger.is_new_content(path, "aa")
    assert ledger.is_new_content(path, "bb")
