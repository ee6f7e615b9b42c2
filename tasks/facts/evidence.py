"""Which metric rows count as evidence for an analysis: each real measurement once.

In: a METRICS frame (validated, with role, copy_of, statistic and model identity from
tasks.parse.pile). Out: the rows an analysis may use, with `model` set to the normalised model
identity, so the name variants of one model group together. A row counts when it passed
validation, is a measurement (not a copy, target or narrative number) and is not a statistic
where the samples it summarises are there too (llama-bench's avg_ts beside samples_ts); an
aggregate (a summary's mean) counts only for a model and metric that no measurement covers.
Every statistic of the reports and facts starts from here, so the rule lives in one place.
"""

from __future__ import annotations

import polars as pl

# Of a tool's statistics, the one that stands for a run when no per-sample rows are there.
_CENTRAL = ("mean", "median", "p50")


def analysable(metrics: pl.DataFrame) -> pl.DataFrame:
    """The rows that count, once each, with `model` the model's identity (raw name kept in
    `raw_model`)."""
    # Rows that no pile step classified (a table from an older run) count as measurements.
    missing = {"role": pl.Utf8, "copy_of": pl.Utf8, "statistic": pl.Utf8, "model_id": pl.Utf8}
    rows = (
        metrics.with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in missing.items() if c not in metrics.columns]
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
        pl.col("statistic").is_in(["mean"]).any().over([*record_group, "locator"]).alias("_mean")
    ).filter(pl.col("statistic").is_null() | (pl.col("statistic") == "mean") | ~pl.col("_mean"))
    measured = rows.filter(pl.col("role") == "measurement").select("model_id", "metric").unique()
    aggregates = rows.filter(pl.col("role") == "aggregate").join(
        measured, on=["model_id", "metric"], how="anti", nulls_equal=True
    )
    return (
        pl.concat([rows.filter(pl.col("role") == "measurement"), aggregates])
        .drop("_has_samples", "_mean")
        .with_columns(
            pl.col("model").alias("raw_model"),
            pl.coalesce("model_id", "model").alias("model"),
        )
    )
