"""The output folder a run owns: where it may be, and one run at a time in it.

- `check_out_dir`: an --out inside a source folder would be read back as benchmark data by the
  next run (its tables, its agents' call speeds as model throughput), and a source inside --out
  would be under the run's own writes; both are refused with a one-line reason.
- `out_dir_lock`: an OS lock (flock) on OUT/.chimera.lock held for the whole run. A second run
  into the same folder stops at once with a message naming the holder (process, host, start),
  instead of both writing and leaving the tables of one beside the reports of the other. The
  lock goes with the process, so a killed run leaves no lock behind, only the file.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_NAME = ".chimera.lock"


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
