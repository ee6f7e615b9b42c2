"""parse_batch / parse_file: one frame per batch, an outcome per file, no file stops the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.parse import FileOutcome, FileToParse, ParseError, parse_batch, parse_file
from tasks.schemas import PARSED_METRICS


def write(folder: Path, name: str, text: str) -> FileToParse:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    fmt = {"csv": "csv", "json": "json", "md": "markdown"}[name.rpartition(".")[2]]
    return FileToParse(str(path), f"reports/{name}", f"sha-{name}", fmt)


def test_one_broken_file_never_stops_the_others(tmp_path: Path) -> None:
    files = [
        write(tmp_path, "runs.csv", "model,tokens_s\nm,1.5\nm,2.5\n"),
        write(tmp_path, "broken.json", '{"results": [1, 2,'),
        FileToParse(str(tmp_path / "gone.csv"), "reports/gone.csv", "sha", "csv"),
        write(tmp_path, "notes.md", "# Notes\n\nNothing measured here.\n"),
        write(tmp_path, "summary.json", '{"mean_tokens_s": 77.6}'),
    ]
    frame, outcomes = parse_batch(files)
    assert frame.schema == PARSED_METRICS
    assert frame.select("source_path", "sha256", "format", "value").rows() == [
        ("reports/runs.csv", "sha-runs.csv", "csv", 1.5),
        ("reports/runs.csv", "sha-runs.csv", "csv", 2.5),
        ("reports/summary.json", "sha-summary.json", "json", 77.6),
    ]
    by_path = {outcome.relative_path: outcome for outcome in outcomes}
    assert [outcome.relative_path for outcome in outcomes] == [f.relative_path for f in files]
    assert by_path["reports/runs.csv"] == FileOutcome(
        "reports/runs.csv", "parsed", None, 2, "generic csv"
    )
    assert by_path["reports/summary.json"].metric_rows == 1
    assert by_path["reports/broken.json"].status == "error"
    assert by_path["reports/broken.json"].reason.startswith("invalid JSON: line 1 column")
    assert by_path["reports/gone.csv"].status == "error"
    assert by_path["reports/gone.csv"].reason.startswith("cannot read file:")
    assert by_path["reports/notes.md"] == FileOutcome(
        "reports/notes.md",
        "no_metrics",
        "no tables or 'Name: value' lines with numbers found",
        0,
        "generic markdown",
    )


def test_bytes_already_read_are_parsed_without_reading_the_path(tmp_path: Path) -> None:
    kept = FileToParse(
        str(tmp_path / "moved.csv"), "reports/moved.csv", "sha", "csv", b"m,x\n1,2\n"
    )
    frame, outcomes = parse_batch([kept])
    assert outcomes == [FileOutcome("reports/moved.csv", "parsed", None, 2, "generic csv")]
    assert frame["value"].to_list() == [1.0, 2.0]


def test_parse_file_refuses_formats_that_are_not_parsed() -> None:
    with pytest.raises(ParseError, match="format 'python' is not parsed"):
        parse_file(b"import os", "python", "notes.py", "sha")
    with pytest.raises(ParseError, match="no benchmark tool's output recognised"):
        parse_file(b"hello", "text", "notes.txt", "sha")


def test_parse_file_returns_exactly_the_schema() -> None:
    frame = parse_file(b"model,tokens_s\nm,1\n", "csv", "runs.csv", "sha")
    assert frame.schema == PARSED_METRICS
    assert frame.height == 1
