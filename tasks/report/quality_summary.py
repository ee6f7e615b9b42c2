"""The data-quality summary as Markdown, for a Prefect artifact or a report appendix.

In: a `ValidationResult` (tasks.validate, which returns frames only), the FILES frame of the same
run and, optionally, the files suite's per-expectation frame from `validate_files`. Out: Markdown
text with the pass/fail of every expectation, quarantined rows per reason and per file, and the
files that were not parsed with their reason. Pure: no Prefect, no I/O.
"""

from __future__ import annotations

import polars as pl

from tasks.markdown import fixed_number, table
from tasks.validate.validate import ValidationResult


def status_line(metrics: pl.DataFrame) -> str:
    counts = dict(metrics.group_by("status").len().iter_rows())
    parts = [
        f"{fixed_number(counts.get(status, 0))} {status}"
        for status in ("passed", "warned", "quarantined")
    ]
    return f"{fixed_number(metrics.height)} metric rows validated: {', '.join(parts)}."


def expectations_section(expectations: pl.DataFrame) -> str:
    rows = [
        (
            row["suite"],
            row["expectation"],
            row["column"],
            row["severity"],
            "pass" if row["success"] else "FAIL",
            row["unexpected_count"],
            row["reason"],
        )
        for row in expectations.iter_rows(named=True)
    ]
    header = ("Suite", "Expectation", "Column", "Severity", "Result", "Failing rows", "Reason")
    return "## Expectations\n\n" + table(header, rows)


def quarantine_by_reason(quarantine: pl.DataFrame) -> pl.DataFrame:
    """Rows, records and files quarantined per reason, most rows first."""
    return (
        quarantine.explode("reasons")
        .group_by("reasons")
        .agg(
            rows=pl.len(),
            records=pl.struct("source_path", "locator").n_unique(),
            files=pl.col("source_path").n_unique(),
        )
        .sort(["rows", "reasons"], descending=[True, False])
    )


def reasons_section(quarantine: pl.DataFrame) -> str:
    if quarantine.is_empty():
        return "## Quarantined rows by reason\n\nNo rows were quarantined."
    by_reason = quarantine_by_reason(quarantine)
    return "## Quarantined rows by reason\n\n" + table(
        ("Reason", "Rows", "Records", "Files"), by_reason.rows()
    )


def files_section(metrics: pl.DataFrame) -> str:
    quarantined = pl.col("status") == "quarantined"
    by_file = (
        metrics.group_by("source_path")
        .agg(quarantined=quarantined.sum(), rows=pl.len())
        .filter(pl.col("quarantined") > 0)
        .sort(["quarantined", "source_path"], descending=[True, False])
    )
    if by_file.is_empty():
        return "## Quarantined rows by file\n\nNo file has quarantined rows."
    return "## Quarantined rows by file\n\n" + table(
        ("File", "Quarantined rows", "Metric rows"), by_file.rows()
    )


def unparsed_section(files: pl.DataFrame) -> str:
    unparsed = (
        files.filter(pl.col("status").fill_null("") != "parsed")
        .select("relative_path", "status", "reason")
        .sort("status", "relative_path")
    )
    if unparsed.is_empty():
        return "## Files not parsed\n\nEvery file was parsed."
    return "## Files not parsed\n\n" + table(("File", "Status", "Reason"), unparsed.rows())


def render_quality_summary(
    result: ValidationResult,
    files: pl.DataFrame,
    file_expectations: pl.DataFrame | None = None,
) -> str:
    """Markdown summary of one run's validation (see the module docstring)."""
    expectations = result.expectations
    if file_expectations is not None:
        expectations = pl.concat([file_expectations, expectations])
    sections = [
        "# Data quality",
        status_line(result.metrics),
        expectations_section(expectations),
        reasons_section(result.quarantine),
        files_section(result.metrics),
        unparsed_section(files),
    ]
    return "\n\n".join(sections) + "\n"
