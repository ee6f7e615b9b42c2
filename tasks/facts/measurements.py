"""The performance measurements an analysis compares: warm calls of named models, each once.

In: the validated METRICS frame. Out: one row per measurement of a main metric (throughput,
latency, time), from tasks.facts.evidence.analysable, with its experiment (the file that holds it:
one file is one run of one harness, so values are comparable within it), its configuration label,
and whether the call was cold. Cold calls are kept apart, not averaged in: the first call of a
series whose time to first token is COLD_START_FACTOR times the rest's median was still loading
the model, and so was the whole record, its throughput included; so was a call whose own load
time is RELOAD_FACTOR times its file's median (a sweep reloads the model when a setting changes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

from tasks.facts.evidence import (
    analysable_rows,
    identified,
    model_identity,
    take_rows,
    with_metrics_columns,
)
from tasks.schemas import DIMENSIONS, REPEATED_TEXT, group_numbers, label_per_group, record_id

# A first call this many times slower to its first token than the rest of its series is cold.
COLD_START_FACTOR = 3.0
# A call whose load time is this many times its file's median for the model loaded the model
# (a reload): warm calls' load_duration is Ollama's fixed overhead, tens of milliseconds. Five,
# not ten: in a sweep whose warm calls loaded in 49-125 ms (median 92), reloads of a model in
# the page cache took 772 ms and up, 8.4 times the median, and ten let four of them pass as
# warm calls, all at the sweep's first temperature. In the shared corpus the loads fall apart
# with nothing between 2 and 12 times their file's median, so five and ten agree there.
RELOAD_FACTOR = 5.0
# Ollama reports how long each call spent loading the model (load_duration); above this share of
# TTFT the TTFT measures the load rather than the option or model being compared.
LOAD_DOMINATED_SHARE = 0.5
# Metrics compared, with the direction that is better. Others are counted, not compared.
_DIRECTIONS = {
    "throughput_tok_s": "higher",
    "e2e_throughput_tok_s": "higher",
    "prompt_tok_s": "higher",
    "server_throughput_tok_s": "higher",
    "request_throughput_req_s": "higher",
    "ttft_ms": "lower",
    "itl_ms": "lower",
    "tpot_ms": "lower",
    "e2e_per_token_ms": "lower",
    "e2e_latency_ms": "lower",
}
# A metric the pile names itself ("mean_time_ms", "speedup") still has an obvious direction;
# a difference of two runs ("throughput_delta") is not a measurement to rank.
_LOWER = re.compile(r"^(?:mean_|avg_|median_)?(?:[a-z]+_)?(?:time|latency)_(?:ms|s)$")
_HIGHER = re.compile(r"^(?:mean_|avg_|median_)?(?:speedup|efficiency)(?:_pct)?$")
# The metrics every LLM harness means the same by: only these are ranked across files.
RANKED_METRICS = tuple(_DIRECTIONS)
# The run's settings an experiment may vary: every dimension (tasks.schemas.DIMENSIONS) but the
# model (compared on its own), what tells repetitions apart, what records an outcome, and
# `extra` (a JSON object of whatever else a file states).
_NOT_SETTINGS = {"model", "quant", "prompt_index", "run_index", "timestamp", "error", "success"}
DIMENSION_COLUMNS = tuple(name for name in DIMENSIONS if name not in {*_NOT_SETTINGS, "extra"})


def metric_direction(metric: str) -> str | None:
    """'higher' or 'lower' when the metric has a better direction, else None."""
    if metric in _DIRECTIONS:
        return _DIRECTIONS[metric]
    if _HIGHER.search(metric):
        return "higher"
    if _LOWER.search(metric):
        return "lower"
    return None


def level_text(value: object) -> str:
    """A dimension's value as a label: 0.2, 999, onnx (4096.0 is 4096)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# The options a configuration label names; a serving benchmark's load and lengths are part of
# its configuration too.
CONFIG_COLUMNS = (
    "num_gpu",
    "num_ctx",
    "temperature",
    "top_p",
    "top_k",
    "concurrency",
    "input_tokens",
    "output_tokens",
)


def _config_labels(rows: pl.DataFrame) -> pl.Series:
    """Each row's config_label, as a category, written once per distinct configuration
    (label_per_group). Written per row (text, then categories), the measurements step peaked 93
    MB higher on a 50 MB CSV's 1.3 million measurements and took 0.7-1.2 s longer."""
    settings = rows.select(*CONFIG_COLUMNS, "config")
    return label_per_group(settings, config_label()).alias("config_label")


def stated_settings(columns: Iterable[str]) -> pl.Expr:
    """The settings a row states, as words: "num_ctx=2048, temperature=0.4" ("" for none)."""
    parts = [
        pl.when(pl.col(col).is_not_null()).then(pl.format(f"{col}={{}}", pl.col(col)))
        for col in columns
    ]
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)


def config_label() -> pl.Expr:
    """The configuration a record ran with: its options and load, else the file's own label."""
    built = stated_settings(CONFIG_COLUMNS)
    return (
        # Options first: the same settings then group together whichever file they came from,
        # and a file's own label ("Best", "2nd") only names a run that states no options.
        pl.coalesce(pl.when(built != "").then(built), pl.col("config"))
        .fill_null("default options")
        .alias("config_label")
    )


# The columns a row's name is made of (row_key).
ROW_KEY_COLUMNS = ("source_path", "locator", "statistic")


def row_key() -> pl.Expr:
    """How a finding names a metric row: "source_path locator", and "[statistic]" for a tool's
    statistic (one locator holds a run's mean and its p99). One format: the key and its
    statistic added to it wrote every key out twice."""
    statistic = pl.when(pl.col("statistic").is_not_null()).then(pl.format(" [{}]", "statistic"))
    return pl.format("{} {}{}", "source_path", "locator", statistic.fill_null(""))


# The columns performance_rows adds to analysable's, in order.
_PERFORMANCE_COLUMNS = (
    "config_label",
    "experiment",
    "direction",
    "load_ms",
    "load_share",
    "cold",
    "reloaded",
)


def performance_rows(metrics: pl.DataFrame) -> pl.DataFrame:
    """Measurements of the metrics with a direction, by named models: the table's columns but
    _NOT_ANALYSED, with `experiment`, `config_label`, `direction`, `load_ms`, `load_share` (of
    the record's TTFT), `cold` and `reloaded`. A finding names the rows it cites by row_key.

    Worked out on the rows and columns it reads, then the rows it keeps taken from the table
    once: on the whole table, each filter, join and the sort copied all 40 columns (3.8
    million rows: 2.6 GB above the table at the peak, against 0.76 GB now).
    """
    metrics = with_metrics_columns(metrics)
    positions = analysable_rows(metrics)
    metric = take_rows(metrics.select("metric"), positions).to_series()
    directions = {m: metric_direction(m) for m in metric.unique().drop_nulls().to_list()}
    wanted = metric.is_in([*(m for m, d in directions.items() if d), *_LOAD_METRICS])
    found = _performance(metrics, positions, wanted, directions)
    taken = identified(take_rows(metrics.drop(_NOT_ANALYSED, strict=False), found["_row"]))
    return taken.hstack(found.select(*_PERFORMANCE_COLUMNS))


# Columns of the table that performance_rows does not read: a caller that holds the table
# only for it may let them go first (on a 50 MB CSV, 49 MB).
UNREAD_COLUMNS = ("raw_metric", "resolution", "error", "success", "model_variant")
# Columns of the table that no reader of performance_rows reads (the findings, the history,
# the charts, the coverage matrix): not taken with the rows, which the run holds from the
# measurements to its end (a 50 MB CSV's 1.3 million of them).
_NOT_ANALYSED = (*UNREAD_COLUMNS, "format", "copy_of", "status")


def _inputs(metrics: pl.DataFrame, positions: pl.Series, wanted: pl.Series) -> pl.DataFrame:
    """The analysable rows at `positions` that are `wanted` (of the compared metrics and of
    those the load share reads) in the columns read from here on: `_row` (the position in the
    table), `_order` (among the analysable rows: the order of the calls), `_record` (the
    record, source_path and locator, as an integer: the load shares and the cold calls are
    grouped and joined on it), the model's identity and the configuration's label.

    The record and the label are each worked out from their own columns of the rows, taken
    and let go before the rest are taken. With the 20 columns taken at once (0.13 GB on a 50
    MB CSV's 1.3 million measurements), the measurements step rose 255 MB above what the run
    held when it began, against 189 MB this way."""
    at = positions.filter(wanted)
    labels = _config_labels(take_rows(metrics.select(*CONFIG_COLUMNS, "config"), at))
    records = take_rows(metrics.select("source_path", "locator"), at).select(record_id())
    rows = take_rows(
        metrics.select(
            "source_path", "metric", "model", "model_id", "value", "prompt_index", "run_index"
        ),
        at,
    )
    return rows.select(
        at.alias("_row"),
        pl.int_range(len(positions), dtype=pl.UInt32, eager=True).filter(wanted).alias("_order"),
        records.to_series().alias("_record"),
        "source_path",
        "metric",
        model_identity(),
        "value",
        labels,
        "prompt_index",
        "run_index",
    )


_LOAD_METRICS = ("load_ms", "ttft_ms")  # a record's load share: load_ms / ttft_ms


def _performance(
    metrics: pl.DataFrame,
    positions: pl.Series,
    wanted: pl.Series,
    directions: dict[str, str | None],
) -> pl.DataFrame:
    """performance_rows' rows (`_row`, in the table) and the columns it adds, in `_order`,
    from _inputs' rows (the analysable rows of the compared metrics and _LOAD_METRICS)."""
    compared = [m for m, d in directions.items() if d]
    rows = _inputs(metrics, positions, wanted)
    measured = (
        pl.col("metric").is_in(compared)
        & pl.col("value").is_finite()
        & pl.col("model").is_not_null()
    )
    # Lazy, so that each filter copies only the columns read after it, not every column of the
    # rows: on a 50 MB CSV's 1.3 million measurements this step took 1.4 s instead of 2.3 s.
    # Per record, its load time and its share of the record's first measured TTFT: a window
    # over the records of the measurements for the TTFT took this step 40 MB higher on a 50
    # MB CSV's 1.3 million of them.
    load = (
        rows.lazy()
        .filter(pl.col("metric").is_in(_LOAD_METRICS))
        .group_by("_record")
        .agg(
            load_ms=pl.col("value").filter(pl.col("metric") == "load_ms").first(),
            _ttft=pl.col("value").filter((pl.col("metric") == "ttft_ms") & measured).first(),
        )
        .select("_record", "load_ms", load_share=pl.col("load_ms") / pl.col("_ttft"))
        .collect()
    )
    performance = (
        rows.lazy()
        .filter(measured)
        .select(  # what the cold calls read, and added
            "_row",
            "_order",
            "_record",
            "source_path",
            "metric",
            "model",
            "value",
            "prompt_index",
            "run_index",
            "config_label",
            pl.col("source_path").alias("experiment"),
            # Two directions over a million rows: held as categories, as the table holds its
            # repeated text.
            pl.col("metric")
            .replace_strict(directions, default=None, return_dtype=pl.Utf8)
            .cast(REPEATED_TEXT)
            .alias("direction"),
        )
        .collect()
    )
    # Made here, not passed in, so that the inputs (0.13 GB on a 50 MB CSV's 1.3 million
    # measurements) go before the cold calls are worked out: a caller's argument lives to the
    # call's end. This step's peak went 71 MB lower.
    del rows
    # Columns joined on, not the rows: each join of the rows copied them all, and so did the
    # sort that put them back in order (1.3 million rows: 0.5 GB at the peak).
    performance = performance.hstack(
        performance.select("_record")
        .join(load, on="_record", how="left", maintain_order="left")
        .select("load_ms", "load_share")
    )
    reloaded = _reloaded_records(performance)
    cold = pl.concat([_cold_records(performance), reloaded])
    # Only what performance_rows adds to the table's rows, so that the rest is not held while
    # the table's rows are taken.
    return performance.with_columns(
        pl.col("_record").is_in(cold.implode()).alias("cold"),
        pl.col("_record").is_in(reloaded.implode()).alias("reloaded"),
    ).select("_row", *_PERFORMANCE_COLUMNS)


def _reloaded_records(performance: pl.DataFrame) -> pl.Series:
    """The `_record`s of calls that loaded the model first: their load time (Ollama's
    load_duration) RELOAD_FACTOR times the median of their file's calls of that model. A sweep
    that changes num_ctx or num_gpu reloads the model at each change, mid-file: in the real
    corpus's sweeps every first call after a change waited 1 to 6 s for the load, the others
    0.05 to 0.13 s, and those calls were all at one temperature, which then looked slower."""
    calls = performance.select("_record", "experiment", "model", "load_ms").unique("_record")
    usual = pl.col("load_ms").median().over("experiment", "model")
    return calls.filter(pl.col("load_ms") >= RELOAD_FACTOR * usual)["_record"]


def _cold_records(performance: pl.DataFrame) -> pl.Series:
    """The `_record`s of first calls whose TTFT is COLD_START_FACTOR times the median of the
    rest of their series (one file, model and configuration, in call order)."""
    series = ["source_path", "model", "config_label"]
    # The columns read, before the filter and the sort copy them (not each row's name).
    ttft = (
        performance.select(
            "_record", *series, "metric", "value", "prompt_index", "run_index", "_order"
        )
        .filter(pl.col("metric") == "ttft_ms")
        .sort("prompt_index", "run_index", "_order", nulls_last=True)
    )
    firsts = (
        ttft.group_by(series, maintain_order=True)
        .agg(
            pl.col("_record").first(),
            first=pl.col("value").first(),
            rest=pl.col("value").slice(1).median(),
            calls=pl.len(),
        )
        # two calls are not a series with a "first": which of them is odd?
        .filter((pl.col("calls") >= 3) & (pl.col("first") >= COLD_START_FACTOR * pl.col("rest")))
    )
    return firsts.get_column("_record")


def coverage_matrix(rows: pl.DataFrame) -> pl.DataFrame:
    """Per model (from performance_rows): files, distinct configurations, and per metric
    "measurements (configurations)", most measured model first."""
    if rows.is_empty():
        return pl.DataFrame(
            schema={"model": rows.schema["model"], "files": pl.UInt32, "configurations": pl.UInt32}
        )
    # A configuration (file, label and settings) as one number (group_numbers): counted as a
    # struct of its 17 columns, each row's were encoded twice, 0.3 GB above a 50 MB CSV's 1.3
    # million measurements.
    setup = group_numbers(rows.select("experiment", "config_label", *DIMENSION_COLUMNS))
    keyed = rows.select("model", "metric", "experiment", _setup=setup)
    per_model = keyed.group_by("model").agg(
        files=pl.col("experiment").n_unique(),
        configurations=pl.col("_setup").n_unique(),
        total=pl.len(),
    )
    cells = (
        keyed.group_by("model", "metric")
        .agg(n=pl.len(), configs=pl.col("_setup").n_unique())
        .with_columns(cell=pl.format("{} ({})", "n", "configs"))
        .pivot("metric", index="model", values="cell")
    )
    metrics = sorted(rows["metric"].unique().to_list(), key=lambda m: (m not in RANKED_METRICS, m))
    return (
        per_model.join(cells, on="model")
        .sort(["total", "model"], descending=[True, False])
        .select("model", "files", "configurations", *metrics)
    )
