"""`chimera history`: the history store in, its series with their runs and change points out.

Pure: a History in, a list of plain dicts (the JSON) and their text out. Every series is
analysed as of the latest committed run, with the same detection the flow uses.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from tasks.facts.findings import metric_words
from tasks.history.series import analyse_series, series_points
from tasks.history.store import PARTITION, History
from tasks.markdown import adaptive_number, p_value, signed_percent


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def list_series(history: History, everything: bool = False) -> list[dict]:
    """Each series (with two runs or more unless `everything`), its runs in time order and its
    change points; ordered by model, metric and configuration."""
    runs = history.runs[PARTITION].to_list()
    order = {run_id: i for i, run_id in enumerate(runs)}
    points = series_points(history.measurements, order)
    series, changes = analyse_series(points, len(order))
    if not everything:
        series = series.filter(pl.col("points") > 1)
    listed = []
    for row in series.iter_rows(named=True):
        own = points.filter(pl.col("series_id") == row["series_id"]).sort("position")
        marked = changes.filter(pl.col("series_id") == row["series_id"]).sort("position")
        listed.append(
            {
                **{k: row[k] for k in ("series_id", "model", "metric", "unit", "statistic")},
                "config": row["config"],
                "status": row["status"],
                "noise_pct": row["noise_pct"],
                "latest_value": row["latest_value"],
                "trend_pct": row["trend_pct"],
                "runs": [
                    {
                        "data_time": _iso(p["time"]),
                        "first_read": _iso(p["seen_at"]),
                        "median": p["median"],
                        "measurements": p["n"],
                        "source_path": p["source_path"],
                        "history_run": p["first_run"],
                    }
                    for p in own.iter_rows(named=True)
                ],
                "change_points": [
                    {
                        "kind": c["kind"],
                        "at_run": c["position"],
                        "change_pct": c["change_pct"],
                        "p_value": c["p_value"],
                        "confidence": c["confidence"],
                        "method": c["method"],
                        "before_median": c["before_median"],
                        "after_median": c["after_median"],
                        "after_data_time": _iso(c["after_time"]),
                        "runs_before": c["runs_before"],
                        "runs_after": c["runs_after"],
                    }
                    for c in marked.iter_rows(named=True)
                ],
            }
        )
    return listed


def _when(run: dict, twice: bool = False) -> str:
    """A run as the listing names it: its data time, else when it was first read; `twice`: the
    data time is another run's too (a file rewritten in place), so when it was read as well."""
    read = f"read {run['first_read'][:16].replace('T', ' ')}"
    if not run["data_time"]:
        return read
    when = run["data_time"][:16].replace("T", " ")
    return f"{when} ({read})" if twice else when


def _names(runs: list[dict]) -> list[str]:
    times = [r["data_time"] for r in runs]
    return [_when(r, times.count(r["data_time"]) > 1) for r in runs]


def _trend(series: dict) -> str:
    trend = series["trend_pct"]
    if trend is None:
        return "no trend (one run)"
    return f"trend {signed_percent(trend)} against the runs before"


def render_listing(history_path: str, history: History, listed: list[dict], total: int) -> str:
    """The listing in words: a header, then per series its latest value, trend, status, runs in
    time order and change points."""
    runs = history.runs
    if runs.is_empty():
        return f"history {history_path}: no run recorded yet"
    first, last = runs["committed_at"].min(), runs["committed_at"].max()
    unstable = sum(s["status"] == "unstable" for s in listed)
    change_points = sum(len(s["change_points"]) for s in listed)
    lines = [
        f"history {history_path}: {runs.height} run(s) from {first:%Y-%m-%d %H:%M} to "
        f"{last:%Y-%m-%d %H:%M} UTC, {total} series; listed {len(listed)} "
        f"({unstable} unstable), {change_points} change point(s)",
    ]
    for series in listed:
        unit = series["unit"] or ""
        lines += [
            "",
            f"{series['model']} {metric_words(series['metric'])} ({series['config']})",
            f"  latest {adaptive_number(series['latest_value'])} {unit}, {_trend(series)}, "
            f"{series['status']}, {len(series['runs'])} run(s)",
            "  runs: "
            + " | ".join(
                f"{name} {adaptive_number(r['median'])}"
                for name, r in zip(_names(series["runs"]), series["runs"], strict=True)
            ),
        ]
        names = _names(series["runs"])
        for change in series["change_points"]:
            lines.append(
                f"  change: {change['kind']} {signed_percent(change['change_pct'])} from "
                f"{names[change['at_run']]} on ({adaptive_number(change['before_median'])} -> "
                f"{adaptive_number(change['after_median'])} {unit}; {change['method']} "
                f"{p_value(change['p_value'])})"
            )
    return "\n".join(lines)
