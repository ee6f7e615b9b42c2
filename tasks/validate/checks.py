"""Check columns computed in Polars, for Great Expectations to judge.

In: a tasks.schemas.PARSED_METRICS frame (or a FILES frame). Out: the same rows in the same
order (for metrics, only the CHECKED columns), plus one column per check: record-level flags
broadcast to every row of the record (a record is source_path + locator), the record's pivoted
throughput / eval_ms / eval_count, and
`value_of_<metric>` columns holding the value only on rows of that metric. The suites in
expectations/ decide which values fail; row i of this frame is row i of the input, so GE's
unexpected row indices point straight back at the input rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import polars as pl

from tasks.schemas import DIMENSIONS, record_id

DIMENSIONS_OF_A_RUN = tuple(
    name for name in DIMENSIONS.names() if name not in ("timestamp", "error", "success")
)
RECORD = ("source_path", "locator")
# Two rows are the same measurement when they share the record, metric, unit and every
# dimension: a Markdown table row compares several models or configs under one locator.
MEASUREMENT = (*RECORD, "metric", "statistic", "unit", *DIMENSIONS_OF_A_RUN)
# The input columns the checks keep beside their own (reasons name some of them).
CHECKED = (*RECORD, "metric", "statistic", "unit", "value", "timestamp", "error", "success", "role")
THROUGHPUT, EVAL_MS, EVAL_COUNT = "throughput_tok_s", "eval_ms", "eval_count"
RANGE_PREFIX = "value_of_"  # value_of_<metric>: the value on rows of <metric>, null elsewhere

# Canonical names end with their unit; these are durations or counts, which cannot be negative,
# unless the name or unit says the value is a change between two runs (a delta may be < 0).
DURATION_OR_COUNT_SUFFIXES = ("_ms", "_count", "_tokens", "_chars", "_bytes")
DURATION_OR_COUNT_UNITS = ("ms", "s", "count", "tokens", "chars", "bytes")
CHANGE_UNITS = ("%", "x")
CHANGE_WORDS = (
    r"(^|_)(delta|diff|change|penalty|improvement|gain|saving|savings|reduction|overhead|vs)(_|$)"
)

# How benchmark files write times; a timestamp matching none of them is flagged.
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%:z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y%m%d-%H%M%S",
    "%Y%m%d_%H%M%S",
)
DATE_FORMATS = ("%Y-%m-%d", "%B %d, %Y", "%b %d, %Y", "%d %B %Y")
# Unix epochs in seconds or milliseconds between 2001 and 2096.
EPOCH_RANGES = ((1e9, 4e9), (1e12, 4e12))


def text_or_null(column: str) -> pl.Expr:
    """The column's text, with blank strings as null (an empty error cell is no error)."""
    return pl.when(pl.col(column).str.strip_chars() != "").then(pl.col(column))


def values_of(metric: str) -> pl.Expr:
    """The value on rows of one metric, null elsewhere (plain aggregations stay fast)."""
    return pl.when(pl.col("metric") == metric).then(pl.col("value"))


def record_facts(rows: pl.LazyFrame) -> pl.LazyFrame:
    """One row per record_id: its error, success flags and the values the record checks need.

    The eval_ms consistency check needs one value of each metric; a record with several
    (a table row comparing models) gets none.
    """
    single = {
        name: pl.when(values_of(metric).count() == 1).then(values_of(metric).max())
        for name, metric in (
            ("record_eval_ms", EVAL_MS),
            ("record_eval_count", EVAL_COUNT),
            ("single_throughput_tok_s", THROUGHPUT),
        )
    }
    return rows.group_by("record_id").agg(
        record_error=text_or_null("error").first(ignore_nulls=True),
        record_succeeded=pl.col("success").fill_null(False).any(),
        record_marked_unsuccessful=(~pl.col("success")).fill_null(False).any(),
        # The lowest throughput speaks for the record: one zero means a failed run.
        record_throughput_tok_s=values_of(THROUGHPUT).min(),
        **single,
    )


def measurement_counts(rows: pl.DataFrame, metrics: pl.DataFrame) -> pl.Series:
    """How often each row's measurement (MEASUREMENT key) occurs; 1 for almost every row.

    `rows` holds record_id and metric, `metrics` the full rows in the same order. Counting over
    the full key is slow on a million rows, so only rows whose metric repeats within the record
    are counted that way; whether any does is answered by sorting one integer per row: a
    window count over (record, metric) took 570 MB and 3 s on 3.8 million rows.
    """
    metric_code = pl.col("metric").cast(pl.Categorical).to_physical().cast(pl.UInt64)
    key = pl.col("record_id").cast(pl.UInt64) * (1 << 32) + metric_code
    keys = rows.select(key.alias("key")).to_series()
    ones = pl.repeat(1, rows.height, dtype=pl.UInt32, eager=True).alias("measurement_count")
    if not (keys.sort().diff() == 0).any():
        return ones
    repeated = keys.is_duplicated()
    subset = metrics.with_row_index("row").filter(repeated)
    counted = subset.select("row", pl.len().over(MEASUREMENT).alias("n"))
    return ones.scatter(counted["row"], counted["n"])


def metric_names_that(rows: pl.DataFrame, rule: pl.Expr) -> pl.Series:
    """The distinct metric names matching a rule on the name (cheaper than per row)."""
    return rows.select(pl.col("metric").unique().cast(pl.Utf8)).filter(rule).to_series()


def unparseable_timestamps(timestamps: pl.Series) -> pl.Series:
    """The distinct timestamps, as written, that match no known format and are no epoch."""
    text = pl.col("timestamp").str.strip_chars()
    epoch = text.cast(pl.Float64, strict=False)
    parses = [
        *(text.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in DATETIME_FORMATS),
        *(text.str.strptime(pl.Date, fmt, strict=False) for fmt in DATE_FORMATS),
    ]
    parsed = pl.any_horizontal(
        *(parse.is_not_null() for parse in parses),
        *(epoch.is_between(low, high).fill_null(False) for low, high in EPOCH_RANGES),
    )
    # Distinct values first: a run repeats one timestamp over many rows.
    distinct = timestamps.drop_nulls().unique().to_frame("timestamp")
    return distinct.filter((text != "") & ~parsed).to_series()


@dataclass(frozen=True)
class RecordContext:
    """What a row's checks read beyond the row itself, worked out once over the whole table:
    its record's facts and how often its measurement occurs. Validation builds the checks a
    part of the rows at a time (tasks.validate.validate.SUITE_ROWS) and slices this for each."""

    record_ids: pl.Series  # record_id() per row
    facts: pl.DataFrame  # record_facts, one row per record_id
    measurement_count: pl.Series  # measurement_counts per row
    bad_timestamps: pl.Series  # unparseable_timestamps of the whole table

    def slice(self, offset: int, length: int) -> RecordContext:
        """The context of rows offset..offset+length (the records' facts stay whole)."""
        return replace(
            self,
            record_ids=self.record_ids.slice(offset, length),
            measurement_count=self.measurement_count.slice(offset, length),
        )


def record_context(metrics: pl.DataFrame) -> RecordContext:
    """The RecordContext of a PARSED_METRICS table."""
    rows = metrics.select(CHECKED)
    record_ids = rows.select(record_id()).to_series()
    facts = record_facts(rows.lazy().with_columns(record_ids)).collect()
    keys = pl.DataFrame([record_ids, metrics.get_column("metric")])
    return RecordContext(
        record_ids=record_ids,
        facts=facts,
        measurement_count=measurement_counts(keys, metrics),
        bad_timestamps=unparseable_timestamps(metrics["timestamp"]),
    )


def build_metric_checks(
    metrics: pl.DataFrame,
    range_metrics: Iterable[str] = (),
    context: RecordContext | None = None,
) -> pl.DataFrame:
    """PARSED_METRICS rows plus the check columns the metrics suite reads (see module doc).
    `context`: the rows' RecordContext, when they are a part of a bigger table; by default
    the table is whole and its own context."""
    context = context if context is not None else record_context(metrics)
    has_error = pl.col("record_error").is_not_null()
    in_consistency_check = pl.col("metric").is_in([THROUGHPUT, EVAL_MS, EVAL_COUNT])
    counts_usable = (pl.col("single_throughput_tok_s") > 0) & (pl.col("record_eval_count") > 0)
    expected_eval_ms = pl.when(counts_usable).then(
        pl.col("record_eval_count") / pl.col("single_throughput_tok_s") * 1000
    )
    named_like_duration = metric_names_that(
        metrics,
        pl.any_horizontal(
            pl.col("metric").str.ends_with(suffix) for suffix in DURATION_OR_COUNT_SUFFIXES
        ),
    )
    named_like_change = metric_names_that(metrics, pl.col("metric").str.contains(CHANGE_WORDS))
    is_duration_or_count = (
        (
            pl.col("metric").is_in(named_like_duration.implode())
            | pl.col("unit").is_in(DURATION_OR_COUNT_UNITS)
        )
        & ~pl.col("unit").is_in(CHANGE_UNITS).fill_null(False)
        & ~pl.col("metric").is_in(named_like_change.implode())
    )

    # Only the columns the checks and the suite's reasons read, taken from the input as they
    # are; each record's facts are computed once and gathered onto its rows. Joining the rows
    # with the facts instead copied every checked column: on 3.8 million rows the checks took
    # 0.8 GB, 1.7 GB at their peak, against 0.3 GB and 0.4 GB then (in one part).
    rows = metrics.select(CHECKED)
    facts = context.record_ids.to_frame().join(
        context.facts, on="record_id", how="left", maintain_order="left"
    )
    checks = rows.hstack(facts)
    flags = (
        checks.with_columns(context.measurement_count)
        .select(
            "measurement_count",
            missing_provenance=pl.any_horizontal(
                pl.col(name).is_null() for name in (*RECORD, "metric")
            ),
            # A record's error already explains its missing values (a timed-out run).
            value_missing_without_error=~pl.col("value").is_finite().fill_null(False) & ~has_error,
            record_has_error=has_error,
            record_success_contradicts_error=pl.col("record_succeeded") & has_error,
            throughput_tok_s_on_record_without_error=pl.when(~has_error).then(
                pl.col("record_throughput_tok_s")
            ),
            duration_or_count_value=pl.when(is_duration_or_count).then(pl.col("value")),
            expected_eval_ms=expected_eval_ms,
            unparseable_timestamp=pl.col("timestamp")
            .is_in(context.bad_timestamps.implode())
            .fill_null(False),
            eval_ms_to_expected_ratio=pl.when(in_consistency_check).then(
                pl.col("record_eval_ms") / expected_eval_ms
            ),
            **{
                RANGE_PREFIX + metric: pl.when(pl.col("metric") == metric).then(pl.col("value"))
                for metric in range_metrics
            },
        )
        .with_columns(duplicate_measurement=pl.col("measurement_count") > 1)
    )
    return checks.hstack(flags)


def build_file_checks(files: pl.DataFrame) -> pl.DataFrame:
    """FILES rows plus flags for the files suite: an unexplained skip, an orphaned duplicate."""
    not_parsed = pl.col("status").fill_null("") != "parsed"
    return files.with_columns(
        unparsed_without_reason=not_parsed & text_or_null("reason").is_null(),
        duplicate_without_original=(pl.col("status") == "duplicate").fill_null(False)
        & text_or_null("duplicate_of").is_null(),
    )
