"""Series and their change points: history measurements in, the SERIES and CHANGES tables out.

A point is one run of a benchmark within a series: the values of one file's content (sha256) on
one day of the data's own time, so a folder of dated runs is a series of points on its first
read, and a file that holds several days holds several points. Points are ordered by the data's
time, then by when a run of this program first saw them (files that state no time are placed at
the moment they were first read), then by content hash.

Each point carries the order of the run that first added it (`first_order`: its rank among the
committed runs; the run in progress comes after all of them). A change is news for run R when
the points up to R show it (tasks.history.detection) and no earlier run reported it: matched by
the first point after it, within MATCH_POINTS, and its sign, so a change E-divisive places a
point later once it has seen more of the series, or finds again after a night it did not, is
not told twice.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from tasks.history.detection import Change, detect
from tasks.history.schemas import CHANGES, SERIES
from tasks.schemas import conform

_DESCRIPTION = ("model", "metric", "unit", "direction", "statistic", "config")
MATCH_POINTS = 2


def series_points(measurements: pl.DataFrame, run_order: dict[str, int]) -> pl.DataFrame:
    """One row per point of each series, in time order, with `position` within its series.
    `measurements` has a run_id column; `run_order` ranks the run ids (absent: the run in
    progress, ranked after all)."""
    last = len(run_order)
    framed = measurements.with_columns(
        pl.col("data_time").dt.date().alias("_day"),
        pl.col("run_id")
        .replace_strict(run_order, default=last, return_dtype=pl.Int64)
        .alias("_order"),
    )
    # A point is a file's values of one day: grouped by the file and the day, and named
    # ("sha256:day") once per point, not once per row before grouping.
    point = pl.format("{}:{}", "sha256", pl.col("_day").fill_null("undated")).alias("point")
    return (
        framed.group_by("series_id", "sha256", "_day")
        .agg(
            *[pl.col(c).first() for c in _DESCRIPTION],
            pl.col("value").alias("values"),
            pl.col("value").median().alias("median"),
            pl.len().alias("n"),
            pl.col("data_time").min().alias("time"),  # null: the file states no time
            pl.col("seen_at").min().alias("seen_at"),
            pl.col("_order").min().alias("first_order"),
            pl.col("run_id").sort_by("_order").first().alias("first_run"),
            pl.col("source_path").first(),
            pl.format("{} {}", "source_path", "locator").alias("rows"),
        )
        .select("series_id", point, "sha256", pl.exclude("series_id", "sha256", "_day"))
        .with_columns(pl.coalesce("time", "seen_at").alias("_when"))
        .sort("series_id", "_when", "seen_at", "sha256")
        .drop("_when")
        .with_columns(pl.int_range(pl.len()).over("series_id").alias("position"))
    )


def _kind(change: Change, direction: str | None) -> str:
    worse = change.change_pct < 0 if direction == "higher" else change.change_pct > 0
    return "regression" if worse else "improvement"


def _change_row(change: Change, points: pl.DataFrame, new: bool) -> dict:
    before = points.row(change.position - 1, named=True)
    after = points.row(change.position, named=True)
    runs = points["first_run"].to_list()
    first = change.position - change.before_points
    stop = change.position + change.after_points
    description = points.row(0, named=True)
    return {
        "series_id": description["series_id"],
        **{c: description[c] for c in ("model", "metric", "unit", "direction", "config")},
        "kind": _kind(change, description["direction"]),
        "position": change.position,
        "change_pct": change.change_pct,
        "p_value": change.p_value,
        "confidence": 1 - change.p_value,
        "method": change.method,
        "before_median": change.before_median,
        "after_median": change.after_median,
        "before_points": change.before_points,
        "after_points": change.after_points,
        "before_n": change.before_n,
        "after_n": change.after_n,
        "before_time": before["time"],
        "after_time": after["time"],
        "before_source": before["source_path"],
        "after_source": after["source_path"],
        "after_point": after["point"],
        "runs_before": sorted({r for r in runs[first : change.position] if r}),
        "runs_after": sorted({r for r in runs[change.position : stop] if r}),
        "new": new,
    }


def _values(points: pl.DataFrame) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.float64) for v in points["values"].to_list()]


def _is_reported(change: Change, own: pl.DataFrame, reported: pl.DataFrame) -> bool:
    """Whether an earlier run reported this change: one of the series' reported changes has its
    sign and its first point after lies within MATCH_POINTS of this one's."""
    if reported.is_empty():
        return False
    where = dict(zip(own["point"], own["position"], strict=True))
    return any(
        point in where
        and abs(where[point] - change.position) <= MATCH_POINTS
        and (pct > 0) == (change.change_pct > 0)
        for point, pct in reported.select("after_point", "change_pct").iter_rows()
    )


def analyse_series(
    points: pl.DataFrame, reported_order: int, reported: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """SERIES and CHANGES for the points of runs up to `reported_order`. `reported`: the
    changes earlier runs reported (series_id, after_point, change_pct); the others are `new`."""
    earlier = (
        reported
        if reported is not None
        else pl.DataFrame(
            schema={"series_id": pl.Utf8, "after_point": pl.Utf8, "change_pct": pl.Float64}
        )
    )
    visible = points.filter(pl.col("first_order") <= reported_order)
    series_rows, change_rows = [], []
    for (series_id,), own in visible.group_by(["series_id"], maintain_order=True):
        own = own.sort("position").with_columns(pl.int_range(pl.len()).alias("position"))
        found = detect(_values(own))
        new_points = int((own["first_order"] == reported_order).sum())
        told = earlier.filter(pl.col("series_id") == series_id)
        for change in found.changes:
            change_rows.append(_change_row(change, own, not _is_reported(change, own, told)))
        medians = own["median"].to_numpy()
        latest = float(medians[-1])
        since = found.changes[-1].position if found.changes else 0
        lookback = medians[since:-1] if since < len(medians) - 1 else medians[:-1]
        trend = (
            (latest - float(np.median(lookback))) / abs(float(np.median(lookback))) * 100
            if lookback.size and np.median(lookback)
            else None
        )
        description = own.row(0, named=True)
        series_rows.append(
            {
                "series_id": series_id,
                **{c: description[c] for c in _DESCRIPTION},
                "points": own.height,
                "measurements": int(own["n"].sum()),
                "first_time": own["time"].min(),
                "last_time": own["time"].max(),
                "latest_value": latest,
                "trend_pct": trend,
                "noise_pct": found.noise_pct,
                "status": found.status,
                "change_points": len(found.changes),
                "new_points": new_points,
            }
        )
    series = conform(pl.DataFrame(series_rows, infer_schema_length=None), SERIES)
    changes = conform(pl.DataFrame(change_rows, infer_schema_length=None), CHANGES)
    return series.sort("model", "metric", "config"), changes
