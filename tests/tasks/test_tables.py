"""The registry of tables: every table a run writes is in it, checked or said why not, and
the README lists it where it lands."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

import tasks.tables
from tasks.schemas import PARSED_METRICS, conform
from tasks.tables import TABLES, read_table, write_table
from tasks.validate.suites import read_suite_file

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_table_has_a_suite_or_says_why_not_and_known_upstream():
    for name, table in TABLES.items():
        assert (table.suite is None) != (table.no_suite is None), name
        if table.suite:
            read_suite_file(table.suite)  # raises when expectations/<suite>.json is missing
        assert set(table.upstream) <= set(TABLES) - {name}, name


def test_the_readme_lists_every_table_at_its_path():
    text = README.read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"`DIR/tables/{table.name}.parquet`" in text, table.name


def test_a_table_written_a_row_group_at_a_time_is_the_file_one_call_writes(tmp_path, monkeypatch):
    monkeypatch.setattr(tasks.tables, "ROW_GROUP_ROWS", 4)  # pyarrow's is 1,048,576
    frame = pl.DataFrame(
        {
            "name": [f"row {i}" for i in range(10)],
            "value": [i / 3 for i in range(10)],
            "path": ["one/file.csv"] * 10,
            "missing": pl.Series([None] * 10, dtype=pl.Int64),
        }
    ).with_columns(pl.lit("a literal").alias("literal"))
    written = write_table(frame, tmp_path / "batched.parquet")
    pq.write_table(frame.to_arrow(), tmp_path / "whole.parquet", compression="zstd",
                   row_group_size=4, store_schema=False)  # fmt: skip
    assert pq.ParquetFile(written).metadata.num_row_groups == 3
    assert written.read_bytes() == (tmp_path / "whole.parquet").read_bytes()
    assert pl.read_parquet(written).equals(frame)


def test_text_held_as_categories_is_written_as_text_and_read_back_as_the_schema_says(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(tasks.tables, "ROW_GROUP_ROWS", 2)  # groups with their own categories
    frame = conform(
        pl.DataFrame({"source_path": ["a/x.csv", "a/x.csv", "b/y.json"], "value": [1.0, 2.0, 3.0]}),
        PARSED_METRICS,
    )
    assert frame.schema["source_path"] == pl.Categorical()  # how the program holds it
    written = write_table(frame, tmp_path / "metrics.parquet")
    # A reader of the table gets text, as from any earlier version's table...
    on_disk = pq.read_schema(written)
    assert on_disk.field("source_path").type in (pa.string(), pa.large_string())
    assert pl.read_parquet(written)["source_path"].dtype == pl.Utf8
    # ...and the program its categories again.
    back = read_table(written, PARSED_METRICS)
    assert back.schema == PARSED_METRICS
    assert back["source_path"].to_list() == ["a/x.csv", "a/x.csv", "b/y.json"]
