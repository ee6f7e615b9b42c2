"""PNG charts for the reports, drawn with matplotlib's Agg renderer (no display needed).

In: the METRICS table (rows that passed validation) and the AGENT_CALLS table. Out: PNG files;
each plot function takes frames and an output path and returns the path. `write_charts` writes
all of them into one folder and returns {name: path}. Figures are built with the object API
(`matplotlib.figure.Figure`), never pyplot, so no global figure state is shared between threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from tasks.facts.measurements import performance_rows
from tasks.markdown import axis_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

DPI = 110
FONT_SIZE = 10
AGENT_COLOURS = {"A": "#1f77b4", "B": "#d62728"}
MAX_MODELS = 12  # rows a per-model chart draws; more and the labels would not be legible
COLD_COLOUR = "#d62728"


def new_figure(width: float, height: float) -> Figure:
    # matplotlib is imported with the first chart, not with this module: a process holds its
    # 28 MB from the import on, and a big run's memory peaks (validation, the tables' write)
    # come before any chart is drawn.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def number_axis() -> FuncFormatter:
    """Tick labels as tasks.markdown.axis_number writes them."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(axis_number)


def _save(figure: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=DPI)
    return path


def _empty_chart(path: Path, title: str, message: str) -> Path:
    """A chart that says why there is nothing to draw, so a report's link never breaks."""
    figure = new_figure(7, 2.2)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_title(title, fontsize=FONT_SIZE + 2)
    axes.text(0.5, 0.45, message, ha="center", va="center", fontsize=FONT_SIZE, wrap=True)
    return _save(figure, path)


def _measurements(
    metrics: pl.DataFrame, metric: str, performance: pl.DataFrame | None
) -> pl.DataFrame:
    """The measurements the findings compare (tasks.facts.measurements.performance_rows, or
    `performance` when the caller has them), with their cold flag: the charts draw them, and
    compute no statistic of their own."""
    rows = performance if performance is not None else performance_rows(metrics)
    return rows.filter(pl.col("metric") == metric)


def _top_models(frame: pl.DataFrame) -> list[str]:
    """The models with most measurements, at most MAX_MODELS, in name order."""
    counts = frame.group_by("model").len().sort(["len", "model"], descending=[True, False])
    return sorted(counts.head(MAX_MODELS).get_column("model").to_list())


def _cold_marks(axes, rows: pl.DataFrame, models: list[str], first_y: int) -> bool:
    """Cold calls as diamonds on their model's row; whether there were any."""
    marked = False
    for y, model in enumerate(models, start=first_y):
        cold = rows.filter(pl.col("cold") & (pl.col("model") == model))["value"].to_numpy()
        if cold.size:
            axes.scatter(
                cold,
                np.full(cold.size, y),
                marker="D",
                s=28,
                color=COLD_COLOUR,
                zorder=3,
                label=None if marked else "cold call (left out of the findings)",
            )
            marked = True
    return marked


def plot_throughput_by_model(
    metrics: pl.DataFrame, path: Path, performance: pl.DataFrame | None = None
) -> Path:
    """One row per model; each dot is one warm measurement, cold calls as diamonds."""
    title = "Throughput per model"
    rows = _measurements(metrics, "throughput_tok_s", performance)
    if rows.is_empty():
        return _empty_chart(path, title, "No throughput measurement passed validation.")
    models = _top_models(rows)
    rows = rows.filter(pl.col("model").is_in(models))
    figure = new_figure(9, 1.2 + 0.55 * len(models))
    axes = figure.add_subplot()
    rng = np.random.default_rng(0)  # the same jitter every time the chart is drawn
    for y, model in enumerate(models):
        warm = rows.filter(~pl.col("cold") & (pl.col("model") == model))["value"].to_numpy()
        axes.scatter(
            warm,
            y + rng.uniform(-0.18, 0.18, warm.size),
            s=14,
            alpha=0.5,
            color="#1f77b4",
            edgecolor="none",
        )
    marked = _cold_marks(axes, rows, models, 0)
    counts = dict(rows.group_by("model").len().iter_rows())
    axes.set_yticks(range(len(models)), [f"{m} (n={counts[m]:,})" for m in models])
    axes.tick_params(axis="y", labelsize=FONT_SIZE)
    axes.set_ylim(len(models) - 0.5, -0.5)  # first model at the top, as a table reads
    axes.set_xlabel("Throughput (tokens/s)", fontsize=FONT_SIZE)
    axes.xaxis.set_major_formatter(number_axis())
    axes.set_xlim(left=0, right=rows["value"].max() * 1.1)
    axes.grid(axis="x", alpha=0.3)
    axes.set_title(
        f"{title}\none dot per measurement, every configuration; rows that name no model are "
        "left out",
        fontsize=FONT_SIZE + 1,
    )
    if marked:
        figure.legend(
            *axes.get_legend_handles_labels(), loc="outside lower center", fontsize=FONT_SIZE - 1
        )
    return _save(figure, path)


def plot_ttft_distribution(
    metrics: pl.DataFrame, path: Path, performance: pl.DataFrame | None = None
) -> Path:
    """Box plot of warm TTFT per model on a log axis, with the cold calls marked."""
    title = "Time to first token per model"
    # a log axis has no 0
    rows = _measurements(metrics, "ttft_ms", performance).filter(pl.col("value") > 0)
    if rows.is_empty():
        return _empty_chart(
            path, title, "No time-to-first-token measurement above 0 ms passed validation."
        )
    models = _top_models(rows)
    figure = new_figure(9, 1.4 + 0.5 * len(models))
    axes = figure.add_subplot()
    data = [
        rows.filter(~pl.col("cold") & (pl.col("model") == m))["value"].to_numpy() for m in models
    ]
    axes.boxplot(
        data,
        orientation="horizontal",
        widths=0.55,
        showfliers=True,
        flierprops={"marker": ".", "markersize": 4, "alpha": 0.5},
        medianprops={"color": "black"},
    )
    marked = _cold_marks(axes, rows, models, 1)
    labels = [f"{m} (n={d.size:,})" for m, d in zip(models, data, strict=True)]
    axes.set_yticks(range(1, len(models) + 1), labels, fontsize=FONT_SIZE)
    axes.set_ylim(len(models) + 0.5, 0.5)  # first model at the top
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(number_axis())
    axes.set_xlabel("Time to first token (ms, log scale)", fontsize=FONT_SIZE)
    axes.grid(axis="x", alpha=0.3, which="both")
    axes.set_title(
        f"{title}\nbox: warm calls' quartiles and median; whiskers: 1.5 × IQR; dots: outliers",
        fontsize=FONT_SIZE + 1,
    )
    if marked:
        figure.legend(
            *axes.get_legend_handles_labels(), loc="outside lower center", fontsize=FONT_SIZE - 1
        )
    return _save(figure, path)


def plot_agent_calls_over_runs(agent_calls: pl.DataFrame, path: Path) -> Path:
    """Throughput and TTFT of agents A and B per run: final calls joined, retries as rings."""
    title = "Agent A and B per LLM call over the runs"
    if agent_calls.is_empty():
        return _empty_chart(path, title, "No agent calls were recorded.")
    panels = (
        ("tokens_per_s", "Throughput (tokens/s)"),
        ("ttft_ms", "Time to first token (ms)"),
        ("total_ms", "Total duration (ms)"),
    )
    figure = new_figure(9, 7.2)
    axes_list = figure.subplots(len(panels), 1, sharex=True)
    final = (
        agent_calls.sort("run", "agent", "attempt")
        .group_by("run", "agent", maintain_order=True)
        .last()
    )
    keys = ["run", "agent", "attempt"]
    retries = agent_calls.join(final.select(keys), on=keys, how="anti")
    runs = sorted(agent_calls.get_column("run").unique().to_list())
    for axes, (column, label) in zip(axes_list, panels, strict=True):
        for agent, colour in AGENT_COLOURS.items():
            mine = final.filter(pl.col("agent") == agent).sort("run")
            if mine.is_empty():
                continue
            persona = mine.get_column("persona").drop_nulls().first() or ""
            axes.plot(
                mine.get_column("run").to_numpy(),
                mine.get_column(column).to_numpy(),
                marker="o",
                color=colour,
                label=f"{agent} {persona} (final call)",
            )
            extra = retries.filter(pl.col("agent") == agent)
            if not extra.is_empty():
                axes.scatter(
                    extra.get_column("run").to_numpy(),
                    extra.get_column(column).to_numpy(),
                    facecolors="none",
                    edgecolors=colour,
                    s=36,
                    label=f"{agent} earlier drafts",
                )
        axes.set_ylabel(label, fontsize=FONT_SIZE)
        axes.yaxis.set_major_formatter(number_axis())
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
    axes_list[-1].set_xlabel("Run", fontsize=FONT_SIZE)
    axes_list[-1].set_xticks(runs)
    figure.suptitle(title, fontsize=FONT_SIZE + 2)
    # Below the panels, so no line hides under it and the title stays clear.
    figure.legend(
        *axes_list[0].get_legend_handles_labels(),
        loc="outside lower center",
        ncols=2,
        fontsize=FONT_SIZE - 1,
    )
    return _save(figure, path)


def write_charts(
    metrics: pl.DataFrame,
    agent_calls: pl.DataFrame,
    out_dir: Path,
    performance: pl.DataFrame | None = None,
) -> dict[str, Path]:
    """Write every chart as PNG under out_dir; return {name: path} (names as in CHART_CAPTIONS).
    `performance`: performance_rows(metrics) when the caller has them already."""
    out_dir = Path(out_dir)
    if performance is None:
        performance = performance_rows(metrics)
    return {
        "throughput_by_model": plot_throughput_by_model(
            metrics, out_dir / "throughput_by_model.png", performance
        ),
        "ttft_distribution": plot_ttft_distribution(
            metrics, out_dir / "ttft_distribution.png", performance
        ),
        "agent_calls_over_runs": plot_agent_calls_over_runs(
            agent_calls, out_dir / "agent_calls_over_runs.png"
        ),
    }
