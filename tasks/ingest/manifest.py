"""Incremental runs: which files need parsing, and which earlier results can be kept.

In: this run's inventory and, when the output folder has them, the previous run's files and metrics
tables (the manifest: relative path and sha256 per file). Out: the files to parse, and the rows and
outcomes of the unchanged files, so a re-run yields the same tables as a full run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from tasks.parse import FileOutcome, FileToParse
from tasks.schemas import FILES, PARSED_METRICS, empty

DONE = ("parsed", "no_metrics", "skipped", "error")


@dataclass(frozen=True)
class ParsePlan:
    to_parse: list[FileToParse]
    kept_metrics: pl.DataFrame  # PARSED_METRICS rows of unchanged files
    kept_outcomes: list[FileOutcome]


def plan_parse(
    files: pl.DataFrame,
    previous_files: pl.DataFrame | None,
    previous_metrics: pl.DataFrame | None,
    contents: Mapping[str, bytes] | None = None,
) -> ParsePlan:
    """Parse the pending files that are new or changed since the previous run; keep the rest.
    `contents`: bytes discover already read, by path; the files to parse carry theirs."""
    pending = files.filter(pl.col("status") == "pending")
    kept = pl.DataFrame(schema={"relative_path": pl.Utf8, "sha256": pl.Utf8})
    kept_outcomes: list[FileOutcome] = []
    if not _same_tables(previous_files, previous_metrics):
        # Tables of an older version of this program: parse everything again, since what the
        # rows say (their columns) has changed.
        previous_files = previous_metrics = None
    if previous_files is not None and previous_metrics is not None:
        done_before = previous_files.filter(pl.col("status").is_in(DONE)).select(
            "relative_path",
            "sha256",
            "status",
            "reason",
            "metric_rows",
            "reader",
            "reader_version",
        )
        unchanged = pending.select("relative_path", "sha256").join(
            done_before, on=["relative_path", "sha256"], how="inner"
        )
        kept = unchanged.select("relative_path", "sha256")
        kept_outcomes = [
            FileOutcome(r, s, why, n, reader, version)
            for r, _, s, why, n, reader, version in unchanged.iter_rows()
        ]
    # In path order, so that the batches' rows, concatenated, are in path order too.
    to_parse = pending.join(kept, on=["relative_path", "sha256"], how="anti").sort("relative_path")
    kept_metrics = (
        previous_metrics.select(list(PARSED_METRICS.keys())).join(
            kept.select(
                # as the table holds them: categories in this version's tables (see schemas)
                pl.col("relative_path").cast(previous_metrics.schema["source_path"]),
                pl.col("sha256").cast(previous_metrics.schema["sha256"]),
            ).rename({"relative_path": "source_path"}),
            on=["source_path", "sha256"],
            how="semi",
            maintain_order="left",  # the previous table's path order, for in_path_order's merge
        )
        if previous_metrics is not None
        else empty(PARSED_METRICS)
    )
    contents = contents or {}
    return ParsePlan(
        to_parse=[
            FileToParse(path=p, relative_path=r, sha256=h, format=f, data=contents.get(p))
            for p, r, h, f in to_parse.select(
                "path", "relative_path", "sha256", "format"
            ).iter_rows()
        ],
        kept_metrics=kept_metrics,
        kept_outcomes=kept_outcomes,
    )


def _same_tables(files: pl.DataFrame | None, metrics: pl.DataFrame | None) -> bool:
    return (
        files is not None
        and metrics is not None
        and set(FILES.names()) <= set(files.columns)
        and set(PARSED_METRICS.names()) <= set(metrics.columns)
    )


def apply_outcomes(files: pl.DataFrame, outcomes: Sequence[FileOutcome]) -> pl.DataFrame:
    """Set each parsed file's status, reason, row count and reader from its parse outcome."""
    if not outcomes:
        return files
    table = pl.DataFrame(
        [
            (o.relative_path, o.status, o.reason, o.metric_rows, o.reader, o.reader_version)
            for o in outcomes
        ],
        schema={
            "relative_path": pl.Utf8,
            "status": pl.Utf8,
            "reason": pl.Utf8,
            "metric_rows": pl.Int64,
            "reader": pl.Utf8,
            "reader_version": pl.Utf8,
        },
        orient="row",
    )
    return files.update(table, on="relative_path", include_nulls=True).select(list(FILES.keys()))


def in_path_order(kept: pl.DataFrame, parsed: pl.DataFrame) -> pl.DataFrame:
    """Kept and newly parsed rows ordered by source_path, each file's rows in their own order.

    Both are in path order already when the previous table was written by this code and the
    batches were planned in path order; then a merge does, where sorting 5 million rows took
    seconds and doubled the peak memory. Anything else is sorted.
    """
    if not kept.height or not parsed.height:
        # One of them as it is: a concat with an empty frame writes out every literal column
        # (a column of nulls only, one file's path), 1.6 GB for the rows of a 50 MB CSV.
        rows = parsed if not kept.height else kept
    elif _in_order(kept) and _in_order(parsed):
        return kept.merge_sorted(parsed, "source_path", maintain_order=True)
    else:
        rows = pl.concat([kept, parsed])
    return rows if _in_order(rows) else rows.sort("source_path", maintain_order=True)


def _in_order(rows: pl.DataFrame) -> bool:
    # An expression, not rows["source_path"]: taking a literal column out writes it out in full.
    path = pl.col("source_path")
    return bool(rows.select((path >= path.shift()).fill_null(True).all()).item())
