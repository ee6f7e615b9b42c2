"""`chimera watch` and `chimera lineage` as a user types them (server parts stubbed here; the
integration test runs them against a real server)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows import operations_cli
from tasks.lineage import query
from tasks.lineage.trace import Lineage


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="chimera")
    commands = parser.add_subparsers(dest="command", required=True)
    operations_cli.add_watch_parser(commands)
    operations_cli.add_lineage_parser(commands)
    return parser.parse_args(argv)


def test_watch_takes_several_folders_and_its_options(tmp_path):
    args = parse(["watch", "a", "b", "--quiet", "3", "--poll", "--state-dir", str(tmp_path)])

    assert [str(f) for f in args.folders] == ["a", "b"]
    assert args.quiet == 3.0 and args.poll and args.state_dir == tmp_path
    assert args.handler is operations_cli.run_watch


def test_watch_without_a_server_address_says_what_to_set(tmp_path, capsys):
    args = parse(["watch", str(tmp_path), "--state-dir", str(tmp_path / "state")])

    with temporary_settings(updates={PREFECT_API_URL: None}):
        code = args.handler(args)

    assert code == 2
    assert "PREFECT_API_URL" in capsys.readouterr().err


def test_watch_refuses_a_missing_folder(tmp_path, capsys):
    args = parse(["watch", str(tmp_path / "nope"), "--state-dir", str(tmp_path / "state")])

    with temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        code = args.handler(args)

    assert code == 2
    assert "not a folder" in capsys.readouterr().err


@pytest.fixture
def known_lineage(monkeypatch):
    lineage = Lineage(
        report="file:///out/reports/combined.md",
        flow_run_id="0bf93454",
        materialized_at=datetime(2026, 3, 1, tzinfo=UTC),
        tables=["file:///out/tables/findings.parquet", "file:///out/tables/metrics.parquet"],
        sources=["file:///bench/a.csv", "file:///bench/b.json"],
    )
    answers = {"file:///out/reports/combined.md": lineage}
    monkeypatch.setattr(query, "read_lineage", lambda report: answers.get(str(report)))
    return lineage


def test_lineage_prints_the_tables_and_source_files(known_lineage, capsys):
    args = parse(["lineage", "file:///out/reports/combined.md"])

    assert args.handler(args) == 0

    out = capsys.readouterr().out
    assert "flow run 0bf93454" in out
    assert "tables (2):\n  /out/tables/findings.parquet\n  /out/tables/metrics.parquet\n" in out
    assert "source files (2):\n  /bench/a.csv\n  /bench/b.json\n" in out


def test_lineage_as_json(known_lineage, capsys):
    args = parse(["lineage", "file:///out/reports/combined.md", "--json"])

    assert args.handler(args) == 0

    found = json.loads(capsys.readouterr().out)
    assert found["sources"] == ["/bench/a.csv", "/bench/b.json"]
    assert found["report"] == "/out/reports/combined.md"


def test_lineage_of_an_unknown_report_fails_with_a_reason(known_lineage, capsys):
    args = parse(["lineage", "file:///elsewhere/combined.md"])

    assert args.handler(args) == 1
    assert "no materialization" in capsys.readouterr().err
