"""Which metric rows count as evidence for an analysis: each real measurement once.

In: a METRICS frame (validated, with role, copy_of, statistic and model identity from
tasks.parse.pile). Out: the rows an analysis may use, with `model` set to the normalised model
identity, so the name variants of one model group together. A row counts when it passed
validation, is a measurement (not a copy, target or narrative number) and is not a statistic
where the samples it summarises are there too (llama-bench's avg_ts beside samples_ts). Data
files come first: an aggregate (a summary's mean) counts only for a model and metric that no
data file measures, and a report's table only where neither does.
Every statistic of the reports and facts starts from here, so the rule lives in one place.
"""

from __future__ import annotations

import polars as pl

from tasks.parse.paths import model_named_by_folders
from tasks.schemas import METRICS

MIN_REPETITIONS = 3  # fewer measurements than this and a configuration's mean is anecdote
_OPTIONS = ("num_gpu", "num_ctx", "temperature", "top_p", "top_k")
# Of a tool's statistics, the one that stands for a run when no per-sample rows are there.
_CENTRAL = ("mean", "median", "p50")


def analysable(metrics: pl.DataFrame) -> pl.DataFrame:
    """The rows that count, once each, with `model` the model's identity (raw name kept in
    `raw_model`)."""
    metrics = with_metrics_columns(metrics)
    return identified(take_rows(metrics, analysable_rows(metrics)))


def with_metrics_columns(metrics: pl.DataFrame) -> pl.DataFrame:
    """The table with the METRICS columns it lacks (a table from an older run) as nulls."""
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in METRICS.items() if c not in metrics]
    return metrics.with_columns(missing) if missing else metrics


def identified(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of analysable_rows with their role filled in and `model` the model's identity."""
    return rows.with_columns(
        pl.col("role").fill_null("measurement"),
    ).with_columns(
        pl.col("model").alias("raw_model"),
        model_identity(),
    )


def model_identity() -> pl.Expr:
    """`model` as the analysis names it: the normalised identity, else the name as written."""
    return pl.coalesce("model_id", "model").alias("model")


def take_rows(frame: pl.DataFrame, positions: pl.Series) -> pl.DataFrame:
    """The frame's rows at these positions, in their order; the frame itself when they are all
    its rows in order (no copy)."""
    if positions.len() == frame.height and positions.equals(
        pl.int_range(frame.height, dtype=positions.dtype, eager=True), check_names=False
    ):
        return frame
    return frame[positions]


def analysable_rows(metrics: pl.DataFrame) -> pl.Series:
    """The positions in `metrics` (a METRICS table) of the rows that count, in analysable's
    order: the data files' rows, then the aggregates', then the reports'.

    Each rule reads its own columns, on the rows it may drop, and the rows are taken from the
    table once, by the caller: the rules on the whole table copied its 40 columns at each of
    their filters, and their windows grouped every row by four text columns (3.8 million
    rows: analysable peaked 2.3 GB above the table; the rules now take 20 MB, the rows taken
    0.75 GB).
    """
    keep = (
        (pl.col("status") != "quarantined")
        & pl.col("copy_of").is_null()
        & pl.col("role").fill_null("measurement").is_in(["measurement", "aggregate"])
    )
    rows = (
        metrics.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
            pl.col("role").fill_null("measurement"),
            "statistic",
            pl.col("format").eq_missing("markdown").alias("_in_report"),
            keep.alias("_keep"),
        )
        .filter("_keep")
        .drop("_keep")
    )
    rows = _one_statistic_each(metrics, rows)
    # Data files first; a summary, then a report's table, only for a model and metric that no
    # data file measures (a report's 117 ms beside the raw 129.14 ms is not a second run).
    data = rows.filter((pl.col("role") == "measurement") & ~pl.col("_in_report"))
    aggregates = rows.filter(pl.col("role") == "aggregate")
    reports = rows.filter((pl.col("role") == "measurement") & pl.col("_in_report"))
    reports = _drop_folder_guesses(metrics, reports)
    if not (aggregates.is_empty() and reports.is_empty()):
        aggregates, reports = _not_covered(metrics, data, aggregates, reports)
    return pl.concat([frame.select("_row") for frame in (data, aggregates, reports)]).to_series()


def _with_columns_of(metrics: pl.DataFrame, rows: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """`rows` (with `_row`, a position in `metrics`) with these columns of their table rows."""
    return rows.hstack(metrics.select(names)[rows["_row"]])


def _one_statistic_each(metrics: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """The rows without a statistic; of a tool's statistics, only a central one where the
    samples it summarises are not there, and of those, the mean when there is one. Only the
    files that state statistics are looked at: elsewhere every row has none."""
    stated = rows.filter(pl.col("statistic").is_not_null())
    if stated.is_empty():
        return rows
    paths = _with_columns_of(metrics, stated, ["source_path"])["source_path"].unique()
    in_paths = (
        _with_columns_of(metrics, rows.select("_row"), ["source_path"])
        .select(pl.col("source_path").is_in(paths.implode(), nulls_equal=True))
        .to_series()
    )
    record_group = ["source_path", "metric", "model_id"]
    looked_at = _with_columns_of(metrics, rows.filter(in_paths), [*record_group, "locator"])
    looked_at = looked_at.with_columns(
        pl.col("statistic").is_null().any().over(record_group).alias("_has_samples")
    ).filter(
        pl.col("statistic").is_null()
        | (~pl.col("_has_samples") & pl.col("statistic").is_in(_CENTRAL))
    )
    # One central statistic per record: mean, else median.
    kept = looked_at.with_columns(
        (pl.col("statistic") == "mean").any().over([*record_group, "locator"]).alias("_mean")
    ).filter(pl.col("statistic").is_null() | (pl.col("statistic") == "mean") | ~pl.col("_mean"))
    return rows.filter(~in_paths | pl.col("_row").is_in(kept["_row"].implode()))


def _drop_folder_guesses(metrics: pl.DataFrame, reports: pl.DataFrame) -> pl.DataFrame:
    """The reports' rows but those whose model only a folder names (tasks.parse.paths): a
    report in "llama3/" with a table per quantization is no measurement of "llama3" (the
    sample pile's report on llama3.1:8b-instruct ranked as a model of its own)."""
    if reports.is_empty():
        return reports
    named = _with_columns_of(metrics, reports, ["source_path", "model"])
    paths = named["source_path"].unique().drop_nulls().cast(pl.Utf8).to_list()
    guesses = {path: model_named_by_folders(path) for path in paths}
    guesses = {path: model for path, model in guesses.items() if model is not None}
    if not guesses:
        return reports
    guessed = pl.col("source_path").cast(pl.Utf8).replace_strict(
        guesses, default=None, return_dtype=pl.Utf8
    ) == pl.col("model").cast(pl.Utf8)
    return reports.filter(~named.select(guessed.fill_null(False)).to_series())


def _not_covered(
    metrics: pl.DataFrame, data: pl.DataFrame, aggregates: pl.DataFrame, reports: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The aggregates of a model and metric that no data file measures, and the reports'
    rows of one that neither does, each number once."""
    keys = ["model_id", "metric"]
    covered = _with_columns_of(metrics, data, keys).select(keys).unique()
    aggregates = _with_columns_of(metrics, aggregates, keys).join(
        covered, on=keys, how="anti", nulls_equal=True
    )
    covered = pl.concat([covered, aggregates.select(keys)]).unique()
    reports = (
        _with_columns_of(metrics, reports, [*keys, "config", *_OPTIONS, "value"])
        .join(covered, on=keys, how="anti", nulls_equal=True)
        # two reports quoting one number quote one measurement
        .unique([*keys, "config", *_OPTIONS, "value"], keep="first", maintain_order=True)
    )
    return aggregates, reports
