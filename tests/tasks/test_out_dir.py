"""The output folder: never inside a source, one run at a time."""

import multiprocessing
import os

import pytest

from tasks.out_dir import LOCK_NAME, OutDirError, check_out_dir, out_dir_lock


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
