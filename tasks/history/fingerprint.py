"""A run's measurements as the history keeps them: each with its series and the data's own time.

In: the validated METRICS table and the FILES table of a run. Out: HISTORY_MEASUREMENTS rows for
every measurement the findings count (tasks.facts.measurements.performance_rows: passed, each
measured value once, named model), warm calls only: quarantined rows, copies, targets, cold
first calls and outliers never enter a series. A series is one fingerprint: the model's
identity, the metric and statistic, the reader (which harness wrote the file) and every setting
dimension (options, backend, runtime, hardware, concurrency, lengths, `extra`), never the file's
path, so dated run folders of one benchmark line up as one series.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from tasks.facts.findings import outliers, without_strays
from tasks.facts.measurements import DIMENSION_COLUMNS, performance_rows
from tasks.history.schemas import (
    FINGERPRINT_DIMENSIONS,
    HISTORY_MEASUREMENTS,
    UTC_TIME,
)
from tasks.parse.pile import written_time
from tasks.schemas import conform, group_numbers

_KEY_PARTS = ("metric", "statistic", "model", "reader", *FINGERPRINT_DIMENSIONS)


def parsed_time(column: str) -> pl.Expr:
    """A text column of timestamps as UTC datetimes; null where no format fits."""
    return written_time(column).dt.replace_time_zone("UTC")


def _text(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Utf8).fill_null("")


def config_words() -> pl.Expr:
    """The fingerprint beside model and metric, in words: "temperature=0.3, runtime=ollama;
    generic csv" (the settings a row states, then its reader and statistic)."""
    settings = pl.concat_str(
        [
            pl.when(pl.col(c).is_not_null()).then(pl.format(f"{c}={{}}", pl.col(c)))
            for c in FINGERPRINT_DIMENSIONS
        ],
        separator=", ",
        ignore_nulls=True,
    )
    tail = pl.concat_str(
        [pl.col("reader"), pl.format("statistic {}", pl.col("statistic"))],
        separator=", ",
        ignore_nulls=True,
    )
    return (
        pl.when(settings != "")
        .then(pl.concat_str([settings, tail], separator="; ", ignore_nulls=True))
        .otherwise(pl.coalesce(tail, pl.lit("no settings stated")))
    )


def _series_ids(fingerprints: pl.Series) -> dict[str, str]:
    # sha256 rather than Polars' hash: the id must be the same in every version and process.
    return {
        text: hashlib.sha256(text.encode()).hexdigest()[:16]
        for text in fingerprints.unique().to_list()
    }


def history_measurements(
    metrics: pl.DataFrame,
    files: pl.DataFrame,
    seen_at: datetime,
    performance: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The run's countable measurements as HISTORY_MEASUREMENTS rows, seen at `seen_at`;
    `performance`: performance_rows(metrics) when the caller has them already."""
    kept = warm_measurements(metrics, performance)
    # A file's reader and time, and a series' id and words, are worked out once per file and
    # once per series, then gathered to the rows. Written out per row (a join of the rows on
    # the file, each row's fingerprint text), this step peaked at 1.94 GB on a 50 MB CSV's 1.3
    # million measurements, against 1.77 GB now (RSS with jemalloc purging at once).
    file_info = files.select(
        pl.col("relative_path").cast(kept.schema["source_path"]).alias("source_path"),
        "reader",
        parsed_time("data_time_min").alias("_file_time"),
    )
    by_file = (
        kept.select("source_path")
        .join(file_info, on="source_path", how="left", maintain_order="left")
        .select("reader", "_file_time")
    )
    framed = kept.hstack(by_file)
    series = _series_of(framed)
    framed = framed.with_columns(
        pl.coalesce(parsed_time("timestamp"), pl.col("_file_time")).alias("data_time"),
        pl.lit(seen_at).cast(UTC_TIME).alias("seen_at"),
    ).with_columns(series.get_columns())
    # One value per key: a record that states one metric twice (a CSV with two throughput
    # columns) is one measurement, the first. Filtered only when a key repeats: a filter (or
    # unique) copies every column, 0.45 GB on 1.3 million measurements.
    first = first_of_each_key(framed.select("sha256", "locator", "metric", "statistic"))
    # The key itself is left null until the history needs it (with_measurement_keys).
    return conform(framed if first.all() else framed.filter(first), HISTORY_MEASUREMENTS)


def first_of_each_key(keys: pl.DataFrame) -> pl.Series:
    """Whether each row is the first with its values in every column of `keys`. Decided on a
    hash of the row first, and on the columns themselves only for the rows whose hash repeats
    (equal rows hash alike; two hashes alike may still differ, which that second look tells):
    on the columns alone, every row's text was encoded for it: on a 50 MB CSV's 1.3 million
    measurements 0.2 GB above them, against 84 MB."""
    hashes = keys.select(pl.struct(keys.columns).hash()).to_series()
    repeats = hashes.is_duplicated()
    first = pl.repeat(True, keys.height, dtype=pl.Boolean, eager=True)
    if not repeats.any():
        return first
    positions = pl.arg_where(repeats, eager=True)
    looked_at = keys[positions].select(pl.struct(keys.columns).is_first_distinct()).to_series()
    return first.scatter(positions, looked_at)


def _series_of(rows: pl.DataFrame) -> pl.DataFrame:
    """Each row's `series_id` and `config` (the fingerprint in words), worked out once for each
    distinct fingerprint and gathered to the rows by the fingerprint's number."""
    keys = rows.select(_KEY_PARTS)
    number = group_numbers(keys)
    first = number.is_first_distinct()
    distinct = _described(keys.filter(first)).with_columns(number.filter(first).alias("_number"))
    return (
        number.to_frame("_number")
        .join(distinct, on="_number", how="left", maintain_order="left")
        .select("series_id", config="_words")
    )


def _described(distinct: pl.DataFrame) -> pl.DataFrame:
    """The distinct fingerprints with their `series_id` and `_words` (the config to be)."""
    described = distinct.with_columns(
        pl.concat_str([_text(c) for c in _KEY_PARTS], separator="|").alias("_fingerprint"),
        config_words().alias("_words"),
    )
    ids = _series_ids(described["_fingerprint"])
    return described.with_columns(
        pl.col("_fingerprint").replace_strict(ids, return_dtype=pl.Utf8).alias("series_id")
    )


# performance_rows' columns that a history measurement keeps or is made of (`config`, the
# file's own label, is a dimension of the fingerprint before the words replace it).
_MEASURED = (*HISTORY_MEASUREMENTS.names(), "timestamp")
# ... and those outliers() reads besides.
_OUTLIER_INPUTS = ("experiment", "model", "config_label", "metric", "value", *DIMENSION_COLUMNS)


def warm_measurements(
    metrics: pl.DataFrame, performance: pl.DataFrame | None = None
) -> pl.DataFrame:
    """performance_rows' warm measurements that are no outlier, in the columns a history
    measurement is made of (and outliers() reads). Those columns only, taken before the cold
    calls are filtered out: the filter, the keys and the words built on the rows copy every
    column they are given, and the other 20 columns made that 0.5 GB more on 1.3 million
    measurements."""
    if performance is None:
        performance = performance_rows(metrics)
    read = dict.fromkeys(
        name
        for name in (*_MEASURED, *_OUTLIER_INPUTS, "source_path", "locator")
        if name in performance.columns
    )
    warm = performance.select(*read, "cold").filter(~pl.col("cold")).drop("cold")
    measured = warm.select(name for name in _MEASURED if name in warm.columns)
    return without_strays(measured, outliers(warm))
