"""Lineage recorded by a flow run, read back from the server's events (Prefect's test server)."""

from __future__ import annotations

import time
from pathlib import Path

import polars as pl
import pytest
from prefect import flow

from tasks.lineage.keys import asset_key
from tasks.lineage.query import read_lineage
from tasks.lineage.record import record_lineage
from tasks.schemas import FILES
from tasks.tables import TABLES, write_table

pytestmark = pytest.mark.slow


def files_table(rows: list[tuple[Path, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{**dict.fromkeys(FILES), "path": str(path), "status": status} for path, status in rows],
        schema=FILES,
    )


def write_outputs(out: Path, files: pl.DataFrame) -> Path:
    """Stand-in outputs of a run: every table and one run's reports."""
    for name, table in TABLES.items():
        write_table(files if name == "files" else pl.DataFrame({"x": [1]}), table.path(out))
    reports = out / "reports"
    reports.mkdir(parents=True)
    for name in ("agent_a.md", "agent_b.md", "combined.md"):
        (reports / name).write_text(f"# {name}\n")
    return reports / "combined.md"


@flow
def record_a_run(out_dir: str, files: pl.DataFrame, report: str) -> None:
    record_lineage(out_dir, files, [report])


def read_when_stored(report: Path, timeout_s: float = 60):
    # The server stores events a moment after the run sent them.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lineage = read_lineage(report)
        if lineage is not None and lineage.sources:
            return lineage
        time.sleep(0.5)
    return read_lineage(report)


def test_a_report_traces_back_to_the_files_that_yielded_metrics(tmp_path, prefect_server):
    bench = tmp_path / "bench"
    sources = [bench / f"run_{i:03d}.csv" for i in range(70)]  # more than one event's worth
    files = files_table([*((p, "parsed") for p in sources), (bench / "notes.txt", "skipped")])
    out = tmp_path / "out"
    report = write_outputs(out, files)

    record_a_run(str(out), files, str(report))
    lineage = read_when_stored(report)

    assert lineage is not None
    assert lineage.sources == sorted(asset_key(p) for p in sources)
    # Every table the report is written from; agent_calls is the agents' own record.
    assert {Path(key).name for key in lineage.tables} == {
        "changes.parquet",
        "claims.parquet",
        "files.parquet",
        "findings.parquet",
        "metrics.parquet",
        "quarantine.parquet",
        "series.parquet",
    }
