"""A chart per changed series: its runs over time, each run's repetitions and median, the change
point marked with the medians before and after it.

In: the points of the history's series (tasks.history.series.series_points) and the CHANGES
rows to mark. Out: PNG files, one per series, named by series id. Drawn with the object API on
Agg, as tasks.report.charts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from tasks.facts.findings import metric_words
from tasks.markdown import signed_percent
from tasks.report.charts import DPI, FONT_SIZE, new_figure, number_axis

MEDIAN_COLOUR = "#1f77b4"
CHANGE_COLOURS = {"regression": "#d62728", "improvement": "#2ca02c"}


def _labels(points: pl.DataFrame) -> list[str]:
    """A tick per run: its data date, else the date it was first read; with the time, and when
    it was read, where runs share a date (a file rewritten in place keeps its timestamps)."""
    times, seen = points["time"].to_list(), points["seen_at"].to_list()
    dates = [f"{t:%Y-%m-%d}" if t is not None else f"read {s:%Y-%m-%d}"
             for t, s in zip(times, seen, strict=True)]  # fmt: skip
    labels = []
    for date, time, read in zip(dates, times, seen, strict=True):
        if dates.count(date) == 1 or time is None:
            labels.append(date)
        else:
            labels.append(f"{time:%Y-%m-%d %H:%M}\nread {read:%m-%d %H:%M:%S}")
    return labels


def plot_series_change(points: pl.DataFrame, changes: pl.DataFrame, path: Path) -> Path:
    """One series' runs in time order, with its change points marked."""
    points = points.sort("position")
    first = points.row(0, named=True)
    x = np.arange(points.height)
    figure = new_figure(8, 3.6)
    axes = figure.add_subplot()
    for i, values in enumerate(points["values"].to_list()):
        axes.scatter(np.full(len(values), i), values, s=12, alpha=0.35, color="#7f7f7f",
                     edgecolor="none", label="repetitions" if i == 0 else None)  # fmt: skip
    axes.plot(x, points["median"].to_numpy(), marker="o", color=MEDIAN_COLOUR,
              label="median of each run")  # fmt: skip
    for number, change in enumerate(changes.iter_rows(named=True)):
        colour = CHANGE_COLOURS.get(change["kind"], "#000000")
        at = change["position"] - 0.5
        axes.axvline(at, color=colour, linestyle="--", linewidth=1.2)
        start = change["position"] - change["before_points"]
        stop = change["position"] + change["after_points"]
        axes.hlines(change["before_median"], start - 0.3, at, colors=colour, alpha=0.6,
                    label="median before and after" if number == 0 else None)  # fmt: skip
        axes.hlines(change["after_median"], at, stop - 0.7, colors=colour, alpha=0.9)
        axes.annotate(
            f"{change['kind']} {signed_percent(change['change_pct'])}",
            xy=(at, change["after_median"]),
            xytext=(6, 8),
            textcoords="offset points",
            color=colour,
            fontsize=FONT_SIZE,
        )
    labels = _labels(points)
    step = max(1, points.height // 12)  # at most about a dozen labels stay legible
    axes.set_xticks(x[::step], labels[::step], rotation=30, ha="right", fontsize=FONT_SIZE - 1)
    axes.set_xlim(-0.6, points.height - 0.4)
    unit = first["unit"] or ""
    axes.set_ylabel(f"{metric_words(first['metric'])} ({unit})", fontsize=FONT_SIZE)
    # Ticks on whole steps of 1, 2 or 5: the shared formatter writes 72.5 as "72".
    from matplotlib.ticker import MaxNLocator  # with the first chart, as charts.new_figure

    axes.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    axes.yaxis.set_major_formatter(number_axis())
    axes.grid(alpha=0.3)
    axes.set_title(
        f"{first['model']}: {metric_words(first['metric'])} per run\n{first['config']}",
        fontsize=FONT_SIZE,
    )
    axes.legend(loc="best", fontsize=FONT_SIZE - 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI)
    return path


def write_change_charts(
    points: pl.DataFrame, changes: pl.DataFrame, folder: Path
) -> dict[str, Path]:
    """A chart per series with a change among `changes`: {series_id: path}."""
    charts = {}
    for (series_id,), marked in changes.group_by(["series_id"], maintain_order=True):
        own = points.filter(pl.col("series_id") == series_id)
        charts[series_id] = plot_series_change(own, marked, Path(folder) / f"{series_id}.png")
    return charts
