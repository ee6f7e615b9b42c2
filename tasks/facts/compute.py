"""Compute facts from the file inventory and the validated metrics.

In: FILES and METRICS frames. Out: a FACTS frame, one row per statement, each carrying every
number it states in `numbers`. Only rows that passed validation (status passed or warned) feed a
performance statistic; quarantined rows are only counted as failures.
"""

from __future__ import annotations

import re

import polars as pl

from tasks.facts.evidence import analysable
from tasks.schemas import FACTS, conform

PERFORMANCE_METRICS = {"throughput_tok_s": "tok/s", "ttft_ms": "ms"}


def _fmt(value: float) -> str:
    """Render a number the way statements show it: thousands separators, at most 2 decimals."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def config_label() -> pl.Expr:
    """The configuration a record ran with: its options, else the file's own label for it."""
    parts = [
        pl.when(pl.col(col).is_not_null()).then(pl.format(f"{key}={{}}", pl.col(col)))
        for col, key in (
            ("num_gpu", "num_gpu"),
            ("num_ctx", "num_ctx"),
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("top_k", "top_k"),
            # a serving benchmark's load and lengths are part of its configuration too
            ("concurrency", "concurrency"),
            ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"),
        )
    ]
    built = pl.concat_str(parts, separator=", ", ignore_nulls=True)
    return (
        # Options first: the same settings then group together whichever file they came from,
        # and a file's own label ("Best", "2nd") only names a run that states no options.
        pl.coalesce(pl.when(built != "").then(built), pl.col("config"))
        .fill_null("default options")
        .alias("config_label")
    )


def _files(count: int) -> str:
    return f"{_fmt(count)} file" + ("" if count == 1 else "s")


def _fact(
    topic: str, statement: str, value: float, unit: str, numbers: list[float], **extra
) -> dict:
    # A configuration label states options too (num_ctx=4096): those numbers are the fact's as well.
    label_numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", extra.get("config") or "")]
    return {
        "topic": topic,
        "statement": statement,
        "value": float(value),
        "unit": unit,
        "numbers": [float(n) for n in numbers] + label_numbers,
        **extra,
    }


def inventory_facts(files: pl.DataFrame) -> list[dict]:
    """Counts of files by format, status and folder, and the latest modification."""
    facts = [
        _fact(
            "inventory",
            f"{_files(files.height)} found in total.",
            files.height,
            "files",
            [files.height],
            source_rows=files.height,
        ),
    ]
    by_format = files.group_by("format").len().sort(["len", "format"], descending=[True, False])
    for fmt, count in by_format.iter_rows():
        facts.append(
            _fact(
                "inventory",
                f"{_files(count)} {'is a' if count == 1 else 'are'} {fmt} "
                f"{'file' if count == 1 else 'files'}.",
                count,
                "files",
                [count],
                source_rows=count,
            )
        )
    by_status = files.group_by("status").len().sort(["len", "status"], descending=[True, False])
    wording = {  # (one file, several files)
        "parsed": ("yielded metrics", "yielded metrics"),
        "no_metrics": ("held no numeric measurements", "held no numeric measurements"),
        "skipped": (
            "is not a benchmark table and was inventoried only",
            "are not benchmark tables and were inventoried only",
        ),
        "duplicate": (
            "is an exact duplicate of another file and was not counted twice",
            "are exact duplicates of another file and were not counted twice",
        ),
        "error": ("could not be read or parsed", "could not be read or parsed"),
    }
    for status, count in by_status.iter_rows():
        words = wording.get(status, (status, status))[count != 1]
        facts.append(
            _fact(
                "inventory", f"{_files(count)} {words}.", count, "files", [count], source_rows=count
            )
        )
    folders = files.group_by("folder").len().sort(["len", "folder"], descending=[True, False])
    facts.append(
        _fact(
            "inventory",
            f"The files sit in {_fmt(folders.height)} folders.",
            folders.height,
            "folders",
            [folders.height],
            source_rows=files.height,
        )
    )
    for folder, count in folders.head(8).iter_rows():
        facts.append(
            _fact(
                "inventory",
                f"Folder {folder} holds {_files(count)}.",
                count,
                "files",
                [count],
                source_rows=count,
            )
        )
    # The data's own timestamps, not the files' copy dates (mtime).
    dated = files.filter(pl.col("data_time_max").is_not_null())
    if dated.height:
        first = dated.get_column("data_time_min").min()[:10]
        last = dated.get_column("data_time_max").max()[:10]
        numbers = [int(part) for part in (*first.split("-"), *last.split("-"))]
        facts.append(
            _fact(
                "inventory",
                f"The data's own timestamps run from {first} to {last}, in {_files(dated.height)}.",
                numbers[3],
                "year",
                [*numbers, dated.height],
                source_rows=dated.height,
            )
        )
    return facts


def quality_facts(metrics: pl.DataFrame) -> list[dict]:
    """How many measurements and runs passed validation, and where the failed runs are."""
    records = metrics.group_by("source_path", "locator").agg(
        quarantined=(pl.col("status") == "quarantined").any()
    )
    failed = records.filter(pl.col("quarantined"))
    passed_rows = metrics.filter(pl.col("status") != "quarantined").height
    facts = [
        _fact(
            "quality",
            f"{_fmt(metrics.height)} measurements were read from the files.",
            metrics.height,
            "measurements",
            [metrics.height],
            source_rows=metrics.height,
        ),
        _fact(
            "quality",
            f"{_fmt(passed_rows)} measurements passed validation.",
            passed_rows,
            "measurements",
            [passed_rows],
            source_rows=passed_rows,
        ),
        _fact(
            "quality",
            f"{_fmt(failed.height)} of {_fmt(records.height)} benchmark records were quarantined "
            "as failed or inconsistent runs.",
            failed.height,
            "records",
            [failed.height, records.height],
            source_rows=metrics.height - passed_rows,
        ),
    ]
    if failed.height:
        per_folder = (
            failed.with_columns(
                folder=pl.col("source_path")
                .str.replace(r"/[^/]*$", "")
                .str.replace(r"^[^/]*$", ".")
            )
            .group_by("folder")
            .len()
            .sort(["len", "folder"], descending=[True, False])
        )
        for folder, count in per_folder.head(6).iter_rows():
            facts.append(
                _fact(
                    "quality",
                    f"Folder {folder} has {_fmt(count)} failed runs.",
                    count,
                    "records",
                    [count],
                    source_rows=count,
                )
            )
    return facts


def _extreme_fact(what: str, group: dict, statistic: str, unit: str) -> dict:
    """A best-or-worst fact about one (model, configuration) group of the statistics table."""
    value, runs = group[statistic], group["n"]
    # How many measurements it rests on is part of the claim: one run is an anecdote.
    return _fact(
        "performance",
        f"{what} is {_fmt(value)} {unit}, by {group['model']} with {group['config_label']}, "
        f"over {_fmt(runs)} measurement{'' if runs == 1 else 's'}.",
        value,
        unit,
        [value, runs],
        model=group["model"],
        config=group["config_label"],
        source_rows=group["n"],
    )


def performance_facts(metrics: pl.DataFrame) -> list[dict]:
    """Per model and configuration: count, mean, p50 and p95 of throughput and TTFT."""
    # Rows that name no model are left out: one mean over them would mix different models.
    passing = (
        analysable(metrics)
        .filter(pl.col("metric").is_in(list(PERFORMANCE_METRICS)) & pl.col("model").is_not_null())
        .with_columns(config_label())
    )
    stats = (
        passing.group_by("model", "config_label", "metric")
        .agg(
            n=pl.len(),
            mean=pl.col("value").mean(),
            p50=pl.col("value").quantile(0.5, interpolation="linear"),
            p95=pl.col("value").quantile(0.95, interpolation="linear"),
        )
        .sort(["metric", "n", "model", "config_label"], descending=[False, True, False, False])
    )
    facts = []
    names = {"throughput_tok_s": "throughput", "ttft_ms": "time to first token"}
    for model, config, metric, n, mean, p50, p95 in stats.iter_rows():
        unit = PERFORMANCE_METRICS[metric]
        statement = (
            f"{model} with {config}: mean {names[metric]} {_fmt(mean)} {unit} over {_fmt(n)} "
            f"measurements (p50 {_fmt(p50)}, p95 {_fmt(p95)})."
        )
        facts.append(
            _fact(
                "performance",
                statement,
                mean,
                unit,
                [mean, n, p50, p95],
                model=model,
                config=config,
                source_rows=n,
            )
        )
    throughput = stats.filter(pl.col("metric") == "throughput_tok_s")
    models = throughput.get_column("model").n_unique()
    facts.append(
        _fact(
            "coverage",
            f"Throughput measurements that passed validation cover {_fmt(models)} "
            f"model{'' if models == 1 else 's'} in {_fmt(throughput.height)} configurations.",
            models,
            "models",
            [models, throughput.height],
            source_rows=throughput.height,
        )
    )
    if throughput.height > 1:
        best = throughput.sort("mean", descending=True).row(0, named=True)
        worst = throughput.sort("mean").row(0, named=True)
        facts.append(_extreme_fact("The highest mean throughput", best, "mean", "tok/s"))
        facts.append(_extreme_fact("The lowest mean throughput", worst, "mean", "tok/s"))
    few = throughput.filter(pl.col("n") < 3).height
    if few:
        facts.append(
            _fact(
                "performance",
                f"{_fmt(few)} model configurations have fewer than three throughput "
                "measurements, too few to compare reliably.",
                few,
                "configurations",
                [few],
                source_rows=few,
            )
        )
    ttft = stats.filter(pl.col("metric") == "ttft_ms")
    if ttft.height > 1:
        fastest = ttft.sort("p50").row(0, named=True)
        facts.append(_extreme_fact("The lowest median time to first token", fastest, "p50", "ms"))
    return facts


def compute_facts(files: pl.DataFrame, metrics: pl.DataFrame) -> pl.DataFrame:
    """All facts, ranked: headline totals first, then the best-supported performance figures."""
    performance = performance_facts(metrics)
    coverage = [f for f in performance if f["topic"] == "coverage"]
    # Summary comparisons lead the performance facts; then the groups with most measurements.
    ranked_performance = sorted(
        (f for f in performance if f["topic"] != "coverage"),
        key=lambda f: (not f["statement"].startswith("The "), -f["source_rows"]),
    )
    rows = [*quality_facts(metrics), *coverage, *inventory_facts(files), *ranked_performance]
    for index, row in enumerate(rows):
        row["fact_id"] = f"F{index + 1:03d}"
        row["rank"] = index + 1
    return (
        conform(pl.DataFrame(rows, infer_schema_length=None), FACTS)
        if rows
        else conform(pl.DataFrame(), FACTS)
    )
