"""What lineage a run records: the plan, pure, from the run's files table."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tasks.lineage import record
from tasks.lineage.record import chunks, plan_lineage
from tasks.schemas import FILES


def files_table(rows: list[tuple[str, str]]) -> pl.DataFrame:
    """A files table with only the columns lineage reads filled in."""
    return pl.DataFrame(
        [{**dict.fromkeys(FILES), "path": path, "status": status} for path, status in rows],
        schema=FILES,
    )


def test_the_sources_are_the_files_that_yielded_metrics(tmp_path):
    files = files_table(
        [
            ("/bench/b.csv", "parsed"),
            ("/bench/a.json", "parsed"),
            ("/bench/copy.csv", "duplicate"),
            ("/bench/notes.txt", "skipped"),
            ("/bench/README.md", "no_metrics"),
        ]
    )

    plan = plan_lineage(tmp_path, files, [str(tmp_path / "reports" / "combined.md")])

    assert plan.sources == ["/bench/a.json", "/bench/b.csv"]
    assert plan.tables["metrics"] == str(tmp_path / "tables" / "metrics.parquet")
    assert set(plan.tables) == {
        "files",
        "metrics",
        "quarantine",
        "findings",
        "claims",
        "agent_calls",
        "series",
        "changes",
    }
    assert plan.reports == [str(tmp_path / "reports" / "combined.md")]


def test_past_the_limit_each_folder_stands_in_for_its_files(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "MAX_SOURCE_FILES", 3)
    files = files_table(
        [(f"/bench/{folder}/{i}.csv", "parsed") for folder in ("x", "y") for i in range(2)]
    )

    plan = plan_lineage(tmp_path, files, [])

    assert plan.sources == [str(Path("/bench/x")), str(Path("/bench/y"))]


def test_sources_are_split_into_event_sized_chunks():
    items = [str(i) for i in range(130)]

    parts = chunks(items, 64)

    assert [len(part) for part in parts] == [64, 64, 2]
    assert sum(parts, []) == items
