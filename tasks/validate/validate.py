"""Validate the metrics and files tables with the Great Expectations suites in expectations/.

In: a tasks.schemas.PARSED_METRICS frame (all files of a run, concatenated), or a FILES frame.
Out: a `ValidationResult` (metrics with a status, the quarantine with every reason, one row per
expectation, GE's own result for saving), or, for files, the one-row-per-expectation frame.

Why it is fast: GE has no Polars engine, so the checks are computed in Polars first, and the
columns the suite reads go to pandas and GE; a big table's checks are built and judged in parts
of SUITE_ROWS rows (one part for most piles). GE reports each failing row as its pandas index,
set to the row's position in the Polars frame; Polars then attaches reasons and statuses by
position.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from tasks.schemas import (
    FILES,
    FINDINGS,
    METRICS,
    PARSED_METRICS,
    QUARANTINE,
    REPEATED_TEXT,
    chunk_layout,
    conform,
    cut_into,
)
from tasks.tables import FILES_TABLE, FINDINGS_TABLE, METRICS_TABLE
from tasks.validate.checks import (
    RANGE_PREFIX,
    build_file_checks,
    build_metric_checks,
    record_context,
)
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
    # tasks.schemas.METRICS: every input row, with its status (in benchmark-report, once
    # metrics.parquet is written, only the columns the counts read: flows.stages.COUNTED_COLUMNS)
    metrics: pl.DataFrame
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


def failure_frame(checks: pl.DataFrame, paired: Paired, offset: int = 0) -> pl.DataFrame:
    """One row per (failing row, failed expectation): row position, severity, filled reason.
    `checks` are the rows from position `offset` on (a part of the table).

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
            failing = failing.hstack(checks.select(spec.placeholders)[rows - offset])
        frames.append(
            failing.select(
                "row",
                position=pl.lit(spec.position, pl.Int64),
                severity=pl.lit(spec.severity),
                reason=reason_expr(spec.reason),
            )
        )
    return pl.concat(frames) if frames else pl.DataFrame(schema=FAILURES)


def row_verdicts(failures: pl.DataFrame) -> pl.DataFrame:
    """One row per failing row, by position: its critical reasons (suite order), quarantined."""
    critical = pl.col("severity") == "critical"
    return (
        failures.sort("row", "position")
        .group_by("row", maintain_order=True)
        .agg(reasons=pl.col("reason").filter(critical), quarantined=critical.any())
    )


def rows_among(rows: pl.Series, height: int) -> pl.Series:
    """Whether each of `height` rows' position is one of `rows`: a mask, a bit a row. With
    every position tested against `rows` (a range of them all) and the status written out as
    text before it became a category, judging took 141 MB above a 50 MB CSV's 3.2 million
    rows, against 37 MB now."""
    return pl.zeros(height, dtype=pl.Boolean, eager=True).scatter(rows, True)


def judge(metrics: pl.DataFrame, verdicts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """METRICS (the input plus each row's status) and QUARANTINE (its quarantined rows, with
    their reasons), from the row_verdicts.

    Both add to the input rather than join it: a join copied every column, 0.8 GB on 3.8
    million rows, held by the run until its end; a status column takes 13 MB.
    """
    quarantined = verdicts.filter(pl.col("quarantined"))
    is_quarantined = rows_among(quarantined["row"], metrics.height)
    is_warned = rows_among(verdicts.filter(~pl.col("quarantined"))["row"], metrics.height)
    status = (
        pl.when(pl.lit(is_quarantined))
        .then(pl.lit("quarantined", REPEATED_TEXT))
        .when(pl.lit(is_warned))
        .then(pl.lit("warned", REPEATED_TEXT))
        .otherwise(pl.lit("passed", REPEATED_TEXT))
    )
    # Filtered rows keep their order, as do the verdicts (by row): the reasons line up.
    quarantine = metrics.filter(is_quarantined).with_columns(quarantined["reasons"])
    # In the input's chunks: a column cut otherwise makes Polars copy the whole table into one
    # chunk at its next select (0.8 GB on 3.8 million rows).
    status_column = cut_into(metrics.select(status=status).to_series(), chunk_layout(metrics))
    judged = conform(metrics.with_columns(status_column), METRICS)
    return judged, conform(quarantine, QUARANTINE)


@dataclass(frozen=True)
class SuiteRun:
    """What is kept of a run of the metrics suite once GE and its pandas frame are gone."""

    paired: Paired
    failures: pl.DataFrame  # FAILURES: one row per failing row and expectation
    described: dict[str, Any]  # describe_for_saving of GE's result


# The checks are built and GE judges them this many rows at a time: the checks, GE's pandas
# frame and what GE computes on it grow with the rows. On a 50 MB CSV's 3.8 million rows,
# with the checks built whole, validation took 0.85 GB above the table in one part, 0.6 GB in
# parts of two million and 0.45 GB in parts of one million. A part's cost of GE's own was about
# a second, most of it GE hashing the frame and a full collection of the process's cycles;
# without either (suites._no_frame_fingerprints, the collection by gc.freeze below), on 3.2
# million rows parts of 500,000 took 7.9 s and rose 151 MB, parts of a million 5.9-8.3 s and
# 228 MB, against 10.0-11.2 s and 237 MB before. Most piles take one part.
SUITE_ROWS = 500_000


def run_metric_suite(metrics: pl.DataFrame, part_rows: int = SUITE_ROWS) -> SuiteRun:
    """The metrics suite over every row, `part_rows` rows at a time: each part's checks (with
    what its records hold over the whole table, tasks.validate.checks.RecordContext) are built,
    judged and reduced to its failures before the next. The checks, the pandas frames, GE's
    context and its results are released when this returns."""
    # Before GE is first imported (0.17 GB with pandas, held to the end of the run): working
    # out the records' context peaks 0.15 GB above a 50 MB CSV's table.
    records = record_context(metrics)
    context = new_context()
    loaded = load_suite(context, METRICS_TABLE.suite)
    range_metrics = [
        column.removeprefix(RANGE_PREFIX)
        for column in loaded.columns
        if column.startswith(RANGE_PREFIX)
    ]
    parts = []
    with cycles_of_parts_only():
        for start in range(0, max(metrics.height, 1), part_rows):
            checks = build_metric_checks(
                metrics.slice(start, part_rows), range_metrics, records.slice(start, part_rows)
            )
            judged, reason_columns = suite_inputs(loaded, checks)
            frame = judged.to_pandas()
            del checks, judged
            # GE lists a failing row by its pandas index: here, its position in the whole table.
            frame.index = frame.index + start
            ge_result = run_suite(context, loaded, frame)
            paired = results_in_file_order(loaded, ge_result)
            failures = failure_frame(reason_columns, paired, offset=start)
            parts.append((paired, describe_for_saving(ge_result), failures))
            del frame, ge_result, reason_columns
            release_suite_memory()
    return SuiteRun(
        merged_pairs([paired for paired, _, _ in parts]),
        pl.concat([failures for _, _, failures in parts]),
        merged_description([described for _, described, _ in parts]),
    )


def merged_pairs(parts: list[Paired]) -> Paired:
    """One (spec, outcome, success) per expectation from the suite's runs over parts of the
    rows: counts added, a success only where every part passed. The failing rows are not
    merged: each part's are in its failure_frame already."""
    if len(parts) == 1:
        return parts[0]
    merged = []
    for pieces in zip(*parts, strict=True):
        spec = pieces[0][0]
        outcome = {
            "unexpected_count": sum(int(o.get("unexpected_count") or 0) for _, o, _ in pieces)
        }
        merged.append((spec, outcome, all(success for _, _, success in pieces)))
    return merged


_PARTIAL = 20  # GE's partial lists hold the first 20 unexpected values


def merged_description(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """describe_for_saving's dict for the whole table from those of its parts: counts added,
    percentages of the sums, partial lists of the first parts' values."""
    if len(parts) == 1:
        return parts[0]
    expectations = []
    for pieces in zip(*(part["expectations"] for part in parts), strict=True):
        results = [piece.get("result") or {} for piece in pieces]
        total = {
            key: sum(int(r.get(key) or 0) for r in results)
            for key in ("element_count", "unexpected_count", "missing_count")
        }
        present = total["element_count"] - total["missing_count"]
        counts: Counter[str] = Counter()  # by the value's JSON: values may be lists
        for r in results:
            for entry in r.get("partial_unexpected_counts") or []:
                counts[json.dumps(entry["value"])] += entry["count"]
        result = {
            **total,
            "unexpected_percent": _percent(total["unexpected_count"], present),
            "missing_percent": _percent(total["missing_count"], total["element_count"]),
            "unexpected_percent_total": _percent(total["unexpected_count"], total["element_count"]),
            "unexpected_percent_nonmissing": _percent(total["unexpected_count"], present),
            "partial_unexpected_list": _first(r.get("partial_unexpected_list") for r in results),
            "partial_unexpected_index_list": _first(
                r.get("partial_unexpected_index_list") for r in results
            ),
            "partial_unexpected_counts": [
                {"value": json.loads(value), "count": count}
                for value, count in counts.most_common(_PARTIAL)
            ],
        }
        success = all(piece.get("success") for piece in pieces)
        expectations.append({**pieces[0], "success": success, "result": result})
    evaluated = len(expectations)
    successful = sum(bool(e["success"]) for e in expectations)
    return {
        **parts[0],
        "success": successful == evaluated,
        "statistics": {
            "evaluated_expectations": evaluated,
            "successful_expectations": successful,
            "unsuccessful_expectations": evaluated - successful,
            "success_percent": _percent(successful, evaluated),
        },
        "expectations": expectations,
    }


def _percent(part: int, whole: int) -> float | None:
    return part / whole * 100 if whole else None


def _first(lists: Any) -> list:
    return [item for values in lists for item in values or []][:_PARTIAL]


def release_suite_memory() -> None:
    """Hand back what a suite's run leaves unused: GE holds its pandas frame in reference
    cycles, and pyarrow's memory pool keeps what the conversion to pandas took; on 3.8
    million rows, 235 MB and 300 MB held to the end of the run."""
    gc.collect()
    pa.default_memory_pool().release_unused()


@contextmanager
def cycles_of_parts_only() -> Iterator[None]:
    """The collections between a suite's parts (release_suite_memory) look only at what was
    made since this began: the objects before are frozen (gc.freeze) until it ends. A full
    collection walks every object of Prefect, GE, pandas and scipy: 0.35 s a part, a quarter of
    validation's time on a 50 MB CSV in parts of 500,000 rows."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def suite_inputs(loaded: LoadedSuite, checks: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The columns GE judges (the suite's) and the columns the reasons name; the rest of the
    checks is dropped before GE runs (on 3.8 million rows, 250 MB)."""
    check_placeholders(loaded, checks.columns)
    named = dict.fromkeys(name for spec in loaded.specs for name in spec.placeholders)
    return checks.select(loaded.columns), checks.select(list(named))


def validate_metrics(metrics: pl.DataFrame, part_rows: int = SUITE_ROWS) -> ValidationResult:
    """Run the metrics suite over every row, `part_rows` at a time; see the module docstring."""
    metrics = conform(metrics, PARSED_METRICS)
    suite = run_metric_suite(metrics, part_rows)
    judged, quarantine = judge(metrics, row_verdicts(suite.failures))
    return ValidationResult(
        metrics=judged,
        quarantine=quarantine,
        expectations=expectation_frame(suite.paired),
        ge_results={"metrics": suite.described},
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
