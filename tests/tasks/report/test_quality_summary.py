"""The Markdown quality summary: what failed, how many rows per reason and file, unparsed files."""

from __future__ import annotations

import polars as pl
import pytest

from tasks.report.quality_summary import render_quality_summary
from tasks.schemas import FILES, conform
from tasks.validate import validate_files, validate_metrics
from tasks.validate.suites import read_suite_file
from tests.tasks.validate.validation_frames import metrics_frame, record


@pytest.fixture(scope="module")
def files() -> pl.DataFrame:
    return conform(
        pl.DataFrame(
            {
                "path": ["/s/runs.csv", "/s/notes.txt", "/s/broken.csv"],
                "relative_path": ["runs.csv", "notes.txt", "broken.csv"],
                "format": ["csv", "text", "csv"],
                "size_bytes": [900, 20, 12],
                "sha256": ["a" * 64, "b" * 64, "c" * 64],
                "status": ["parsed", "skipped", "error"],
                "reason": [None, "not a metrics file", "UTF-16 text | not a CSV"],
                "metric_rows": [12, 0, 0],
            }
        ),
        FILES,
    )


@pytest.fixture(scope="module")
def summary(files) -> str:
    result = validate_metrics(
        metrics_frame(
            record("runs.csv", "row 1"),
            record("runs.csv", "row 2", throughput=0, error="Failed to connect to Ollama"),
            record("runs.csv", "row 3", throughput=0, error="Failed to connect to Ollama"),
        )
    )
    return render_quality_summary(result, files, validate_files(files))


def section(markdown: str, title: str) -> str:
    return markdown.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_status_counts_are_stated(summary):
    assert "12 metric rows validated: 4 passed, 0 warned, 8 quarantined." in summary


def test_every_expectation_of_both_suites_is_listed_with_pass_or_fail(summary):
    rows = section(summary, "Expectations").strip().splitlines()[2:]
    suite_sizes = [len(read_suite_file(name)[1]["expectations"]) for name in ("files", "metrics")]
    assert len(rows) == sum(suite_sizes)
    failing = [row for row in rows if "| FAIL |" in row]
    assert len(failing) == 1 and "| record_has_error |" in failing[0]


def test_quarantined_rows_are_counted_per_reason_and_per_file(summary):
    assert "| record has an error: Failed to connect to Ollama | 8 | 2 | 1 |" in section(
        summary, "Quarantined rows by reason"
    )
    assert "| runs.csv | 8 | 12 |" in section(summary, "Quarantined rows by file")


def test_unparsed_files_are_listed_with_their_reason_escaped(summary):
    unparsed = section(summary, "Files not parsed")
    assert "| notes.txt | skipped | not a metrics file |" in unparsed
    assert "| broken.csv | error | UTF-16 text \\| not a CSV |" in unparsed
    assert "runs.csv" not in unparsed


def test_a_clean_run_says_nothing_was_quarantined(files):
    result = validate_metrics(metrics_frame(record("runs.csv", "row 1")))
    markdown = render_quality_summary(result, files)
    assert "No rows were quarantined." in markdown
    assert "No file has quarantined rows." in markdown
