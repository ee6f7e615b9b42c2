"""Benchmark findings read from the validated metrics, the same every time for the same tables.

In: the METRICS table (rows with status quarantined count only as failed runs) and the FILES
table (for each file's folder). Out: frames, one per question (best and worst configuration per
model, cold starts, configurations with too few repetitions, failed runs per folder), and
`render_findings`, a Markdown section built from them for combined.md. Pure: no I/O.
"""

from __future__ import annotations

import polars as pl

from tasks.facts.compute import config_label
from tasks.facts.evidence import MIN_REPETITIONS, analysable
from tasks.report.summary import num, table

# A first prompt this many times slower to its first token than the model's median is a cold start.
COLD_START_FACTOR = 3.0
MAX_LISTED = 15  # rows a long list shows before it says how many more there are
METHOD_NUMBERS = (MIN_REPETITIONS, COLD_START_FACTOR, MAX_LISTED)
PERFORMANCE_METRICS = ("throughput_tok_s", "ttft_ms")


def passing_performance(metrics: pl.DataFrame) -> pl.DataFrame:
    """Throughput and TTFT rows that passed validation and name their model, with a config label.

    Rows without a model are left out: ranking or taking a median across unnamed models would
    compare different models as if they were one.
    """
    return (
        analysable(metrics)
        .filter(
            pl.col("metric").is_in(PERFORMANCE_METRICS)
            & pl.col("value").is_finite()
            & pl.col("model").is_not_null()
        )
        .with_columns(config_label())
    )


def unnamed_model_rows(metrics: pl.DataFrame) -> int:
    """Passing throughput and TTFT rows that do not say which model they measured."""
    return (
        analysable(metrics)
        .filter(pl.col("metric").is_in(PERFORMANCE_METRICS) & pl.col("model").is_null())
        .height
    )


def configuration_stats(metrics: pl.DataFrame, metric: str) -> pl.DataFrame:
    """Per model and configuration: n, mean and median of one metric."""
    return (
        passing_performance(metrics)
        .filter(pl.col("metric") == metric)
        .group_by("model", "config_label")
        .agg(n=pl.len(), mean=pl.col("value").mean(), p50=pl.col("value").median())
        .sort("model", "config_label")
    )


def best_and_worst(
    metrics: pl.DataFrame, metric: str, by: str, higher_is_better: bool
) -> pl.DataFrame:
    """Per model: the best and the worst configuration by statistic `by` of one metric.

    Only configurations with at least MIN_REPETITIONS measurements are ranked, and only models
    with two of those appear: a single lucky measurement should not crown a configuration.
    `configs` counts a model's configurations, `ranked` those with enough measurements.
    """
    all_stats = configuration_stats(metrics, metric)
    stats = all_stats.filter(pl.col("n") >= MIN_REPETITIONS)
    # Ties go to the configuration with more measurements, then the label, so the pick is stable.
    ranked = stats.sort(
        [by, "n", "config_label"], descending=[higher_is_better, True, False]
    ).group_by("model", maintain_order=True)
    best = ranked.first().select(
        "model", best=pl.col("config_label"), best_value=pl.col(by), best_n=pl.col("n")
    )
    worst = ranked.last().select(
        "model", worst=pl.col("config_label"), worst_value=pl.col(by), worst_n=pl.col("n")
    )
    counts = all_stats.group_by("model").agg(
        configs=pl.len(), ranked=(pl.col("n") >= MIN_REPETITIONS).sum().cast(pl.Int64)
    )
    return (
        counts.filter(pl.col("ranked") >= 2)
        .join(best, on="model")
        .join(worst, on="model")
        .with_columns(
            spread_pct=(pl.col("best_value") - pl.col("worst_value")).abs()
            / pl.col("worst_value")
            * 100
        )
        .sort("model")
    )


def cold_starts(metrics: pl.DataFrame) -> pl.DataFrame:
    """First prompts of a series whose TTFT is COLD_START_FACTOR or more times the model's median.

    A series is one file's prompts for one model and configuration, ordered by prompt_index; rows
    without a prompt_index have no first prompt and are not judged.
    """
    ttft = passing_performance(metrics).filter(pl.col("metric") == "ttft_ms")
    medians = ttft.group_by("model").agg(model_median=pl.col("value").median())
    firsts = (
        ttft.filter(pl.col("prompt_index").is_not_null())
        .sort("prompt_index", "locator")
        .group_by("source_path", "model", "config_label", maintain_order=True)
        .agg(pl.col("prompt_index", "value", "locator").first(), prompts=pl.len())
        .filter(pl.col("prompts") >= 2)  # a lone prompt is not a series with a "first"
    )
    return (
        firsts.join(medians, on="model")
        .filter(pl.col("model_median") > 0)
        .with_columns(ratio=pl.col("value") / pl.col("model_median"))
        .filter(pl.col("ratio") >= COLD_START_FACTOR)
        .select(
            "model",
            "config_label",
            "source_path",
            "locator",
            first_ttft_ms=pl.col("value"),
            model_median_ms=pl.col("model_median"),
            ratio=pl.col("ratio"),
        )
        .sort(
            ["ratio", "source_path", "locator", "config_label"],
            descending=[True, False, False, False],
        )
    )


def few_repetitions(metrics: pl.DataFrame) -> pl.DataFrame:
    """Configurations with fewer than MIN_REPETITIONS throughput measurements."""
    return (
        configuration_stats(metrics, "throughput_tok_s")
        .filter(pl.col("n") < MIN_REPETITIONS)
        .select("model", "config_label", "n")
        .sort("model", "config_label")
    )


def failed_runs_by_folder(metrics: pl.DataFrame, files: pl.DataFrame) -> pl.DataFrame:
    """Per folder: benchmark records, how many were quarantined, and the failed share."""
    folders = files.select(source_path=pl.col("relative_path"), folder=pl.col("folder"))
    records = (
        metrics.group_by("source_path", "locator")
        .agg(failed=(pl.col("status") == "quarantined").any())
        .join(folders, on="source_path", how="left")
        # A row whose file is not in the inventory still belongs somewhere: its path's parent.
        .with_columns(
            folder=pl.coalesce(
                "folder",
                pl.col("source_path").str.replace(r"/[^/]*$", "").str.replace(r"^[^/]*$", "."),
            )
        )
    )
    return (
        records.group_by("folder")
        .agg(records=pl.len(), failed=pl.col("failed").sum().cast(pl.Int64))
        .filter(pl.col("failed") > 0)
        .with_columns(failed_pct=pl.col("failed") / pl.col("records") * 100)
        .sort(["failed", "folder"], descending=[True, False])
    )


def _more(frame: pl.DataFrame, what: str) -> list[str]:
    hidden = frame.height - MAX_LISTED
    return [f"... and {hidden} more {what}.", ""] if hidden > 0 else []


def _best_worst_section(metrics: pl.DataFrame) -> list[str]:
    parts = [
        "### Best and worst configuration per model",
        "",
        f"Only configurations with at least {MIN_REPETITIONS} measurements are ranked. Ranked: "
        "how many of the model's configurations have that many; n: the measurements behind a "
        "figure.",
        "",
    ]
    throughput = best_and_worst(metrics, "throughput_tok_s", "mean", higher_is_better=True)
    ttft = best_and_worst(metrics, "ttft_ms", "p50", higher_is_better=False)
    if throughput.is_empty() and ttft.is_empty():
        return [*parts, "No model has two configurations with enough measurements to rank.", ""]
    if not throughput.is_empty():
        rows = [
            (*_best_worst_cells(r), f"{r['spread_pct']:.1f}%")
            for r in throughput.iter_rows(named=True)
        ]
        header = (
            "Model",
            "Ranked",
            "Best",
            "Mean tok/s",
            "n",
            "Worst",
            "Mean tok/s",
            "n",
            "Best over worst",
        )
        parts += [
            "**Throughput** (mean, higher is better):",
            "",
            table(header, rows, "lrlrrlrrr"),
            "",
        ]
    if not ttft.is_empty():
        rows = [_best_worst_cells(r) for r in ttft.iter_rows(named=True)]
        header = ("Model", "Ranked", "Best", "Median ms", "n", "Worst", "Median ms", "n")
        parts += [
            "**Time to first token** (median, lower is better; the median because one cold "
            "start pulls a mean far up):",
            "",
            table(header, rows, "lrlrrlrr"),
            "",
        ]
    return parts


def _best_worst_cells(row: dict) -> tuple:
    """The cells every best-and-worst table shares: model, how many ranked, best, worst."""
    return (
        row["model"],
        f"{row['ranked']} of {row['configs']}",
        row["best"],
        num(row["best_value"]),
        row["best_n"],
        row["worst"],
        num(row["worst_value"]),
        row["worst_n"],
    )


def _cold_start_section(metrics: pl.DataFrame) -> list[str]:
    found = cold_starts(metrics)
    parts = [
        "### Cold starts",
        "",
        f"First prompts of a series whose time to first token is at least {COLD_START_FACTOR:g} "
        "times the model's median: the model was probably still loading.",
        "",
    ]
    if found.is_empty():
        return [*parts, "None found.", ""]
    rows = [
        (
            r["model"],
            r["config_label"],
            f"`{r['source_path']}` {r['locator']}",
            num(r["first_ttft_ms"]),
            num(r["model_median_ms"]),
            f"{r['ratio']:.1f}x",
        )
        for r in found.head(MAX_LISTED).iter_rows(named=True)
    ]
    header = ("Model", "Configuration", "First prompt", "TTFT ms", "Model median ms", "Ratio")
    return [*parts, table(header, rows, "lllrrr"), "", *_more(found, "cold starts")]


def _few_repetitions_section(metrics: pl.DataFrame) -> list[str]:
    found = few_repetitions(metrics)
    total = configuration_stats(metrics, "throughput_tok_s").height
    parts = ["### Configurations with too few repetitions", ""]
    if found.is_empty():
        return [
            *parts,
            f"Every configuration has at least {MIN_REPETITIONS} throughput measurements.",
            "",
        ]
    rows = [
        (r["model"], r["config_label"], r["n"])
        for r in found.head(MAX_LISTED).iter_rows(named=True)
    ]
    return [
        *parts,
        f"{found.height} of {total} configurations have fewer than {MIN_REPETITIONS} throughput "
        "measurements: their means are not worth comparing.",
        "",
        table(("Model", "Configuration", "Measurements"), rows, "llr"),
        "",
        *_more(found, "configurations"),
    ]


def _failed_runs_section(metrics: pl.DataFrame, files: pl.DataFrame) -> list[str]:
    found = failed_runs_by_folder(metrics, files)
    parts = ["### Failed runs per folder", ""]
    if found.is_empty():
        return [*parts, "No benchmark record was quarantined.", ""]
    rows = [
        (f"`{r['folder']}`", r["failed"], r["records"], f"{r['failed_pct']:.1f}%")
        for r in found.head(MAX_LISTED).iter_rows(named=True)
    ]
    return [
        *parts,
        "Records quarantined by validation (errors, success=false, contradictions); see the data "
        "quality section for the reasons.",
        "",
        table(("Folder", "Failed runs", "Records", "Failed share"), rows, "lrrr"),
        "",
        *_more(found, "folders"),
    ]


def _unnamed_note(metrics: pl.DataFrame) -> list[str]:
    unnamed = unnamed_model_rows(metrics)
    if not unnamed:
        return []
    return [
        f"{unnamed:,} throughput and TTFT measurements do not name their model; the per-model "
        "findings below leave them out.",
        "",
    ]


def render_findings(metrics: pl.DataFrame, files: pl.DataFrame) -> str:
    """The '## Benchmark findings' Markdown section (see the module docstring)."""
    parts = [
        "## Benchmark findings",
        "",
        "_Computed by code from the validated metrics table; quarantined rows count only as "
        "failed runs._",
        "",
        *_unnamed_note(metrics),
        *_best_worst_section(metrics),
        *_cold_start_section(metrics),
        *_few_repetitions_section(metrics),
        *_failed_runs_section(metrics, files),
    ]
    return "\n".join(parts).rstrip() + "\n"
