"""The run's tables, in one registry, and how they are written: frames in, files out, atomically.

`TABLES` names every table a run writes once: its schema, the Great Expectations suite that
checks it (or why none does), the tables it is made from, and its path under --out. The flow
writes, the lineage links and the artifacts list tables through it, so a name is spelled here
only. A table is written to a temporary file beside its target and renamed over it, so a run
killed half-way never leaves a torn table behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from tasks.history.schemas import CHANGES, SERIES
from tasks.schemas import AGENT_CALLS, CLAIMS, FILES, FINDINGS, METRICS, QUARANTINE


@dataclass(frozen=True)
class Table:
    name: str
    schema: pl.Schema
    about: str
    upstream: tuple[str, ...]  # the tables it is made from; () for the sources themselves
    suite: str | None = None  # expectations/<suite>.json
    no_suite: str | None = None  # why no suite checks it

    def path(self, out_dir: Path | str) -> Path:
        """Where the table lives under an output (or staging) folder."""
        return Path(out_dir) / "tables" / f"{self.name}.parquet"


FILES_TABLE = Table(
    "files", FILES, "every file found, with its status, reader and role", (), suite="files"
)
METRICS_TABLE = Table(
    "metrics", METRICS, "every parsed value, with its validation status", (), suite="metrics"
)
QUARANTINE_TABLE = Table(
    "quarantine",
    QUARANTINE,
    "the rows that failed a critical expectation, with every reason",
    ("metrics",),
    no_suite="its rows are the metrics suite's failures",
)
FINDINGS_TABLE = Table(
    "findings", FINDINGS, "the analysis, one row per finding", ("files", "metrics"),
    suite="findings",
)  # fmt: skip
CLAIMS_TABLE = Table(
    "claims",
    CLAIMS,
    "every claim an agent made or the fallback rendered, published or rejected",
    ("findings",),
    no_suite="each claim is checked against its finding as it is made (tasks.agents.guard.claims)",
)
AGENT_CALLS_TABLE = Table(
    "agent_calls",
    AGENT_CALLS,
    "one row per model call: timings, throughput, verdict",
    ("findings",),
    no_suite="written by code from the backend's own counters, one row per call",
)
SERIES_TABLE = Table(
    "series",
    SERIES,
    "every series the sources measure, over the run history: latest value, trend, stability",
    ("metrics",),
    no_suite="computed by code from the metrics and the history store (tasks.history)",
)
CHANGES_TABLE = Table(
    "changes",
    CHANGES,
    "every change point of those series: size, confidence, runs before and after, news or not",
    ("metrics",),
    no_suite="computed by code from the metrics and the history store (tasks.history)",
)
TABLES = {
    table.name: table
    for table in (
        FILES_TABLE,
        METRICS_TABLE,
        QUARANTINE_TABLE,
        FINDINGS_TABLE,
        CLAIMS_TABLE,
        AGENT_CALLS_TABLE,
        SERIES_TABLE,
        CHANGES_TABLE,
    )
}


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
        write_parquet(frame, Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# The most rows a row group holds, as Polars' own writer cuts them (pyarrow's default is four
# times more): each group is converted to Arrow on its own, so this bounds what a write holds
# above its table. On a 50 MB CSV's 3.2 million metric rows the write of metrics.parquet took
# 183 MB above the table in groups of 1,048,576 rows, 67 MB in these.
ROW_GROUP_ROWS = 512 * 512


def write_parquet(
    frame: pl.DataFrame,
    path: Path,
    each_group: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> None:
    """`frame` as zstd Parquet, converted to Arrow one row group at a time (the Arrow copy of
    the whole table, every text column written out, took 1.9 GB on 3.8 million rows of
    metrics). `each_group`, when given, makes each group's rows what is written (the same
    columns; e.g. text worked out from other columns, held only while its group is written).

    Text held as categories (tasks.schemas.REPEATED_TEXT) goes in as Arrow dictionaries,
    which Parquet stores as its dictionary-encoded text, never written out row by row (cast to
    text first, the history's 1.3 million measurements of a 50 MB CSV took 0.7 GB to write).
    Arrow's own schema is left out of the file, so that a reader gets the text columns the
    schemas describe, not categories: they are how this program holds text, not the table."""
    options = {"compression": "zstd", "store_schema": False}
    each_group = each_group or (lambda rows: rows)
    if frame.height <= ROW_GROUP_ROWS:
        pq.write_table(each_group(frame).to_arrow(), path, **options)
        return
    with pq.ParquetWriter(path, each_group(frame.head(0)).to_arrow().schema, **options) as writer:
        for offset in range(0, frame.height, ROW_GROUP_ROWS):
            writer.write_table(each_group(frame.slice(offset, ROW_GROUP_ROWS)).to_arrow())


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
    if schema is None:
        return frame
    # The schema's columns in its types: text that the schema holds as categories becomes them.
    return frame.select(
        pl.col(name).cast(dtype) if isinstance(dtype, pl.Categorical) else pl.col(name)
        for name, dtype in schema.items()
    )
