"""Parquet tables on disk: frames in, files out, written atomically.

A table is written to a temporary file beside its target and renamed over it, so a run that is
killed half-way never leaves a torn table behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

TABLE_NAMES = ("files", "metrics", "quarantine", "findings", "claims", "agent_calls")


def table_path(out_dir: Path, name: str) -> Path:
    """Where table `name` lives under a run's output folder."""
    return Path(out_dir) / "tables" / f"{name}.parquet"


def content_hash(path: Path) -> str:
    """The sha256 of a written table's bytes: a report names the tables it describes by it."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def write_table(frame: pl.DataFrame, path: Path) -> Path:
    """Write `frame` as Parquet at `path` atomically (temporary file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(frame.to_arrow(), tmp, compression="zstd")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text(text: str, path: Path) -> Path:
    """Write a text file atomically, like write_table."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_table(path: Path, schema: pl.Schema | None = None) -> pl.DataFrame | None:
    """Read a Parquet table, or None when it does not exist yet."""
    path = Path(path)
    if not path.exists():
        return None
    frame = pl.read_parquet(path)
    return frame if schema is None else frame.select(list(schema.keys()))
