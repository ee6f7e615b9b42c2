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

from tasks.schemas import METRICS

MIN_REPETITIONS = 3  # fewer measurements than this and a configuration's mean is anecdote
_OPTIONS = ("num_gpu", "num_ctx", "temperature", "top_p", "top_k")
# Of a tool's statistics, the one that stands for a run when no per-sample rows are there.
_CENTRAL = ("mean", "median", "p50")


def analysable(metrics: pl.DataFrame) -> pl.DataFrame:
    """The rows that count, once each, with `model` the model's identity (raw name kept in
    `raw_model`)."""
    # Rows that no pile step classified (a table from an older run) count as measurements.
    rows = (
        metrics.with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in METRICS.items() if c not in metrics.columns]
        )
        .filter(
            (pl.col("status") != "quarantined")
            & pl.col("copy_of").is_null()
            & pl.col("role").fill_null("measurement").is_in(["measurement", "aggregate"])
        )
        .with_columns(pl.col("role").fill_null("measurement"))
    )
    record_group = ["source_path", "metric", "model_id"]
    rows = rows.with_columns(
        pl.col("statistic").is_null().any().over(record_group).alias("_has_samples")
    ).filter(
        pl.col("statistic").is_null()
        | (~pl.col("_has_samples") & pl.col("statistic").is_in(_CENTRAL))
    )
    # One central statistic per record: mean, else median.
    rows = rows.with_columns(
        (pl.col("statistic") == "mean").any().over([*record_group, "locator"]).alias("_mean")
    ).filter(pl.col("statistic").is_null() | (pl.col("statistic") == "mean") | ~pl.col("_mean"))
    # Data files first; a summary, then a report's table, only for a model and metric that no
    # data file measures (a report's 117 ms beside the raw 129.14 ms is not a second run).
    in_report = pl.col("format").eq_missing("markdown")
    data = rows.filter((pl.col("role") == "measurement") & ~in_report)
    covered = data.select("model_id", "metric").unique()
    aggregates = rows.filter(pl.col("role") == "aggregate").join(
        covered, on=["model_id", "metric"], how="anti", nulls_equal=True
    )
    covered = pl.concat([covered, aggregates.select("model_id", "metric")]).unique()
    reports = (
        rows.filter((pl.col("role") == "measurement") & in_report)
        .join(covered, on=["model_id", "metric"], how="anti", nulls_equal=True)
        # two reports quoting one number quote one measurement
        .unique(
            ["model_id", "metric", "config", *_OPTIONS, "value"], keep="first", maintain_order=True
        )
    )
    return (
        pl.concat([data, aggregates, reports])
        .drop("_has_samples", "_mean")
        .with_columns(
            pl.col("model").alias("raw_model"),
            pl.coalesce("model_id", "model").alias("model"),
        )
    )
