"""The output folder a run owns: where it may be, one run at a time in it, and how a run's
outputs replace the last run's all at once.

- `check_out_dir`: an --out inside a source folder would be read back as benchmark data by the
  next run (its tables, its agents' call speeds as model throughput), and a source inside --out
  would be under the run's own writes; both are refused with a one-line reason.
- `out_dir_lock`: an OS lock (flock) on OUT/.chimera.lock held for the whole run. A second run
  into the same folder stops at once with a message naming the holder (process, host, start),
  instead of both writing and leaving the tables of one beside the reports of the other. The
  lock goes with the process, so a killed run leaves no lock behind, only the file.
- `stage_run` / `commit_run`: a run writes its tables, quality results and reports into a fresh
  folder OUT/.chimera/<run>/, and `commit_run` then points OUT/.chimera/current at it with one
  atomic rename of a symlink. OUT/tables, OUT/quality and OUT/reports are symlinks through
  `current`, so readers always see one run's complete outputs: a run killed at any point leaves
  the last committed run in place (its half-written folder is removed by the next run, which
  holds the lock), and a failed run never leaves new tables beside old reports.
- Only what this program made is ever removed: its own run folders under OUT/.chimera, never
  through a symlink. An OUT that holds tables/, quality/ or reports/ it did not make (a user's
  folder, or an output of an older version) is refused; with force=True those are moved aside
  into OUT/.chimera/replaced-<time>/, never deleted.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from tasks.crash_points import crash_point

LOCK_NAME = ".chimera.lock"
STATE = ".chimera"  # OUT/.chimera/<run>/ and OUT/.chimera/current -> <run>
CURRENT = "current"
PUBLISHED = ("tables", "quality", "reports")  # OUT/<name> -> .chimera/current/<name>


class OutDirError(ValueError):
    """The output folder cannot be used as asked; the message says why in one line."""


def check_out_dir(sources: Sequence[Path | str], out: Path | str) -> Path:
    """The resolved output folder, or OutDirError when it and a source contain one another."""
    out_path = Path(out).expanduser().resolve()
    for source in sources:
        source_path = Path(source).expanduser().resolve()
        if out_path == source_path or out_path.is_relative_to(source_path):
            raise OutDirError(
                f"--out {out} is inside the source folder {source}: the next run would read its "
                "own tables and reports as benchmark data; choose an output folder outside it"
            )
        if source_path.is_relative_to(out_path):
            raise OutDirError(
                f"the source folder {source} is inside --out {out}: choose an output folder "
                "that does not hold the benchmark files"
            )
    return out_path


def _holder(lock_file: Path) -> str:
    try:
        held = json.loads(lock_file.read_text(encoding="utf-8"))
        return f"process {held['pid']} on {held['host']} since {held['started']}"
    except (OSError, ValueError, KeyError):
        return "another process"


@contextmanager
def out_dir_lock(out: Path | str) -> Iterator[Path]:
    """Hold the output folder's lock for the block; OutDirError when another run holds it."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    lock_file = folder / LOCK_NAME
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutDirError(
                f"--out {out} is in use by another run ({_holder(lock_file)}); wait for it to "
                "finish or choose another output folder"
            ) from None
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(me).encode(), 0)
        yield folder
    finally:
        os.close(descriptor)  # closing releases the lock


def _published_link(out: Path, name: str) -> str:
    return os.path.join(STATE, CURRENT, name)


def _ours(out: Path, name: str) -> bool:
    path = out / name
    return path.is_symlink() and os.readlink(path) == _published_link(out, name)


def stage_run(out: Path, force: bool = False) -> Path:
    """A fresh folder for this run's outputs under OUT/.chimera, the published links in place,
    and the folders of runs that never committed removed. Call it holding out_dir_lock."""
    out = Path(out)
    state = out / STATE
    state.mkdir(parents=True, exist_ok=True)
    foreign = [name for name in PUBLISHED if (out / name).exists() or (out / name).is_symlink()]
    foreign = [name for name in foreign if not _ours(out, name)]
    if foreign and not force:
        raise OutDirError(
            f"--out {out} already holds {', '.join(foreign)} that chimera did not write there "
            "(or an older version did); choose an empty output folder, or pass --force to move "
            "them aside into .chimera/replaced-<time>/"
        )
    if foreign:
        aside = state / f"replaced-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
        aside.mkdir()
        for name in foreign:
            os.replace(out / name, aside / name)
    for name in PUBLISHED:
        if not _ours(out, name):
            os.symlink(_published_link(out, name), out / name)
    _remove_runs(state, keep=_current_run(state))
    run = state / f"run-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{os.getpid()}"
    for name in PUBLISHED:
        (run / name).mkdir(parents=True)
    return run


def _current_run(state: Path) -> str | None:
    current = state / CURRENT
    return os.readlink(current) if current.is_symlink() else None


def _remove_runs(state: Path, keep: str | None) -> list[Path]:
    """Remove this program's run folders other than `keep`: real folders named run-*, never a
    symlink, never anything else."""
    removed = []
    for entry in state.iterdir():
        if entry.name.startswith("run-") and entry.name != keep and not entry.is_symlink():
            shutil.rmtree(entry)
            removed.append(entry)
    return removed


def commit_run(out: Path, run: Path) -> None:
    """Make `run` the published one in one atomic step, then remove the one it replaces."""
    state = Path(out) / STATE
    link = state / f".{CURRENT}-{os.getpid()}"
    if link.is_symlink():
        link.unlink()
    os.symlink(run.name, link)
    os.replace(link, state / CURRENT)  # rename(2): readers see the old run or the new one
    crash_point("after-commit")
    _remove_runs(state, keep=run.name)
