"""The history's schemas: what a run adds to the history store, and the two tables a run writes.

HISTORY/run_id=<run>/ holds, per run: measurements.parquet (HISTORY_MEASUREMENTS: the values the
run saw first), findings.parquet (tasks.schemas.FINDINGS: the run's findings), present.parquet
(PRESENT: the series its sources measure) and run.parquet (HISTORY_RUNS: one row). OUT/tables/
gets series.parquet (SERIES) and changes.parquet (CHANGES) for the run's own sources.
"""

from __future__ import annotations

import polars as pl

from tasks.facts.measurements import DIMENSION_COLUMNS
from tasks.schemas import DIMENSIONS, REPEATED_TEXT

UTC_TIME = pl.Datetime("us", "UTC")

# What makes two measurements comparable over time, beside the model and metric: a series is
# one value of each (tasks.history.fingerprint).
FINGERPRINT_DIMENSIONS = (*DIMENSION_COLUMNS, "extra")

HISTORY_MEASUREMENTS = pl.Schema(
    {
        # sha256 of the file, locator, metric, statistic: the value's identity. A file that did
        # not change has the same keys, so a re-run adds nothing twice.
        "measurement_key": pl.Utf8,
        "series_id": REPEATED_TEXT,  # 16 hex digits of the fingerprint's sha256
        "metric": REPEATED_TEXT,
        "unit": REPEATED_TEXT,
        "direction": REPEATED_TEXT,  # higher | lower: which way is better
        "statistic": REPEATED_TEXT,  # null: one measurement; mean, median...: a tool's summary
        "model": REPEATED_TEXT,  # the model's identity (tasks.facts.evidence.analysable)
        "raw_model": REPEATED_TEXT,  # as the file writes it
        "model_family": REPEATED_TEXT,
        "model_params": REPEATED_TEXT,
        "reader": REPEATED_TEXT,  # the reader that parsed its file: which harness wrote it
        **{name: DIMENSIONS[name] for name in FINGERPRINT_DIMENSIONS},
        "config": REPEATED_TEXT,  # the fingerprint in words: "temperature=0.3, top_p=0.9, ..."
        "value": pl.Float64,
        "sha256": REPEATED_TEXT,
        "source_path": REPEATED_TEXT,
        "locator": pl.Utf8,
        # The data's own time: the row's timestamp, else its file's (name or rows); null when
        # neither says. Series are ordered by it, then by when a run first saw the value.
        "data_time": UTC_TIME,
        "seen_at": UTC_TIME,  # when the run that added it started
    }
)


def measurement_key() -> pl.Expr:
    """A measurement's key from its parts: sha256|locator|metric|statistic."""
    parts = ("sha256", "locator", "metric", "statistic")
    return pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in parts], separator="|")


def with_measurement_keys(measurements: pl.DataFrame) -> pl.DataFrame:
    """HISTORY_MEASUREMENTS rows with their keys written out. A run's own measurements leave
    the key null until the history is compared or written: written out, the keys of a 50 MB
    CSV's 1.3 million measurements took 107 MB, which the run held to its end."""
    return measurements.with_columns(
        pl.coalesce(pl.col("measurement_key"), measurement_key()).alias("measurement_key")
    )


# A measurement's key, or the parts it is made of.
_KEY_COLUMNS = ("measurement_key", "sha256", "locator", "metric", "statistic")


def not_in_history(measurements: pl.DataFrame, known: pl.Series) -> pl.DataFrame:
    """The HISTORY_MEASUREMENTS rows whose keys are not among the `known` keys. Against an
    empty history (its first run) that is every row, returned as it is: building the keys and
    filtering were 0.13 GB of the history view's peak on a 50 MB CSV's 1.3 million measurements."""
    if known.is_empty():
        return measurements
    keys = with_measurement_keys(measurements.select(_KEY_COLUMNS))["measurement_key"]
    return measurements.filter(~keys.is_in(known.implode()))


HISTORY_RUNS = pl.Schema(
    {
        "run_id": pl.Utf8,
        "flow_run_id": pl.Utf8,
        "flow_run_name": pl.Utf8,
        "started_at": UTC_TIME,
        "committed_at": UTC_TIME,  # when its folder was renamed into the history
        "host": pl.Utf8,
        "out_dir": pl.Utf8,
        "sources": pl.List(pl.Utf8),
        "pile_key": pl.Utf8,  # sha256 of the sorted source folders: runs of one pile share it
        "measurements_added": pl.Int64,
        "series_present": pl.Int64,
        "series_removed": pl.Int64,  # present in the pile's previous run, not in this one
        # The run whose new measurements this run's "what changed" describes: itself when it
        # brought any, else the last run of the pile that did (a re-render tells the same news).
        "reported_run_id": pl.Utf8,
        "regressions": pl.Int64,
        "improvements": pl.Int64,
    }
)

PRESENT = pl.Schema({"series_id": pl.Utf8, "measurements": pl.Int64})

# tables/series.parquet: every series the run's sources measure, with its whole history.
SERIES = pl.Schema(
    {
        "series_id": pl.Utf8,
        "model": pl.Utf8,
        "metric": pl.Utf8,
        "unit": pl.Utf8,
        "direction": pl.Utf8,
        "statistic": pl.Utf8,
        "config": pl.Utf8,
        "points": pl.Int64,  # runs of the benchmark it has values from, in the history
        "measurements": pl.Int64,
        "first_time": UTC_TIME,  # the data's time of its first and latest point
        "last_time": UTC_TIME,
        "latest_value": pl.Float64,  # the latest point's median
        "trend_pct": pl.Float64,  # the latest point against the median of the points before it
        "noise_pct": pl.Float64,  # robust spread of one point to the next, % of the median
        "status": pl.Utf8,  # stable | unstable | short | single (see tasks.history.detection)
        "change_points": pl.Int64,
        "new_points": pl.Int64,  # points the reported run added
    }
)

# tables/changes.parquet: every change point of those series; `new` ones are the run's news.
CHANGES = pl.Schema(
    {
        "series_id": pl.Utf8,
        "model": pl.Utf8,
        "metric": pl.Utf8,
        "unit": pl.Utf8,
        "direction": pl.Utf8,
        "config": pl.Utf8,
        "kind": pl.Utf8,  # regression | improvement
        "position": pl.Int64,  # 0-based index of the first point after the change
        "change_pct": pl.Float64,  # after's median against before's, %
        "p_value": pl.Float64,
        "confidence": pl.Float64,  # 1 - p
        "method": pl.Utf8,  # e-divisive (Apache Otava) | t-test against the lookback
        "before_median": pl.Float64,
        "after_median": pl.Float64,
        "before_points": pl.Int64,
        "after_points": pl.Int64,
        "before_n": pl.Int64,  # measurements behind the medians
        "after_n": pl.Int64,
        "before_time": UTC_TIME,  # the data's time of the last point before and first after
        "after_time": UTC_TIME,
        "before_source": pl.Utf8,  # the file of those two points
        "after_source": pl.Utf8,
        "after_point": pl.Utf8,  # sha256 and day of the first point after: what a report names
        "runs_before": pl.List(pl.Utf8),  # history run ids that added the points before
        "runs_after": pl.List(pl.Utf8),
        "new": pl.Boolean,  # no earlier run reported it: the reported run's news
        "finding_id": pl.Utf8,  # the finding that states it, for a new one
    }
)
