"""The output folder: never inside a source, one run at a time."""

import multiprocessing
import os

import pytest

from tasks.out_dir import (
    LOCK_NAME,
    STATE,
    OutDirError,
    check_out_dir,
    commit_run,
    out_dir_lock,
    stage_run,
)


def test_an_out_inside_a_source_or_a_source_inside_out_is_refused(tmp_path):
    source = tmp_path / "bench"
    source.mkdir()

    with pytest.raises(OutDirError, match="is inside the source folder"):
        check_out_dir([source], source / "out")
    with pytest.raises(OutDirError, match="is inside --out"):
        check_out_dir([source], tmp_path)
    assert check_out_dir([source], tmp_path / "out") == (tmp_path / "out").resolve()


def _hold(out: str, ready, release) -> None:
    with out_dir_lock(out):
        ready.set()
        release.wait(10)


def test_a_second_run_into_a_held_folder_is_told_who_holds_it(tmp_path):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(30)
        busy = rf"in use by another run \(process {holder.pid} on "
        with pytest.raises(OutDirError, match=busy), out_dir_lock(tmp_path):
            pass
    finally:
        release.set()
        holder.join(30)
    # released with the process: the next run gets it
    with out_dir_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).is_file()


def test_a_killed_holder_leaves_no_lock(tmp_path):
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(str(tmp_path), ready, release))
    holder.start()
    assert ready.wait(30)
    os.kill(holder.pid, 9)
    holder.join(30)

    with out_dir_lock(tmp_path):
        pass


def _write(run, text: str) -> None:
    (run / "tables" / "metrics.parquet").write_text(text)
    (run / "reports" / "combined.md").write_text(text)


def test_a_run_is_published_whole_and_a_killed_one_leaves_the_last(tmp_path):
    first = stage_run(tmp_path)
    _write(first, "first")
    commit_run(tmp_path, first)
    assert (tmp_path / "tables" / "metrics.parquet").read_text() == "first"

    killed = stage_run(tmp_path)  # written, never committed: the process died
    _write(killed, "half")
    assert (tmp_path / "reports" / "combined.md").read_text() == "first"

    third = stage_run(tmp_path)  # the next run clears what the killed one left
    assert not killed.exists()
    _write(third, "third")
    commit_run(tmp_path, third)
    assert (tmp_path / "tables" / "metrics.parquet").read_text() == "third"
    assert not first.exists()
    assert sorted(p.name for p in (tmp_path / STATE).iterdir()) == ["current", third.name]


def test_folders_it_did_not_write_are_refused_or_moved_aside_never_deleted(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "mine.md").write_text("a user's notes")

    with pytest.raises(OutDirError, match="already holds reports that chimera did not write"):
        stage_run(tmp_path)
    run = stage_run(tmp_path, force=True)

    kept = list((tmp_path / STATE).glob("replaced-*/reports/mine.md"))
    assert [p.read_text() for p in kept] == ["a user's notes"]
    assert run.is_dir() and (tmp_path / "reports").is_symlink()


def test_removing_old_runs_never_follows_a_symlink(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    out = tmp_path / "out"
    stage_run(out)
    (out / STATE / "run-planted").symlink_to(elsewhere)

    stage_run(out)

    assert (elsewhere / "keep.txt").read_text() == "not ours"
