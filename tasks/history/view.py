"""What changed: the history and this run's measurements in, the run's view of its series out.

A run tells the news of one run of its pile (its sources): its own when it brings any (new
measurements, or series its previous run had and it lacks, or it is the pile's first run), else
that of the pile's last run that did. A nightly run with new files reports them; a re-render of
unchanged files (the agents' follow-up run, a second run by hand, a run repeated after one
killed before its history append) tells the same news again rather than "nothing changed", and
emits no event. Pure: frames in, frames out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from tasks.history.schemas import HISTORY_MEASUREMENTS, PRESENT, SERIES, not_in_history
from tasks.history.series import analyse_series, series_points
from tasks.history.store import PARTITION, History
from tasks.schemas import conform

_DESCRIPTION = ("series_id", "model", "metric", "unit", "direction", "statistic", "config")


@dataclass(frozen=True)
class HistoryView:
    run: dict  # this run's HISTORY_RUNS row, as far as it is known before the append
    measurements: pl.DataFrame  # HISTORY_MEASUREMENTS: the run's countable measurements, all
    present: pl.DataFrame  # PRESENT: the series they belong to
    reported_run_id: str  # whose news this run tells
    brings_news: bool  # reported_run_id is this run
    first_of_pile: bool  # no earlier run of the pile: every series is new, none is news
    series: pl.DataFrame  # SERIES of the present series, as of the reported run
    changes: pl.DataFrame  # CHANGES of those series; `new`: the reported run's news
    points: pl.DataFrame  # the present series' points (tasks.history.series.series_points)
    new_series: pl.DataFrame  # SERIES rows first measured by the reported run
    removed_series: pl.DataFrame  # series of the pile's run before it that it lacks

    @property
    def news(self) -> pl.DataFrame:
        return self.changes.filter(pl.col("new"))


def pile_key(sources: list[str]) -> str:
    """The pile's identity: its source folders, sorted."""
    return hashlib.sha256("\n".join(sorted(sources)).encode()).hexdigest()[:16]


def present_series(measurements: pl.DataFrame) -> pl.DataFrame:
    return conform(
        measurements.group_by("series_id").agg(pl.len().alias("measurements")).sort("series_id"),
        PRESENT,
    )


def _descriptions(measurements: pl.DataFrame, series_ids: list[str]) -> pl.DataFrame:
    chosen = measurements.filter(pl.col("series_id").is_in(series_ids))
    return conform(
        chosen.group_by("series_id", maintain_order=True)
        .agg([pl.col(c).first() for c in _DESCRIPTION if c != "series_id"])
        .sort("model", "metric", "config"),
        SERIES,
    )


def history_view(history: History, measurements: pl.DataFrame, run: dict) -> HistoryView:
    """The view of `run` (a HISTORY_RUNS row: run_id, pile_key...) with its countable
    `measurements` (HISTORY_MEASUREMENTS) against the committed `history`."""
    run_id = run["run_id"]
    order = {r: i for i, r in enumerate(history.runs[PARTITION].to_list())}
    pile = history.runs.filter(pl.col("pile_key") == run["pile_key"])
    pile_runs = pile[PARTITION].to_list()
    measurements = conform(measurements, HISTORY_MEASUREMENTS)
    fresh = not_in_history(measurements, history.keys)
    present = present_series(measurements)
    present_ids = present["series_id"].to_list()

    def present_in(run_id: str | None) -> set[str]:
        rows = history.present.filter(pl.col(PARTITION) == run_id)
        return set(rows["series_id"].to_list())

    last = pile_runs[-1] if pile_runs else None
    lost = present_in(last) - set(present_ids) if last else set()
    brings_news = last is None or fresh.height > 0 or bool(lost)
    if brings_news:
        reported, reported_order, before = run_id, len(order), last
    else:
        told = pile.filter(pl.col("reported_run_id") == pl.col(PARTITION))[PARTITION].to_list()
        reported = told[-1] if told else last
        reported_order = order[reported]
        earlier = pile_runs[: pile_runs.index(reported)]
        before = earlier[-1] if earlier else None
        lost = present_in(before) - present_in(reported) if before else set()
    rows = pl.concat(
        [
            history.measurements.filter(pl.col("series_id").is_in(present_ids)),
            fresh.with_columns(pl.lit(run_id).alias(PARTITION)),
        ],
        how="vertical_relaxed",
    )
    points = series_points(rows, order)
    told_before = history.changes.filter(
        pl.col(PARTITION).replace_strict(order, default=len(order), return_dtype=pl.Int64)
        < reported_order
    )
    series, changes = analyse_series(points, reported_order, told_before)
    first_of_pile = before is None
    new_series = (
        series.head(0) if first_of_pile else series.filter(pl.col("new_points") == pl.col("points"))
    )
    news = changes.filter(pl.col("new")) if reported == run_id else changes.head(0)
    return HistoryView(
        run={
            **run,
            "reported_run_id": reported,
            "series_present": present.height,
            "series_removed": len(lost) if reported == run_id else 0,
            "regressions": news.filter(pl.col("kind") == "regression").height,
            "improvements": news.filter(pl.col("kind") == "improvement").height,
        },
        measurements=measurements,
        present=present,
        reported_run_id=reported,
        brings_news=brings_news and reported == run_id,
        first_of_pile=first_of_pile,
        series=series,
        changes=changes,
        points=points.filter(pl.col("first_order") <= reported_order),
        new_series=new_series,
        removed_series=_descriptions(history.measurements, sorted(lost)),
    )
