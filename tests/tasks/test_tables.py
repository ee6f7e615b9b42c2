"""The registry of tables: every table a run writes is in it, checked or said why not, and
the README lists it where it lands."""

from __future__ import annotations

from pathlib import Path

from tasks.tables import TABLES
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
