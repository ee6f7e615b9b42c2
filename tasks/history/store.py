"""The history store: a hive-partitioned Parquet dataset every run appends one folder to.

    HISTORY/run_id=<run>/measurements.parquet   the values this run saw first
                        /findings.parquet       the run's findings (tasks.schemas.FINDINGS)
                        /changes.parquet        the change points it reported as news
                        /present.parquet        the series its sources measure
                        /run.parquet            one row: who, when, where, how many
    HISTORY/.lock                               held while a run appends
    HISTORY/.pending-<run>/                     an append in progress

Why this layout (and not a Delta Lake table): a run adds five tables that must land together or
not at all. Each append is written into .pending-<run>/ and renamed to run_id=<run>/ in one
rename(2), so readers see all of a run or none of it, a run killed at any point leaves the
history as it was (its pending folder is removed by the next append), and nothing ever rewrites
a committed folder. Delta Lake commits one table per transaction, so five tables would need a
marker row and a clean-up of half-appended ones (the `deltalake` package installs here and
Polars reads and writes its tables; the layout, not the package, decided). Any Parquet reader
takes the layout as a hive dataset: Polars
`scan_parquet(HISTORY/"run_id=*"/"measurements.parquet", hive_partitioning=True)`, DuckDB
`read_parquet('HISTORY/*/measurements.parquet', hive_partitioning = true)`, Spark,
pyarrow.dataset. Its limit: rename must be atomic, as on local disks and NFS; on an object store
(S3) it is not, and a Delta table would be needed there.

Appends take an OS lock (flock) on HISTORY/.lock, so two runs into one history append one after
the other, each against what the other added: a measurement is stored once (by its key, the
file's sha256, locator, metric and statistic) whichever run sees it first. Readers take no lock.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from tasks.crash_points import crash_point
from tasks.history.schemas import (
    CHANGES,
    HISTORY_MEASUREMENTS,
    HISTORY_RUNS,
    PRESENT,
    not_in_history,
    with_measurement_keys,
)
from tasks.schemas import FINDINGS, conform, empty
from tasks.settings import settings
from tasks.tables import write_parquet

PARTITION = "run_id"
LOCK_NAME = ".lock"
PENDING_PREFIX = ".pending-"
_FILES = {
    "measurements": HISTORY_MEASUREMENTS,
    "findings": FINDINGS,
    "changes": CHANGES,
    "present": PRESENT,
    "run": HISTORY_RUNS,
}


class HistoryError(RuntimeError):
    """The history cannot be read or written; the message says where and why."""


@dataclass(frozen=True)
class History:
    """What committed runs left: each frame with a `run_id` column."""

    runs: pl.DataFrame  # HISTORY_RUNS, oldest first
    measurements: pl.DataFrame  # HISTORY_MEASUREMENTS + run_id
    present: pl.DataFrame  # PRESENT + run_id
    changes: pl.DataFrame  # CHANGES + run_id: what each run reported as news

    @property
    def keys(self) -> pl.Series:
        return self.measurements["measurement_key"]


def history_dir(out_dir: Path | str) -> Path:
    """Where the history lives: CHIMERA_HISTORY_DIR, else OUT/history."""
    configured = settings().history_dir
    return Path(configured).expanduser() if configured else Path(out_dir) / "history"


def run_folder(history: Path, run_id: str) -> Path:
    return Path(history) / f"{PARTITION}={run_id}"


def committed_runs(history: Path) -> list[str]:
    """The run ids whose folders are in place, in name order (names start with the time)."""
    history = Path(history)
    if not history.is_dir():
        return []
    prefix = f"{PARTITION}="
    return sorted(
        entry.name[len(prefix) :]
        for entry in history.iterdir()
        if entry.name.startswith(prefix) and entry.is_dir()
    )


def _read(history: Path, name: str, run_ids: list[str]) -> pl.DataFrame:
    schema = _FILES[name]
    frames = []
    for run_id in run_ids:
        path = run_folder(history, run_id) / f"{name}.parquet"
        try:
            frame = pl.read_parquet(path)
        except (OSError, pl.exceptions.ComputeError) as error:
            raise HistoryError(f"history {history}: cannot read {path}: {error}") from error
        # conform: a folder an older version wrote lacks later columns; they read as nulls.
        frames.append(conform(frame, schema).with_columns(pl.lit(run_id).alias(PARTITION)))
    if not frames:
        return empty(schema).with_columns(pl.lit(None, dtype=pl.Utf8).alias(PARTITION))
    return pl.concat(frames, how="vertical_relaxed")


def read_history(history: Path | str) -> History:
    """Every committed run's rows; an absent or empty folder is an empty history."""
    history = Path(history)
    run_ids = committed_runs(history)
    runs = _read(history, "run", run_ids).sort("committed_at", PARTITION)
    return History(
        runs=runs,
        measurements=_read(history, "measurements", run_ids),
        present=_read(history, "present", run_ids),
        changes=_read(history, "changes", run_ids),
    )


def read_findings(history: Path | str, run_id: str) -> pl.DataFrame:
    """The findings a committed run recorded."""
    return _read(Path(history), "findings", [run_id]).drop(PARTITION)


@contextmanager
def history_lock(history: Path) -> Iterator[None]:
    """Hold HISTORY/.lock (flock, waiting for another run's append to finish)."""
    history.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(history / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _write_synced(
    frame: pl.DataFrame,
    path: Path,
    each_group: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> None:
    # text as text on disk, categories or not (tasks.schemas)
    write_parquet(frame, path, each_group)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_pending(history: Path) -> list[Path]:
    """Pending folders of appends that never finished (call it holding the lock: any pending
    folder then belongs to a run that was killed)."""
    removed = []
    for entry in history.iterdir():
        if entry.name.startswith(PENDING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
            removed.append(entry)
    return removed


def append_run(
    history: Path | str,
    run: dict,
    measurements: pl.DataFrame,
    findings: pl.DataFrame,
    changes: pl.DataFrame,
    present: pl.DataFrame,
) -> int:
    """Add one run to the history at once: its measurements not already there, its findings,
    the changes it reported, the series present and its run row (`run["run_id"]` names the
    folder). A run already in the history is left as it is. Returns the measurements added."""
    history = Path(history)
    run_id = run["run_id"]
    with history_lock(history):
        _remove_pending(history)
        if run_folder(history, run_id).is_dir():
            return 0  # appended before: an append is never repeated
        known = read_history(history).keys
        added = not_in_history(conform(measurements, HISTORY_MEASUREMENTS), known)
        row = {**run, "measurements_added": added.height, "committed_at": datetime.now(UTC)}
        pending = history / f"{PENDING_PREFIX}{run_id}"
        pending.mkdir()
        # The keys are written out a row group at a time: whole, a 50 MB CSV's 1.3 million
        # measurements' keys took the append to 357 MB above what the run held, 104 MB now.
        _write_synced(added, pending / "measurements.parquet", with_measurement_keys)
        for name, frame in (
            ("findings", conform(findings, FINDINGS)),
            ("changes", conform(changes, CHANGES)),
            ("present", conform(present, PRESENT)),
            ("run", conform(pl.DataFrame([row], infer_schema_length=None), HISTORY_RUNS)),
        ):
            _write_synced(frame, pending / f"{name}.parquet")
        _sync_folder(pending)
        crash_point("history-append")
        os.rename(pending, run_folder(history, run_id))  # readers see all of the run or none
        _sync_folder(history)
        return added.height
