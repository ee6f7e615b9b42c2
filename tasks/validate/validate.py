"""Validate the metrics and files tables with the Great Expectations suites in expectations/.

In: a tasks.schemas.PARSED_METRICS frame (all files of a run, concatenated), or a FILES frame.
Out: a `ValidationResult` (metrics with a status, the quarantine with every reason, one row per
expectation, GE's own result for saving), or, for files, the one-row-per-expectation frame.

Why it is fast: GE has no Polars engine, so the checks are computed in Polars first, the
columns the suite reads are converted to pandas once, and the whole suite runs once per run.
GE reports each failing row as its pandas index, which is the row's position in the Polars frame;
Polars then attaches reasons and statuses by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from tasks.schemas import FILES, FINDINGS, METRICS, PARSED_METRICS, QUARANTINE, conform
from tasks.tables import FILES_TABLE, FINDINGS_TABLE, METRICS_TABLE
from tasks.validate.checks import RANGE_PREFIX, build_file_checks, build_metric_checks
from tasks.validate.suites import (
    PLACEHOLDER,
    ExpectationSpec,
    LoadedSuite,
    SuiteError,
    describe_for_saving,
    load_suite,
    new_context,
    results_in_file_order,
    run_suite,
)

# One row per expectation run: the table validate_metrics and validate_files report.
EXPECTATION_RESULTS = pl.Schema(
    {
        "suite": pl.Utf8,
        "expectation": pl.Utf8,  # GE type, e.g. expect_column_values_to_be_in_set
        "column": pl.Utf8,
        "severity": pl.Utf8,  # critical | warning
        "success": pl.Boolean,
        "unexpected_count": pl.Int64,
        "reason": pl.Utf8,  # meta.reason as the suite writes it
    }
)
FAILURES = pl.Schema(
    {"row": pl.Int64, "position": pl.Int64, "severity": pl.Utf8, "reason": pl.Utf8}
)


@dataclass(frozen=True)
class ValidationResult:
    metrics: pl.DataFrame  # tasks.schemas.METRICS: every input row, with its status
    quarantine: pl.DataFrame  # tasks.schemas.QUARANTINE: rows failing a critical expectation
    expectations: pl.DataFrame  # EXPECTATION_RESULTS: one row per expectation
    ge_results: dict[str, Any]  # {"metrics": GE describe_dict()}, JSON-serialisable


Paired = list[tuple[ExpectationSpec, dict[str, Any], bool]]


def expectation_frame(paired: Paired) -> pl.DataFrame:
    """One row per expectation, in suite order."""
    rows = [
        {
            "suite": spec.suite,
            "expectation": spec.type,
            "column": spec.column,
            "severity": spec.severity,
            "success": success,
            "unexpected_count": int(outcome.get("unexpected_count") or 0),
            "reason": spec.reason,
        }
        for spec, outcome, success in paired
    ]
    return pl.DataFrame(rows, schema=EXPECTATION_RESULTS)


def reason_expr(template: str) -> pl.Expr:
    """The reason with each {column} replaced by that row's value ("null" when missing)."""
    pieces = PLACEHOLDER.split(template)  # literal, name, literal, name, ..., literal
    parts = [
        pl.lit(piece) if i % 2 == 0 else pl.col(piece).cast(pl.Utf8).fill_null("null")
        for i, piece in enumerate(pieces)
        if piece or i % 2
    ]
    return pl.concat_str(parts) if len(parts) > 1 else parts[0]


def check_placeholders(loaded: LoadedSuite, columns: list[str]) -> None:
    """Every {name} in a reason must be a column of the checks table; say which is not."""
    for spec in loaded.specs:
        unknown = [name for name in spec.placeholders if name not in columns]
        if unknown:
            raise SuiteError(
                f"{loaded.path}: reason of {spec.type} on {spec.column} names unknown "
                f"column(s) {', '.join(unknown)}"
            )


def failure_frame(checks: pl.DataFrame, paired: Paired) -> pl.DataFrame:
    """One row per (failing row, failed expectation): row position, severity, filled reason.

    Only column map expectations (in_set, between, not_null...) list rows; a failed aggregate
    expectation shows in the expectations frame but marks no row.
    """
    frames = []
    for spec, outcome, success in paired:
        if success:
            continue
        rows = np.asarray(outcome.get("unexpected_index_list") or [], dtype=np.int64)
        if len(rows) != int(outcome.get("unexpected_count") or 0):
            # A failure that cannot be traced to rows must not pass silently.
            raise SuiteError(
                f"{spec.type} on {spec.column}: GE counted {outcome.get('unexpected_count')} "
                f"unexpected rows but listed {len(rows)}"
            )
        failing = pl.DataFrame({"row": rows})
        if spec.placeholders:
            failing = failing.hstack(checks.select(spec.placeholders)[rows])
        frames.append(
            failing.select(
                "row",
                position=pl.lit(spec.position, pl.Int64),
                severity=pl.lit(spec.severity),
                reason=reason_expr(spec.reason),
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=FAILURES)


def apply_failures(metrics: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """METRICS plus `reasons` (critical reasons, suite order): status per row from its failures."""
    critical = pl.col("severity") == "critical"
    per_row = (
        failures.sort("row", "position")
        .group_by("row", maintain_order=True)
        .agg(reasons=pl.col("reason").filter(critical), quarantined=critical.any())
    )
    return (
        metrics.with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
        .join(per_row, on="row", how="left", maintain_order="left")
        .with_columns(
            status=pl.when(pl.col("quarantined"))
            .then(pl.lit("quarantined"))
            .when(pl.col("quarantined").is_not_null())
            .then(pl.lit("warned"))
            .otherwise(pl.lit("passed"))
        )
    )


def validate_metrics(metrics: pl.DataFrame) -> ValidationResult:
    """Run the metrics suite over every row at once; see the module docstring."""
    metrics = conform(metrics, PARSED_METRICS)
    context = new_context()
    loaded = load_suite(context, METRICS_TABLE.suite)
    range_metrics = [
        column.removeprefix(RANGE_PREFIX)
        for column in loaded.columns
        if column.startswith(RANGE_PREFIX)
    ]
    checks = build_metric_checks(metrics, range_metrics)
    check_placeholders(loaded, checks.columns)
    ge_result = run_suite(context, loaded, checks.select(loaded.columns).to_pandas())
    paired = results_in_file_order(loaded, ge_result)
    judged = apply_failures(metrics, failure_frame(checks, paired))
    return ValidationResult(
        metrics=conform(judged, METRICS),
        quarantine=conform(judged.filter(pl.col("status") == "quarantined"), QUARANTINE),
        expectations=expectation_frame(paired),
        ge_results={"metrics": describe_for_saving(ge_result)},
    )


def validate_files(files: pl.DataFrame) -> pl.DataFrame:
    """Run the files suite; one row per expectation (EXPECTATION_RESULTS)."""
    files = conform(files, FILES)
    context = new_context()
    loaded = load_suite(context, FILES_TABLE.suite)
    checks = build_file_checks(files)
    ge_result = run_suite(context, loaded, checks.select(loaded.columns).to_pandas())
    return expectation_frame(results_in_file_order(loaded, ge_result))


def validate_findings(findings: pl.DataFrame) -> pl.DataFrame:
    """Run the findings suite; one row per expectation (EXPECTATION_RESULTS)."""
    context = new_context()
    loaded = load_suite(context, FINDINGS_TABLE.suite)
    checks = conform(findings, FINDINGS).with_columns(
        interval_reversed=(pl.col("ci_high") < pl.col("ci_low")).fill_null(False)
    )
    ge_result = run_suite(context, loaded, checks.select(loaded.columns).to_pandas())
    return expectation_frame(results_in_file_order(loaded, ge_result))
