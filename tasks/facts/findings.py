"""The analysis: validated tables in, the FINDINGS table out, ranked by what an engineer leads with.

Every number the reports, the agents and the fallback text state about the benchmarks is computed
here, once. Comparisons stay within one experiment (a file: one harness, one run) and one model;
the model ranking is its own finding. Each comparison is tested (tasks.facts.statistics): a level
is called best only when it and its runner-up each have MIN_REPETITIONS distinct measurements,
the test says the levels differ, a test of the two alone says they do (exact for few values),
the best's interval excludes the runner-up and its lead exceeds their values' spread; otherwise
the finding says "differs" (the levels do, the top two cannot be told apart), "no measurable
difference" (with the spread; "within the noise" when the test detects a shift smaller than the
spread) or "not testable" (one measurement a level).
Cold calls are kept out of the comparisons and are findings of their own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import polars as pl

from tasks.facts.evidence import MIN_REPETITIONS
from tasks.facts.measurements import (
    COLD_START_FACTOR,
    CONFIG_COLUMNS,
    DIMENSION_COLUMNS,
    LOAD_DOMINATED_SHARE,
    RANKED_METRICS,
    ROW_KEY_COLUMNS,
    level_text,
    performance_rows,
    row_key,
    stated_settings,
)
from tasks.facts.statistics import (
    ALPHA,
    CONFIDENCE,
    cliffs_delta,
    interquartile_range,
    kruskal_p,
    median_ci,
    pairwise_p,
    smallest_exact_p,
    smallest_kruskal_p,
)
from tasks.markdown import adaptive_number, one_decimal, p_value, short_names
from tasks.schemas import FINDINGS, conform, group_numbers, label_per_group

# A value this many robust deviations (1.4826 x MAD) from its configuration's median, and at
# least OUTLIER_MIN_SHARE away from it, is an outlier: named, never pooled into a comparison.
OUTLIER_DEVIATIONS = 5.0
OUTLIER_MIN_SHARE = 0.2
MAX_LISTED_LEVELS = 6  # levels a statement names before "and N more"
MAX_SOURCE_ROWS = 2000  # rows a finding lists; `n` still counts them all

METHOD_NUMBERS = (
    MIN_REPETITIONS,
    COLD_START_FACTOR,
    LOAD_DOMINATED_SHARE * 100,
    OUTLIER_DEVIATIONS,
    CONFIDENCE * 100,
    ALPHA,
)
_UNITS = {"tok/s": "tok/s", "ms": "ms", "s": "s", "req/s": "req/s"}
_METRIC_WORDS = {
    "throughput_tok_s": "throughput",
    "e2e_throughput_tok_s": "per-request end-to-end output throughput",
    "prompt_tok_s": "prompt processing throughput",
    "server_throughput_tok_s": "server throughput",
    "request_throughput_req_s": "request throughput",
    "ttft_ms": "time to first token",
    "itl_ms": "inter-token latency",
    "tpot_ms": "time per output token",
    "e2e_per_token_ms": "end-to-end time per output token",
    "e2e_latency_ms": "end-to-end latency",
}
_QUALITY_METRIC = re.compile(r"(?i)accura|quality|score|bleu|rouge|perplex|pass_?rate|exact_match")
_GPU_METRIC = re.compile(r"(?i)utili[sz]ation|util_pct|power_w|gpu_mem|memory_used|vram_used")


def metric_words(metric: str) -> str:
    return _METRIC_WORDS.get(metric, metric)


def _numbers(text: str) -> list[float]:
    """Every number a statement states, as the guard reads them (identifiers' digits included)."""
    return [float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)]


def _name(path: str, names: Mapping[str, str]) -> str:
    """A file as a sentence names it: `names` (tasks.markdown.short_names of the pile's files),
    else its file name."""
    return names.get(path) or path.rpartition("/")[2]


def _finding(kind: str, topic: str, statement: str, importance: float, **columns) -> dict:
    return {
        "kind": kind,
        "topic": topic,
        "statement": statement,
        "numbers": _numbers(statement),
        "importance": float(importance),
        **columns,
    }


def new_finding(kind: str, topic: str, statement: str, importance: float, **columns) -> dict:
    """A finding made outside this module (tasks.history), for compute_findings' `extra`; a
    `gist` among the columns is kept as it is."""
    return _finding(kind, topic, statement, importance, **columns)


# --- comparisons ------------------------------------------------------------------------------


def _levels(values: pl.DataFrame, level: str, direction: str) -> list[tuple[str, np.ndarray]]:
    """(label, values) per level, best median first; ties by label."""
    named = values.schema[level].is_numeric()  # "num_gpu=80", not a bare "80"
    groups = [
        (f"{level}={level_text(key)}" if named else level_text(key), frame["value"].to_numpy())
        # the two columns read: each group of every column was a copy of the rows
        for (key,), frame in values.select(level, "value").group_by([level], maintain_order=True)
        if key is not None
    ]
    sign = -1 if direction == "higher" else 1
    return sorted(groups, key=lambda g: (sign * float(np.median(g[1])), g[0]))


def compare_levels(values: pl.DataFrame, level: str, direction: str) -> dict | None:
    """The statistics of one comparison of levels (see the module docstring); None below two
    levels."""
    groups = _levels(values, level, direction)
    if len(groups) < 2:
        return None
    (best, best_values), (second, second_values) = groups[0], groups[1]
    medians = [float(np.median(v)) for _, v in groups]
    p_all = kruskal_p([v for _, v in groups])
    ci = median_ci(best_values)
    delta = cliffs_delta(second_values, best_values)  # > 0: best's values larger
    enough = min(best_values.size, second_values.size) >= MIN_REPETITIONS
    # The best against its runner-up: a test of the two alone, which their numbers of values
    # must let reach p < ALPHA at all, and a lead larger than their values' own spread (a
    # 0.1% lead among values 0.3% apart is no lead, however the test ranks them).
    p_top = pairwise_p(best_values, second_values)
    pair_testable = smallest_exact_p(best_values.size, second_values.size) < ALPHA
    pair_noise = [
        (interquartile_range(v) or 0.0) / abs(float(np.median(v))) * 100
        for v in (best_values, second_values)
        if v.size >= 2 and np.median(v)
    ]
    pair_noise_pct = max(pair_noise) if pair_noise else None
    # Below MIN_MEDIAN_CI_N values no 95% interval of the median exists: the best's values then
    # must all lie apart from the runner-up's median.
    interval = ci or (float(best_values.min()), float(best_values.max()))
    excludes = not (interval[0] <= medians[1] <= interval[1])
    low, high = min(medians), max(medians)
    range_pct = (high - low) / abs(low) * 100 if low else None
    # The noise: how far repeated values at one level spread, relative to their median.
    spreads = [
        (interquartile_range(v) or 0.0) / abs(float(np.median(v))) * 100
        for _, v in groups
        if v.size >= 2 and np.median(v)
    ]
    noise_pct = float(np.median(spreads)) if spreads else None
    within_noise = range_pct is not None and noise_pct is not None and range_pct <= noise_pct
    # Too few measurements for any outcome to reach p < ALPHA: a p above it says nothing.
    powerless = p_all is not None and smallest_kruskal_p([v.size for _, v in groups]) >= ALPHA
    if p_all is None or powerless:
        verdict = "not testable"
    elif within_noise:
        verdict = "no measurable difference"
    elif p_all >= ALPHA:
        verdict = "inconclusive"  # the medians differ by more than the noise, the test cannot tell
    elif (
        enough
        and pair_testable
        and p_top is not None
        and p_top < ALPHA
        and excludes
        and not _lead_within(medians, pair_noise_pct)
    ):
        verdict = "significant"
    else:
        verdict = "differs"
    return {
        "levels": [label for label, _ in groups],
        "level_medians": medians,
        "level_n": [int(v.size) for _, v in groups],
        "n": int(sum(v.size for _, v in groups)),
        "median": medians[0],
        "spread": interquartile_range(best_values),
        "ci_low": ci[0] if ci else None,
        "ci_high": ci[1] if ci else None,
        "best_range": (float(best_values.min()), float(best_values.max())),
        "best": best,
        "runner_up": second,
        "effect_pct": abs(medians[0] - medians[1]) / abs(medians[1]) * 100 if medians[1] else None,
        "range_pct": range_pct,
        "noise_pct": noise_pct,
        "effect_size": delta,
        "test": "kruskal-wallis",
        "p_value": p_all,
        "p_top": p_top,
        "pair_testable": pair_testable,
        "pair_noise_pct": pair_noise_pct,
        "verdict": verdict,
    }


def _lead_within(medians: list[float], pair_noise_pct: float | None) -> bool:
    """Whether the best's lead over the runner-up is no larger than their values' spread."""
    if pair_noise_pct is None or not medians[1]:
        return False
    return abs(medians[0] - medians[1]) / abs(medians[1]) * 100 <= pair_noise_pct


def shift_within_noise(finding: dict) -> bool:
    """A "no measurable difference" whose test still detects a shift (p < ALPHA): the levels
    differ by less than the run-to-run spread, yet not by nothing, so "no difference" would be
    false of it; its words say "within the noise" instead."""
    p = finding.get("p_value")
    return finding.get("verdict") == "no measurable difference" and p is not None and p < ALPHA


def _level_list(stats: dict, unit: str) -> str:
    shown = [
        f"{label} {adaptive_number(median)} (n={n})"
        for label, median, n in zip(
            stats["levels"], stats["level_medians"], stats["level_n"], strict=True
        )
    ][:MAX_LISTED_LEVELS]
    more = len(stats["levels"]) - len(shown)
    return (
        ", ".join(shown) + (f" and {more} more" if more > 0 else "") + (f" {unit}" if unit else "")
    )


def comparison_statement(scope: str, subject: str, metric: str, unit: str, stats: dict) -> str:
    """The sentence of a ranking or effect finding, its uncertainty included."""
    what = metric_words(metric)
    medians = f"medians {_level_list(stats, unit)}"
    verdict = stats["verdict"]
    if verdict == "not testable":
        # A level's values may each summarise several measurements (a benchmark's mean time)
        noun = "value" if stats.get("summaries") else "measurement"
        few = (
            f"one {noun} per level"
            if max(stats["level_n"]) == 1
            else f"a single {noun} at some levels"
            if min(stats["level_n"]) == 1
            else f"too few {noun}s for any test to reach p<{ALPHA}"
        )
        return f"{scope}: {what} by {subject}, {medians}; {few}, so no test can tell them apart."
    p = p_value(stats["p_value"])
    if verdict == "inconclusive":
        return (
            f"{scope}: {what} by {subject} is inconclusive: the medians differ by "
            f"{one_decimal(stats['range_pct'] or 0)}% ({medians}), but the values overlap too much "
            f"to tell (Kruskal-Wallis {p}); more repetitions would settle it."
        )
    if verdict == "no measurable difference":
        within = (
            f"{medians}, a {one_decimal(stats['range_pct'] or 0)}% range, within the "
            f"{one_decimal(stats['noise_pct'])}% spread of the values at each level"
        )
        if shift_within_noise(stats):
            return (
                f"{scope}: the effect of {subject} on {what} is within the noise ({within}; "
                f"Kruskal-Wallis {p}: the test detects a shift, but a smaller one than that "
                "spread)."
            )
        return (
            f"{scope}: {subject} makes no measurable difference to {what} "
            f"({within}; Kruskal-Wallis {p})."
        )
    interval = (
        f" [{CONFIDENCE * 100:.0f}% CI {adaptive_number(stats['ci_low'])} to "
        f"{adaptive_number(stats['ci_high'])}]"
        if stats["ci_low"] is not None
        else " [values {} to {}]".format(*map(adaptive_number, stats["best_range"]))
    )
    if verdict == "significant":
        # The lead rests on the test of the two leaders alone (see compare_levels); the test of
        # all levels may owe its p to a third one far behind.
        return (
            f"{scope}: {stats['best']} has the best {what}, median "
            f"{adaptive_number(stats['median'])} {unit}{interval}, "
            f"{one_decimal(stats['effect_pct'])}% ahead of {stats['runner_up']} "
            f"({medians}; Kruskal-Wallis {p}; the two leaders alone: Mann-Whitney "
            f"{p_value(stats['p_top'])})."
        )
    return (
        f"{scope}: {what} differs by {subject} ({medians}; Kruskal-Wallis {p}), but "
        f"{stats['best']} cannot be told apart from {stats['runner_up']}{_why_not_apart(stats)}"
    )


def _why_not_apart(stats: dict) -> str:
    """Why a comparison whose levels differ names no best: the end of its sentence."""
    n_best, n_second = stats["level_n"][:2]
    if min(n_best, n_second) < MIN_REPETITIONS:
        return f" with fewer than {MIN_REPETITIONS} measurements each."
    if not stats.get("pair_testable", True):
        return (
            f": with {n_best} and {n_second} measurements no test of the two can reach p<{ALPHA}."
        )
    if _lead_within(stats["level_medians"], stats.get("pair_noise_pct")):
        return (
            f": its {one_decimal(stats['effect_pct'] or 0)}% lead is within the "
            f"{one_decimal(stats['pair_noise_pct'])}% spread of their values."
        )
    return "."


def _importance(kind: str, stats: dict) -> float:
    """What an engineer leads with: a tested difference by its size, then a tested absence of
    one (worth knowing before tuning), then what could not be tested."""
    verdict = stats["verdict"]
    size = min(stats.get("range_pct") or 0.0, 100.0) / 10
    base = {"ranking": 90.0, "effect": 60.0}[kind]
    return (
        base
        + {
            "significant": 20 + size,
            "no measurable difference": 15 + min(stats["n"], 50) / 10,
            "inconclusive": 5 + size,
            "differs": 10 + size,
            "not testable": -25 + size,
        }[verdict]
    )


def source_rows(rows: pl.DataFrame) -> list[str]:
    """The rows a finding cites (row_key), the first MAX_SOURCE_ROWS: written out for those
    alone, not held for every measurement (with a 50 MB CSV's 1.3 million names held, the run
    held 55-60 MB more from the measurements to its end)."""
    return rows.head(MAX_SOURCE_ROWS).select(row_key()).to_series().to_list()


def _comparison_finding(
    kind: str,
    scope: str,
    subject: str,
    values: pl.DataFrame,
    level: str,
    **scope_columns,
) -> dict | None:
    metric = values["metric"][0]
    unit = values["unit"][0] or ""
    direction = values["direction"][0]
    stats = compare_levels(values, level, direction)
    if stats is None:
        return None
    summaries = summary_words(values)
    if summaries:  # the n of each level counts these values, not the runs behind them
        scope = f"{scope}, {summaries}"
        stats["summaries"] = summaries
    statement = comparison_statement(scope, subject, metric, unit, stats)
    # `stats` carries a few working keys beside the FINDINGS columns; the table drops them.
    return _finding(
        kind,
        "performance",
        statement,
        _importance(kind, stats),
        subject=subject,
        metric=metric,
        unit=unit,
        direction=direction,
        value=stats["median"],
        source_rows=source_rows(values),
        **stats,
        **scope_columns,
    )


# What a file says it ran on; models measured on different ones are not ranked together.
_SETUP_COLUMNS = ("runtime", "hardware", "backend")
# What the rankings read of the warm rows: the groups they are cut into copy the columns they
# hold (with all of them, the rankings took 0.24 GB above a 50 MB CSV's 1.3 million
# measurements; 0.17 GB with these).
_RANKED_COLUMNS = ("experiment", "metric", "unit", "direction", "model", "value",
                   *ROW_KEY_COLUMNS, *_SETUP_COLUMNS, "_settings")  # fmt: skip
# What a model is compared at, beside its setup: the options and load a record states, and the
# settings a llama-bench run varies. Not a file's own configuration label: labels name runs,
# often by their model ("m1-fp16"), so two models' labels never match.
_SETTINGS_COLUMNS = (*CONFIG_COLUMNS, "batch_size", "threads", "flash_attn")


def settings_label(warm: pl.DataFrame) -> pl.Series:
    """Each row's stated settings as words ("num_ctx=2048, temperature=0.4, threads=8"; "" when
    it states none), a category worked out once per distinct settings (shared_settings)."""
    label = stated_settings(_SETTINGS_COLUMNS)
    return label_per_group(warm.select(_SETTINGS_COLUMNS), label).alias("_settings")


def shared_settings(rows: pl.DataFrame, verb: str = "ranked") -> tuple[pl.DataFrame, str]:
    """The rows of a comparison of models cut to the settings every compared model was
    measured at, and the words that say so ("" when each model was measured at every setting
    of the others: the rows as they are). A median pooled over each model's own settings
    compares the settings too: a sweep's model measured at 24 configurations against another
    measured only at its defaults. Settings are those every model states (one model's
    num_ctx against another's unstated one is unknown, not a difference). While no setting is
    common to all, the model sharing one with the fewest others leaves (ties: the fewest
    measurements) and is named as not `verb`; when none is common even to two, the rows stay
    as they are and the words say each model ran at its own settings."""
    labels = (
        rows.group_by("model", maintain_order=True)
        .agg(pl.col("_settings").unique().cast(pl.Utf8))
        .iter_rows()
    )
    stated = {model: {label: _settings_of(label) for label in found} for model, found in labels}
    # the settings every model states somewhere: the others are unknown for some of them
    columns = [
        c
        for c in _SETTINGS_COLUMNS
        if all(any(c in settings for settings in own.values()) for own in stated.values())
    ]
    if not columns:
        return rows, ""
    key = {
        label: tuple(own[label].get(c) for c in columns) for own in stated.values() for label in own
    }
    per_model = {model: {key[label] for label in own} for model, own in stated.items()}
    counts = dict(rows.group_by("model").len().iter_rows())
    models, common, left_out = _common_settings(per_model, counts)
    if not common:
        return rows, f"each model at its own {', '.join(columns)} (no setting in common)"
    if not left_out and all(per_model[m] == common for m in models):
        return rows, ""
    labels_kept = sorted(label for label, k in key.items() if k in common)
    kept = rows.filter(
        pl.col("model").is_in(models) & pl.col("_settings").cast(pl.Utf8).is_in(labels_kept)
    )
    every = "both models" if len(models) == 2 else f"all {len(models)} models"
    if len(common) == 1:
        (only,) = common
        named = ", ".join(f"{c}={v}" for c, v in zip(columns, only, strict=True) if v is not None)
        words = f"at the one setting {every} were measured at ({named})"
    else:
        words = f"at the {len(common)} settings {every} were measured at"
    return kept, words + _left_out_words(verb, left_out, per_model, common, str)


def _settings_of(label: str) -> dict[str, str]:
    """settings_label's words back as {setting: value}."""
    return dict(part.split("=", 1) for part in label.split(", ") if part)


def _common_settings(per_group: dict, counts: Mapping) -> tuple[list, set[tuple], list]:
    """The groups compared (models, or one setting's levels), the settings (tuples of values)
    all of them were measured at, and the groups left out. While no setting is common to all,
    the group sharing one with the fewest others leaves (ties: the fewest measurements), down
    to two; one left out early comes back when it holds every common setting. No common
    setting: every group, an empty set, none left out. `counts`: measurements per group."""
    groups, left_out = list(per_group), []
    common = set.intersection(*per_group.values())
    if not common:
        # Who shares a setting with whom, once: asked again each round, 400 levels took 5.3 s (0.1).
        sharing = {g: {o for o in groups if o != g and per_group[g] & per_group[o]} for g in groups}
        while not common and len(groups) > 2:
            left = min(groups, key=lambda g: (len(sharing[g]), counts[g], str(g)))
            groups.remove(left)
            left_out.append(left)
            for other in sharing.pop(left):
                sharing[other].discard(left)
            common = set.intersection(*(per_group[g] for g in groups))
    if not common:
        return list(per_group), set(), []
    groups += [g for g in left_out if common <= per_group[g]]
    return groups, common, [g for g in left_out if g not in groups]


def _left_out_words(
    verb: str, left_out: list, per_group: dict, common: set[tuple], name: Callable
) -> str:
    """ "; not compared, measured at none of them: a, b; at only some of them: c" ("" for none
    left out), each list in the groups' order of value, the first MAX_LISTED_LEVELS named."""
    if not left_out:
        return ""
    parts = []
    for words, chosen in (
        ("measured at none of them", [g for g in left_out if not per_group[g] & common]),
        ("at only some of them", [g for g in left_out if per_group[g] & common]),
    ):
        if chosen:
            chosen = sorted(chosen)
            listed = ", ".join(name(g) for g in chosen[:MAX_LISTED_LEVELS])
            more = len(chosen) - MAX_LISTED_LEVELS
            parts.append(
                f"{words}: {listed}" + (f" and {adaptive_number(more)} more" if more > 0 else "")
            )
    return f"; not {verb}, " + "; ".join(parts)


def levels_at_shared_settings(
    series: pl.DataFrame, dimension: str, others: list[str], cells: list[dict] | None = None
) -> tuple[pl.DataFrame, str]:
    """A setting's levels (one model's rows of one file and metric) cut to the combinations of
    the `others` (the settings that vary beside it) every level was measured at, and the words
    that say so ("" when each level was measured at every combination of the others: a full
    sweep, whose levels pool the same combinations). A sweep that varies one setting at a time
    measures num_ctx at the default num_gpu only, and the default num_ctx at every num_gpu:
    pooled, num_ctx's medians would compare the num_gpu values too. Unlike models in different
    files, a level in one file that does not state a setting the others state is not at the
    same setting: unstated is a value of its own here. A level measured at not every common
    combination is named as not compared. `cells`: setting_cells of the series over the
    dimension and the others, when the caller has them."""
    rows = series.filter(pl.col(dimension).is_not_null())
    if not others:
        return rows, ""
    if cells is None:
        cells = setting_cells(series, [dimension, *others])
    per_level: dict[object, set[tuple]] = {}
    counts: dict[object, int] = {}
    for cell in cells:
        level = cell[dimension]
        if level is None:
            continue
        per_level.setdefault(level, set()).add(tuple(cell[o] for o in others))
        counts[level] = counts.get(level, 0) + cell["len"]
    levels, common, left_out = _common_settings(per_level, counts)
    listed = ", ".join(others)
    if not common:
        what = "setting" if len(others) == 1 else "combination of them"
        return rows, f"each {dimension} at its own {listed} (no {what} in common)"
    if not left_out and all(per_level[level] == common for level in levels):
        return rows, ""
    shared = pl.DataFrame(list(common), schema=rows.select(others).schema, orient="row")
    kept = rows.filter(pl.col(dimension).is_in(levels)).join(
        shared, on=others, how="semi", nulls_equal=True
    )
    if len(common) == 1:
        (only,) = common
        named = ", ".join(
            f"{o}={level_text(v)}" if v is not None else f"{o} not stated"
            for o, v in zip(others, only, strict=True)
        )
        words = f"at the one setting every {dimension} was measured at ({named})"
    else:
        words = f"at the {len(common)} settings of {listed} every {dimension} was measured at"
    numeric = rows.schema[dimension].is_numeric()

    def name(level: object) -> str:
        return f"{dimension}={level_text(level)}" if numeric else level_text(level)

    return kept, words + _left_out_words("compared", left_out, per_level, common, name)


def ranking_findings(warm: pl.DataFrame, tools: dict[str, str]) -> list[dict]:
    """Per metric, the models ranked by their median over every file that measures them, within
    one setup (runtime, hardware, backend as the files state them, and the benchmark tool that
    wrote them): a model served by vLLM on one GPU and another by Ollama on a laptop would
    compare their setups, not themselves, and GenAI-Perf's time to first token against
    LLMPerf's their harnesses. With several setups, each has its ranking, named by its setup.
    Where the hardware is not stated, the source folder stands in for it: two folders given to
    one run are taken for two machines (a downloaded Mac mini log beside a team's sweeps).
    `tools`: the tool of each file a tool wrote (tool_of_files), by its path."""
    found = []
    stated = pl.concat_str(
        [pl.col(c).cast(pl.Utf8) for c in _SETUP_COLUMNS], separator=", ", ignore_nulls=True
    )
    source = pl.col("experiment").cast(pl.Utf8).str.split("/").list.first()
    unstated = pl.when(stated != "").then(stated + pl.lit(", hardware not stated"))
    tool = (
        pl.col("experiment").cast(pl.Utf8).replace_strict(tools, default=None, return_dtype=pl.Utf8)
    )
    setup = (
        pl.when(pl.col("hardware").is_null())
        .then(
            unstated.otherwise(pl.lit("runtime and hardware not stated")) + pl.lit(", in ") + source
        )
        .otherwise(stated)
    )
    setup = (
        pl.when(tool.is_not_null())
        .then(pl.concat_str(setup, pl.lit(", measured with "), tool))
        .otherwise(setup)
    )
    # Once per file and setup, not per row (the text per row: this step peaked 0.17 GB above a
    # 50 MB CSV's 1.3 million warm rows).
    labels = label_per_group(warm.select("experiment", *_SETUP_COLUMNS), setup)
    for (metric,), values in warm.with_columns(labels.alias("_setup")).group_by(
        ["metric"], maintain_order=True
    ):
        if metric not in RANKED_METRICS:
            continue
        setups = values.partition_by("_setup", maintain_order=True)
        for rows in setups:
            if rows["model"].n_unique() < 2:
                continue
            setup = rows["_setup"][0] if len(setups) > 1 else None
            rows, at = shared_settings(rows)
            if rows.is_empty():
                continue
            files = rows["experiment"].n_unique()
            scope = f"Model ranking over {adaptive_number(files)} file{'s' if files != 1 else ''}"
            if setup:
                scope += f" ({setup})"
            if at:
                scope += f", {at}"
            finding = _comparison_finding(
                "ranking",
                scope,
                "model",
                rows.drop("_setup", "_settings"),
                "model",
                config="; ".join(part for part in (setup, at) if part) or None,
            )
            if finding:
                found.append(finding)
    return found


def _subject(values: pl.DataFrame) -> str:
    """'quantization' when the models differ only in it (one family, one size), else 'model'."""
    identity = values.select("model_family", "model_params").unique()
    return (
        "quantization"
        if identity.height == 1 and identity.null_count().sum_horizontal()[0] == 0
        else "model"
    )


def experiment_findings(
    warm: pl.DataFrame, load_dominated: set[tuple[str, str]], names: Mapping[str, str]
) -> list[dict]:
    """Per experiment and metric: the models compared when several ran; per model, one finding
    for each dimension that varies (at the other settings every level shares; two changed
    together, level for level, once), or the configuration's summary when none does."""
    # Which dimensions vary, for every (experiment, metric, model) at once: per group, one
    # Polars call costs ~70 us, and a pile has a group per file and model (480 files: 9,500
    # calls, two thirds of this step).
    keys = ["experiment", "metric", "model"]
    varies = {
        key: [d for d in DIMENSION_COLUMNS if counts[d] > 1]
        for key, counts in (
            (tuple(row[k] for k in keys), row)
            for row in warm.group_by(keys)
            .agg(pl.col(d).drop_nulls().n_unique() for d in DIMENSION_COLUMNS)
            .iter_rows(named=True)
        )
    }
    found = []
    for (experiment, metric), values in warm.group_by(
        ["experiment", "metric"], maintain_order=True
    ):
        scope = f"In {_name(experiment, names)}"
        # The models' rows cut from this file's and metric's, not from all the rows at once:
        # that copied every warm row at the start (this step took 0.26 GB above a 50 MB CSV's
        # 1.3 million of them, 0.2 GB now).
        groups = values.partition_by("model", maintain_order=True, as_dict=True)
        models = [model for (model,) in groups]
        loads = metric == "ttft_ms" and any((experiment, m) in load_dominated for m in models)
        if len(models) > 1 and not loads:
            compared, at = shared_settings(values, "compared")
            if not compared.is_empty():
                finding = _comparison_finding(
                    "effect",
                    f"{scope}, {at}" if at else scope,
                    _subject(compared),
                    compared,
                    "model",
                    experiment=experiment,
                    config=at or None,
                )
                if finding:
                    found.append(finding)
        for model in models:
            if metric == "ttft_ms" and (experiment, model) in load_dominated:
                continue  # its TTFT measures loading: the cold-start finding says so
            series, held = hold_further_settings(groups[(model,)])
            varying = varies[(experiment, metric, model)]
            if held:
                varying = [d for d in varying if series[d].drop_nulls().n_unique() > 1]
            for rows, table, in_rows, dimensions in within_tables(series, varying):
                said = ", ".join(part for part in (model, table, held) if part)
                found.extend(
                    _setting_findings(
                        rows,
                        in_rows,
                        dimensions,
                        f"In {_name(experiment, names)} ({said})",
                        ", ".join(part for part in (table, held) if part),
                        experiment=experiment,
                        model=model,
                    )
                )
            if not varying and series.height >= 2:
                said = ", ".join(part for part in (model, held) if part)
                scope = f"In {_name(experiment, names)} ({said})"
                found.append(_configuration_finding(scope, series, experiment, model))
    return found


def _setting_findings(
    series: pl.DataFrame,
    varying: list[str],
    dimensions: list[str],
    model_scope: str,
    held: str,
    *,
    experiment: str,
    model: str,
) -> list[dict]:
    """One model's effect findings in one file and metric: one for each of `dimensions`, at
    the other settings that vary in `series` (`varying`) every level shares (two changed
    together, level for level, once)."""
    followers = [d for d in varying if _follows_another(series, d, varying)]
    varying = [d for d in varying if d not in followers]
    cells = setting_cells(series, varying) if len(varying) > 1 else []
    found = []
    for dimension in [d for d in varying if d in dimensions]:
        # A setting raised with this one goes with it; the others are held at what every
        # level was measured at. A file's configuration label names every setting at once:
        # nothing is held beside it.
        partners, others = [], []
        if dimension != "config":
            rest = [d for d in varying if d not in (dimension, "config")]
            partners = [d for d in rest if _paired(cells, d, dimension)]
            if any(varying.index(d) < varying.index(dimension) for d in partners):
                continue  # compared once, with the setting it was raised with
            others = [d for d in rest if d not in partners]
        compared, at = levels_at_shared_settings(series, dimension, others, cells)
        going = _going_with(compared, dimension, followers + partners)
        finding = _comparison_finding(
            "effect",
            ", ".join(part for part in (model_scope, going, at) if part),
            dimension,
            compared,
            dimension,
            experiment=experiment,
            model=model,
            config="; ".join(part for part in (held, going, at) if part) or None,
        )
        if finding:
            found.append(finding)
    return found


_TABLE = r"^(table \d+) row "


def within_tables(
    series: pl.DataFrame, varying: list[str]
) -> list[tuple[pl.DataFrame, str, list[str], list[str]]]:
    """(rows, "table N" or "", the `varying` settings that vary in the rows, the settings
    compared in them) for a model's rows of one file and metric. A report's tables are often
    separate experiments (scenarios, phases, a baseline run beside a tuned one) whose other
    settings the report states in prose: a setting one table varies is compared in that table
    alone (the one with most of its measurements, where several vary it), not pooled with
    another table's values, where the other table's scenario would pass for that setting's
    effect. A setting that varies only from table to table (a section per GPU) is compared
    across them, at the settings they share, as in any file."""
    tables = series.get_column("locator").str.extract(_TABLE, 1)
    if not varying or tables.drop_nulls().n_unique() < 2:
        return [(series, "", varying, varying)]
    counts = (
        series.select(varying)
        .with_columns(_table=tables)
        .filter(pl.col("_table").is_not_null())
        .group_by("_table", maintain_order=True)
        .agg(
            *[pl.col(d).drop_nulls().n_unique().alias(f"{d}_levels") for d in varying],
            *[pl.col(d).is_not_null().sum().alias(f"{d}_rows") for d in varying],
        )
    )
    chosen: dict[str, list[str]] = {}
    for dimension in varying:
        inside = counts.filter(pl.col(f"{dimension}_levels") > 1)
        table = (
            inside.sort(f"{dimension}_rows", descending=True, maintain_order=True)["_table"][0]
            if inside.height
            else ""
        )
        chosen.setdefault(table, []).append(dimension)
    found = []
    for table, dimensions in chosen.items():
        if not table:
            found.append((series, "", varying, dimensions))
            continue
        rows = series.filter(tables == table)
        inside = [d for d in varying if rows[d].drop_nulls().n_unique() > 1]
        found.append((rows, table, inside, dimensions))
    return found


def _follows_another(series: pl.DataFrame, dimension: str, varying: list[str]) -> bool:
    """Whether another setting that varies more finely fixes this one's value (a compile
    benchmark's ONNX backend alone on the CPU, its other backends on CUDA): its levels then
    pool that setting's levels as if they were repetitions, and its effect is the other's. A
    file's configuration label is left out as the other: it names every setting at once."""

    return any(
        other != "config"
        and _fixes(series, other, dimension)
        and not _fixes(series, dimension, other)
        for other in varying
        if other != dimension
    )


def _fixes(series: pl.DataFrame, finer: str, coarser: str) -> bool:
    """Whether each level of `finer` has one value of `coarser`, and `coarser` is stated only
    where `finer` is (a num_ctx swept where no num_gpu is stated is not num_gpu's)."""
    values = series.select(finer, coarser).unique()
    if values.filter(pl.col(finer).is_null() & pl.col(coarser).is_not_null()).height:
        return False
    values = values.drop_nulls()
    return values.height > 0 and values[finer].n_unique() == values.height


def _paired(cells: list[dict], one: str, other: str) -> bool:
    """Whether two settings change together, level for level, over at least two levels (a
    sweep that raises num_ctx with num_gpu), each stated wherever the other is: neither can be
    held while the other varies. `cells`: setting_cells of the series."""
    if any((cell[one] is None) != (cell[other] is None) for cell in cells):
        return False
    pairs = {(c[one], c[other]) for c in cells if c[one] is not None}
    ones, others = {a for a, _ in pairs}, {b for _, b in pairs}
    return len(pairs) >= 2 and len(ones) == len(others) == len(pairs)


def setting_cells(series: pl.DataFrame, settings: list[str]) -> list[dict]:
    """Each combination of the settings the rows were measured at, with its row count (`len`):
    one query for the questions asked of a series' settings, where each asked of the rows took
    one (about 70 us each; the findings of 2,400 files ask thousands)."""
    return series.group_by(settings).len().to_dicts()


def _going_with(series: pl.DataFrame, dimension: str, followers: list[str]) -> str:
    """The settings that go with each level of `dimension`, in words ("hardware going with
    backend (eager: cuda, onnx: cpu)"): a level's lead may be its hardware's."""
    parts = []
    for follower in followers:
        if not _fixes(series, dimension, follower):
            continue
        pairs = series.select(dimension, follower).drop_nulls().unique().sort(dimension)
        listed = ", ".join(f"{level}: {value}" for level, value in pairs.iter_rows())
        parts.append(f"{follower} going with {dimension} ({listed})")
    return "; ".join(parts)


def hold_further_settings(series: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """A model's rows of one file and metric, at one combination of the further settings its
    file states (`extra`: llama-bench's context depth, a log's GPU section), and those settings
    as words ("n_depth=0"); the rows as they are when there is one combination. These settings
    have no column to be compared by, and pooled into another setting's levels they would pass
    for repetitions: the combination with the most measurements is kept (the first of a tie)."""
    extra = series.get_column("extra")
    if extra.n_unique() < 2:
        return series, ""
    counts = series.group_by("extra", maintain_order=True).len()
    chosen = counts.sort("len", descending=True, maintain_order=True)["extra"][0]
    kept = series.filter(pl.col("extra").eq_missing(chosen))
    settings = [json.loads(e) if e else {} for e in counts["extra"].to_list()]
    held = json.loads(chosen) if chosen else {}
    varying = sorted(
        {k for one in settings for k in one if any(o.get(k) != one.get(k) for o in settings)}
    )
    return kept, ", ".join(f"{k}={level_text(held.get(k))}" for k in varying)


_STATISTIC_WORDS = {"p50": "median", "avg": "mean", "average": "mean"}


def summary_words(rows: pl.DataFrame) -> str:
    """ "values, each a mean of several measurements" when every row is a statistic of
    measurements (a benchmark's mean time per backend), else ""."""
    statistic = rows.get_column("statistic")
    if statistic.null_count():
        return ""
    statistics = sorted({_STATISTIC_WORDS.get(s, s) for s in statistic.unique().to_list()})
    return f"values, each a {' or '.join(statistics)} of several measurements"


def _configuration_finding(scope: str, series: pl.DataFrame, experiment: str, model: str) -> dict:
    values = series["value"].to_numpy()
    metric, unit = series["metric"][0], series["unit"][0] or ""
    median = float(np.median(values))
    spread = interquartile_range(values)
    ci = median_ci(values)
    config = series["config_label"][0]
    interval = (
        f", {CONFIDENCE * 100:.0f}% CI {adaptive_number(ci[0])} to {adaptive_number(ci[1])}"
        if ci is not None
        else ""
    )
    # A report's table of means (its measurements in no file of the pile) is values of
    # measurements summarised: "over 4 measurements" read as four runs of one configuration.
    what = summary_words(series) or "measurements"
    statement = (
        f"{scope}, {config}: median {metric_words(metric)} {adaptive_number(median)} {unit} over "
        f"{adaptive_number(values.size)} {what} (interquartile range "
        f"{adaptive_number(spread or 0)} {unit}{interval})."
    )
    return _finding(
        "configuration",
        "performance",
        statement,
        20 + min(values.size, 50) / 10,
        subject="configuration",
        metric=metric,
        unit=unit,
        direction=series["direction"][0],
        experiment=experiment,
        model=model,
        config=config,
        n=int(values.size),
        median=median,
        spread=spread,
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
        value=median,
        source_rows=source_rows(series),
    )


# --- cold starts and outliers -----------------------------------------------------------------


def load_dominated_series(rows: pl.DataFrame) -> pl.DataFrame:
    """Per experiment and model: TTFT measurements whose median load share is at least
    LOAD_DOMINATED_SHARE."""
    return (
        rows.filter((pl.col("metric") == "ttft_ms") & pl.col("load_share").is_not_null())
        .group_by("experiment", "model", maintain_order=True)
        .agg(
            share=pl.col("load_share").median(),
            ttft=pl.col("value").median(),
            n=pl.len(),
            rows=row_key(),
        )
        .filter(pl.col("share") >= LOAD_DOMINATED_SHARE)
    )


def cold_start_findings(
    rows: pl.DataFrame, loaded: pl.DataFrame, names: Mapping[str, str]
) -> list[dict]:
    """Two findings at most: how much of TTFT is loading, where a file says; and the first
    calls that were cold starts."""
    found = []
    if loaded.height:
        measured = rows.filter(
            (pl.col("metric") == "ttft_ms") & pl.col("load_share").is_not_null() & ~pl.col("cold")
        )
        shares = measured["load_share"]
        files = loaded["experiment"].n_unique()
        # Warm calls only: their "load" is what Ollama reports as load_duration on a model it
        # holds already, tens of milliseconds per request, not a load of the model.
        statement = (
            f"The time reported as loading the model is a median "
            f"{one_decimal(shares.median() * 100)}% of the time to first token over "
            f"{adaptive_number(measured.height)} warm calls in {_files(files)} that record "
            f"load time (per file and model from {one_decimal(loaded['share'].min() * 100)}% to "
            f"{one_decimal(loaded['share'].max() * 100)}%; a median "
            f"{adaptive_number(measured['load_ms'].median())} ms, the server's work per request "
            "with the model already loaded): there TTFT measures that, not the setting or model "
            "compared, so those TTFT figures are left out of the comparisons."
        )
        found.append(
            _finding(
                "cold_start",
                "performance",
                statement,
                85,
                subject="load share",
                metric="ttft_ms",
                unit="%",
                direction="lower",
                n=measured.height,
                median=shares.median() * 100,
                value=shares.median() * 100,
                source_rows=source_rows(measured),
            )
        )
    reloads = _reload_finding(rows, names)
    if reloads is not None:
        found.append(reloads)
    cold = rows.filter(
        pl.col("cold") & ~pl.col("reloaded") & (pl.col("metric") == "ttft_ms")
    ).with_columns(row_key().alias("row"))
    if cold.height:
        rest = (
            rows.filter(~pl.col("cold") & (pl.col("metric") == "ttft_ms"))
            .group_by("experiment", "model", "config_label")
            .agg(rest=pl.col("value").median())
        )
        cold = (
            cold.join(rest, on=["experiment", "model", "config_label"])
            .with_columns(ratio=pl.col("value") / pl.col("rest"))
            .sort(["ratio", "row"], descending=[True, False])
        )
        worst = cold.row(0, named=True)
        ratios = _span(cold["ratio"])
        statement = (
            f"{adaptive_number(cold.height)} first call{'s' if cold.height != 1 else ''} of a "
            f"series took {ratios} times the later calls' "
            f"median time to first token: cold starts, left out of the comparisons (the largest: "
            f"{worst['model']} in {_name(worst['experiment'], names)} {worst['locator']}, "
            f"{adaptive_number(worst['value'])} ms against {adaptive_number(worst['rest'])} ms)."
        )
        found.append(
            _finding(
                "cold_start",
                "performance",
                statement,
                80,
                subject="first call",
                metric="ttft_ms",
                unit="ms",
                direction="lower",
                n=cold.height,
                median=worst["rest"],
                value=worst["value"],
                source_rows=cold["row"].to_list(),
            )
        )
    return found


def _span(values: pl.Series) -> str:
    """ "A to B" of the values, or the one value."""
    low, high = values.min(), values.max()
    if values.len() == 1:
        return adaptive_number(high)
    return f"{adaptive_number(low)} to {adaptive_number(high)}"


def _reload_finding(rows: pl.DataFrame, names: Mapping[str, str]) -> dict | None:
    """The calls that loaded the model first (tasks.facts.measurements: their load time far
    above their file's usual), left out of the comparisons like cold starts."""
    calls = (
        rows.filter(pl.col("cold") & pl.col("reloaded"))
        .with_columns(row_key().alias("row"))
        .unique("row", maintain_order=True)
    )
    if calls.is_empty():
        return None
    usual = (
        rows.filter(~pl.col("reloaded") & pl.col("load_ms").is_not_null())
        .group_by("experiment", "model")
        .agg(usual=pl.col("load_ms").median())
    )
    calls = calls.join(usual, on=["experiment", "model"], how="left").sort(
        ["load_ms", "row"], descending=[True, False]
    )
    worst = calls.row(0, named=True)
    files = calls["experiment"].n_unique()
    loads = _span(calls["load_ms"])
    statement = (
        f"{adaptive_number(calls.height)} call{'s' if calls.height != 1 else ''} in "
        f"{_files(files)} loaded the model before answering ({loads} ms of load time, where "
        f"their files' other calls of the model took a median "
        f"{adaptive_number(calls['usual'].median())} ms): a first call, or the first after a "
        "setting changed, which reloads the model. These calls are left out of the comparisons "
        f"(the longest: {worst['model']} in {_name(worst['experiment'], names)} "
        f"{worst['locator']}, {adaptive_number(worst['load_ms'])} ms)."
    )
    return _finding(
        "cold_start",
        "performance",
        statement,
        82,
        subject="model reload",
        metric="load_ms",
        unit="ms",
        direction="lower",
        n=calls.height,
        median=calls["usual"].median(),
        value=worst["load_ms"],
        source_rows=source_rows(calls),
    )


def outliers(warm: pl.DataFrame) -> pl.DataFrame:
    """Warm measurements far from the other repetitions of their configuration (one file, model,
    configuration and setup), with the median they stray from."""
    # The configuration as one number (group_numbers), the statistics on it and the values
    # alone, and only the strays' rows taken: windows over the 19 columns themselves encoded
    # them for every row, 0.22 GB above a 50 MB CSV's 1.3 million measurements.
    group = ["experiment", "model", "config_label", "metric", *DIMENSION_COLUMNS]
    deviation = (pl.col("value") - pl.col("median")).abs()
    statistics = (
        warm.select("value", _group=group_numbers(warm.select(group)))
        .with_columns(
            median=pl.col("value").median().over("_group"),
            count=pl.len().over("_group"),
        )
        .with_columns(mad=deviation.median().over("_group") * 1.4826)
    )
    stray = statistics.select(
        (pl.col("count") >= 5)
        & (pl.col("mad") > 0)
        & (deviation > OUTLIER_DEVIATIONS * pl.col("mad"))
        & (deviation > OUTLIER_MIN_SHARE * pl.col("median").abs())
    ).to_series()
    return warm.filter(stray).hstack(statistics.filter(stray).select("median", "count", "mad"))


def without_strays(warm: pl.DataFrame, strays: pl.DataFrame) -> pl.DataFrame:
    """The warm measurements less the outliers; `warm` itself when there are none, where the
    join copied every column (1.3 million measurements: 235 MB)."""
    if strays.is_empty():
        return warm
    key = ["source_path", "locator", "metric"]
    return warm.join(strays.select(key), on=key, how="anti")


def outlier_findings(found: pl.DataFrame, names: Mapping[str, str]) -> list[dict]:
    findings = []
    for row in found.with_columns(row_key().alias("_row_key")).iter_rows(named=True):
        unit = row["unit"] or ""
        statement = (
            f"{row['model']} with {row['config_label']}: {adaptive_number(row['value'])} {unit} "
            f"{metric_words(row['metric'])} at {_name(row['source_path'], names)} "
            f"{row['locator']} is "
            f"far from the median {adaptive_number(row['median'])} {unit} of its "
            f"{adaptive_number(row['count'])} repetitions; it is left out of the comparisons."
        )
        findings.append(
            _finding(
                "outlier",
                "performance",
                statement,
                35,
                subject="measurement",
                metric=row["metric"],
                unit=unit,
                direction=row["direction"],
                experiment=row["experiment"],
                model=row["model"],
                config=row["config_label"],
                n=row["count"],
                median=row["median"],
                value=row["value"],
                source_rows=[row["_row_key"]],
            )
        )
    return findings


# --- failures, gaps, quality, inventory -------------------------------------------------------


def _error_class(error: pl.Expr) -> pl.Expr:
    """An error message without the numbers that vary between its occurrences: what groups
    records by cause. Never shown: "'cpN' codec can't encode character" reads as garbled."""
    return _error_line(error).str.replace_all(r"\d+", "N")


def _error_line(error: pl.Expr) -> pl.Expr:
    """An error message's first line, as written, cut to 120 characters."""
    return error.str.split("\n").list.first().str.slice(0, 120)


_NO_MESSAGE = "marked unsuccessful, no error message"


def failure_findings(metrics: pl.DataFrame) -> list[dict]:
    """Failed records (an error or success=false in the file) grouped by the cause their files
    state. A record quarantined for its data alone (a value out of range, a metric written
    twice) did not fail: the data-quality section lists it with its reasons."""
    failed = pl.col("error").is_not_null() | (pl.col("success") == False)  # noqa: E712
    records = (
        metrics.filter((pl.col("status") == "quarantined") & failed)
        .group_by("source_path", "locator", maintain_order=True)
        .agg(pl.col("error").drop_nulls().first())
        .with_columns(
            pl.col("source_path").cast(pl.Utf8),
            cause=_error_class(pl.col("error")).fill_null(_NO_MESSAGE),
            message=_error_line(pl.col("error")).fill_null(_NO_MESSAGE),
        )
    )
    # A run written twice (bench.json and its bench.md rendering) failed once: its failures
    # count in one of the files that share a folder and name, the one that states the most
    # error messages (the rendering may keep only a success column), then the first.
    stem = pl.col("source_path").str.replace(r"\.[^./]*$", "")
    stated = pl.col("error").is_not_null().sum().over("source_path")
    chosen = (
        pl.col("source_path")
        .sort_by([stated, pl.col("source_path")], descending=[True, False])
        .first()
        .over(stem)
    )
    records = records.filter(pl.col("source_path") == chosen)
    found = []
    groups = records.group_by("cause", maintain_order=True).agg(
        n=pl.len(),
        files=pl.col("source_path").n_unique(),
        folders=pl.col("source_path").str.replace(r"/[^/]*$", "").unique().sort(),
        rows=pl.format("{} {}", "source_path", "locator"),  # records, not rows
        message=pl.col("message").first(),
        messages=pl.col("message").n_unique(),
    )
    for cause, n, files, folders, rows, message, messages in groups.sort(
        ["n", "cause"], descending=[True, False]
    ).iter_rows():
        where = ", ".join(folders[:3]) + (
            f" and {len(folders) - 3} more" if len(folders) > 3 else ""
        )
        records = f"{adaptive_number(n)} failed record{'s' if n != 1 else ''}"
        # The first record's own words: the others' differ from them in numbers alone.
        verb = (
            "failed with"
            if n == 1
            else "share one cause"
            if messages == 1
            else "share one cause, in the first one's words"
        )
        statement = f'{records} in {_files(files)} (in {where}) {verb}: "{message}".'
        found.append(
            _finding(
                "failure_cause",
                "quality",
                statement,
                50 + min(math.log10(n), 3),
                subject="error",
                n=n,
                value=n,
                config=cause,
                source_rows=rows[:MAX_SOURCE_ROWS],
            )
        )
    return found


def gap_findings(
    metrics: pl.DataFrame, warm: pl.DataFrame, file_names: Mapping[str, str]
) -> list[dict]:
    """What the pile does not measure: repetitions, output quality, GPU telemetry."""
    found = []
    per_config = warm.group_by("experiment", "model", "config_label", "metric").len()
    single = per_config.filter(pl.col("len") < MIN_REPETITIONS)
    if single.height:
        statement = (
            f"{adaptive_number(single.height)} of {adaptive_number(per_config.height)} measured "
            f"configurations (file, model, options and metric) have fewer than {MIN_REPETITIONS} "
            "repetitions: their noise cannot be estimated, so none of them can be tested "
            "against another."
        )
        found.append(
            _finding(
                "coverage_gap",
                "coverage",
                statement,
                45 + 10 * single.height / per_config.height,
                subject="repetitions",
                n=per_config.height,
                value=single.height,
            )
        )
    # Speed measured without quality or telemetry beside it, file by file: a pile may hold a
    # quality score somewhere, but a sweep that does not record one compares speed alone.
    speed = warm.filter(pl.col("metric").is_in(RANKED_METRICS))["experiment"].unique()
    if speed.len():
        # The two columns read, not the whole table: its 40 columns were 1 GB on 3.8 million rows.
        beside = metrics.select("source_path", "metric").filter(
            pl.col("source_path").is_in(speed.implode())
        )
        for pattern, what, advice in (
            (_QUALITY_METRIC, "output quality (accuracy, score)", "speed is compared alone"),
            (_GPU_METRIC, "GPU telemetry (utilisation, memory, power)", "offload is unchecked"),
        ):
            names = beside["metric"].unique().cast(pl.Utf8)
            matching = names.filter(names.str.contains(pattern.pattern))
            covered = beside.filter(pl.col("metric").is_in(matching.implode()))
            with_it = covered["source_path"].n_unique()
            if with_it == speed.len():
                continue
            plural = speed.len() != 1
            statement = (
                f"{adaptive_number(speed.len() - with_it)} of {_files(speed.len())} that "
                f"{'measure' if plural else 'measures'} speed "
                f"{'yield' if speed.len() - with_it != 1 else 'yields'} no metric of {what}, so "
                f"{advice} there{_held_elsewhere(metrics, speed, pattern, file_names)}."
            )
            found.append(
                _finding(
                    "coverage_gap",
                    "coverage",
                    statement,
                    44,
                    subject=what.split(" (")[0],
                    n=speed.len(),
                    value=speed.len() - with_it,
                )
            )
    return found


def _held_elsewhere(
    metrics: pl.DataFrame, speed: pl.Series, pattern: re.Pattern, names: Mapping[str, str]
) -> str:
    """The other files that hold such a metric (a report's quality scores): without them, "no
    file measures quality" reads as true of the pile."""
    # the metric names matched once, not each row's text (millions of rows in a big CSV)
    metric_names = metrics["metric"].unique().cast(pl.Utf8)
    matching = metric_names.filter(metric_names.str.contains(pattern.pattern))
    if matching.is_empty():
        return ""
    holding = (
        metrics.select("source_path", "metric")
        .filter(
            pl.col("metric").is_in(matching.implode())
            & ~pl.col("source_path").is_in(speed.implode())
        )["source_path"]
        .unique()
        .sort()
    )
    if holding.is_empty():
        return ""
    named = ", ".join(_name(path, names) for path in holding.head(3).to_list())
    more = f" and {adaptive_number(holding.len() - 3)} more" if holding.len() > 3 else ""
    one = holding.len() == 1
    return (
        f" ({_files(holding.len())} outside them {'holds' if one else 'hold'} one: {named}{more})"
    )


def _files(count: int) -> str:
    return f"{adaptive_number(count)} file" + ("" if count == 1 else "s")


def inventory_findings(files: pl.DataFrame) -> list[dict]:
    """Counts of files by format, status and folder, and the data's own time range."""

    def count(statement: str, value: int, subject: str, importance: float = 10) -> dict:
        return _finding(
            "inventory", "inventory", statement, importance, subject=subject, n=value, value=value
        )

    found = [count(f"{_files(files.height)} found in total.", files.height, "files", 12)]
    by_format = files.group_by("format").len().sort(["len", "format"], descending=[True, False])
    for fmt_name, n in by_format.iter_rows():
        verb = "is a" if n == 1 else "are"
        noun = "file" if n == 1 else "files"
        found.append(count(f"{_files(n)} {verb} {fmt_name} {noun}.", n, "format"))
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
    by_status = files.group_by("status").len().sort(["len", "status"], descending=[True, False])
    for status, n in by_status.iter_rows():
        words = wording.get(status, (status, status))[n != 1]
        found.append(count(f"{_files(n)} {words}.", n, "status", 11))
    folders = files.group_by("folder").len().sort(["len", "folder"], descending=[True, False])
    found.append(
        count(
            f"The files sit in {adaptive_number(folders.height)} "
            f"folder{'s' if folders.height != 1 else ''}.",
            folders.height,
            "folders",
        )
    )
    for folder, n in folders.head(8).iter_rows():
        found.append(count(f"Folder {folder} holds {_files(n)}.", n, "folder", 9))
    dated = files.filter(pl.col("data_time_max").is_not_null())
    if dated.height:
        first = dated["data_time_min"].min()[:10]
        last = dated["data_time_max"].max()[:10]
        found.append(
            count(
                f"The data's own timestamps run from {first} to {last}, in {_files(dated.height)}.",
                dated.height,
                "data time",
                11,
            )
        )
    return found


def quality_findings(metrics: pl.DataFrame) -> list[dict]:
    """How many measurements and records passed validation."""
    # A record is a (source_path, locator) pair: its locators counted file by file. Grouped by
    # the pair, each group's rows listed, this took 0.5 GB above a 50 MB CSV's 3.2 million
    # rows, against 60 MB.
    records = (
        metrics.lazy()
        .group_by("source_path")
        .agg(
            records=pl.col("locator").n_unique(),
            failed=pl.col("locator").filter(pl.col("status") == "quarantined").n_unique(),
        )
        .select(pl.col("records", "failed").sum())
        .collect()
    )
    total, failed = records.row(0)
    passed = metrics.select((pl.col("status") != "quarantined").sum()).item()  # no copy of rows

    def count(statement: str, value: int, importance: float) -> dict:
        return _finding(
            "data_quality",
            "quality",
            statement,
            importance,
            subject="validation",
            n=value,
            value=value,
        )

    return [
        count(
            f"{adaptive_number(metrics.height)} measurements were read from the files.",
            metrics.height,
            38,
        ),
        count(f"{adaptive_number(passed)} measurements passed validation.", passed, 39),
        count(
            f"{adaptive_number(failed)} of {adaptive_number(total)} benchmark records "
            "were quarantined as failed or inconsistent runs.",
            failed,
            40,
        ),
    ]


# --- the table --------------------------------------------------------------------------------


_ANALYSED = (
    *ROW_KEY_COLUMNS,
    "experiment",
    "metric",
    "unit",
    "direction",
    "value",
    "model",
    "model_family",
    "model_params",
    "config_label",
    "load_ms",
    "load_share",
    "cold",
    "reloaded",
    *DIMENSION_COLUMNS,
    "extra",  # further settings a file states, held fixed in each comparison
)


def compute_findings(
    files: pl.DataFrame,
    metrics: pl.DataFrame,
    extra: Iterable[dict] = (),
    *,
    performance: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every finding, ranked by importance, with ids F001.. in rank order; `extra`: findings
    made elsewhere (new_finding), such as what changed since the last run; `performance`:
    performance_rows(metrics) when the caller has them already."""
    if performance is None:
        performance = performance_rows(metrics)
    # Only the columns the analysis reads: the comparisons cut the rows into many small groups,
    # and gathering the 40-column table for each was two thirds of this step (480 files: 2.0 s).
    rows = performance.select(_ANALYSED)
    warm = rows.filter(~pl.col("cold"))  # filtered once: each filter copies the rows
    strays = outliers(warm)
    warm = without_strays(warm, strays)
    warm = warm.with_columns(settings_label(warm))
    loaded = load_dominated_series(rows.filter(~pl.col("cold")))
    names = short_names(files["relative_path"].cast(pl.Utf8).to_list())
    load_keys = set(zip(loaded["experiment"], loaded["model"], strict=True))
    found = [
        # a copy of the rows, released at once
        *ranking_findings(ranked_rows(warm.select(_RANKED_COLUMNS), loaded), tool_of_files(files)),
        *experiment_findings(warm, load_keys, names),
        *cold_start_findings(rows, loaded, names),
        *outlier_findings(strays, names),
        *failure_findings(metrics),
        *gap_findings(metrics, warm, names),
        *quality_findings(metrics),
        *inventory_findings(files),
        *extra,
    ]
    return findings_table(found, names)


def tool_of_files(files: pl.DataFrame) -> dict[str, str]:
    """The benchmark tool that wrote each file a tool's reader read, by its path: its reader's
    first word ("llmperf individual responses" -> llmperf); none for the generic readers."""
    read = files.select("relative_path", "reader").filter(
        pl.col("reader").is_not_null() & ~pl.col("reader").str.starts_with("generic")
    )
    return {path: reader.split(" ")[0] for path, reader in read.iter_rows()}


def ranked_rows(warm: pl.DataFrame, loaded: pl.DataFrame) -> pl.DataFrame:
    """The warm rows the rankings compare: a TTFT that measures loading ranks the loads, not
    the models."""
    return pl.concat(
        [
            warm.filter(pl.col("metric") != "ttft_ms"),
            warm.filter(pl.col("metric") == "ttft_ms").join(
                loaded.select("experiment", "model"), on=["experiment", "model"], how="anti"
            ),
        ]
    )


_SUBJECT_NOUNS = {  # a dimension as a sentence names one of its levels
    "model": "model",
    "quantization": "quantization",
    "num_gpu": "GPU layer setting (num_gpu)",
    "num_ctx": "context length (num_ctx)",
    "temperature": "temperature",
    "config": "configuration",
    "input_tokens": "prompt length",
    "output_tokens": "output length",
    "concurrency": "concurrency level",
}
# What a benchmark varies to describe its workload, not a setting to choose: a best prompt length
# is a finding, never advice.
WORKLOAD_DIMENSIONS = ("input_tokens", "output_tokens", "concurrency")


def gist(row: dict) -> str:
    """The finding in words alone, no number: what an agent's prompt shows, so that a small
    model restates findings instead of copying numbers it cannot check (code adds them)."""
    if row.get("gist"):
        return row["gist"]  # written with the finding (new_finding)
    kind, verdict = row["kind"], row.get("verdict")
    what = metric_words(row.get("metric") or "").replace("_", " ")
    raw = row.get("subject") or ""
    noun = _SUBJECT_NOUNS.get(raw, raw.replace("_", " "))
    if kind in ("ranking", "effect") and shift_within_noise(row):
        return f"The {noun} has an effect on {what} within the noise."
    if kind in ("ranking", "effect"):
        return {
            "significant": f"One {noun} gives clearly the best {what}.",
            "differs": f"The {what} differs by {noun}, but the top two cannot be told apart.",
            "no measurable difference": f"The {noun} makes no measurable difference to {what}.",
            "inconclusive": f"Whether the {noun} changes {what} is inconclusive; more "
            "repetitions would settle it.",
            "not testable": f"The {what} of each {noun} rests on too few measurements to test.",
        }[verdict]
    if kind == "cold_start" and raw == "load share":
        return "The time reported as loading takes most of the time to first token."
    if kind == "cold_start" and raw == "model reload":
        return "Some calls loaded the model first and are left out of the comparisons."
    if kind == "cold_start":
        return "The first call of a series was a cold start, far slower to its first token."
    if kind == "outlier":
        return f"One {what} measurement is far from its repetitions and is left out."
    if kind == "failure_cause":
        cause = " ".join(re.sub(r"[\d{}\[\]<>|`]+", " ", row.get("config") or "").split())
        return f"Failed records share one cause: {cause or 'unknown'}"
    if kind == "coverage_gap":
        return {
            "repetitions": "Most configurations were measured fewer than three times, too few "
            "to tell them from noise.",
            "output quality": "The files that measure speed yield no output quality metric.",
            "GPU telemetry": "The files that measure speed yield no GPU telemetry metric.",
        }.get(raw, "A measurement is missing.")
    if kind == "configuration":
        return f"One configuration's repeated {what} measurements agree closely."
    # counts: the statement with "several" for its numbers; the claim gets the numbers back
    words = re.sub(r"\b\d[\d,.:-]*(?: of \d[\d,]*)?", "several", row["statement"])
    words = " ".join(re.sub(r"\S*\d\S*", "", words).split())
    return words[:1].upper() + words[1:]


def findings_table(found: Iterable[dict], names: Mapping[str, str] | None = None) -> pl.DataFrame:
    """The findings ranked, with ids, gists and `file` (the experiment as `names` writes it)."""
    rows = sorted(found, key=lambda f: -f["importance"])  # stable: ties keep their order
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
        row["finding_id"] = f"F{rank:03d}"
        row["gist"] = gist(row)
        if row.get("experiment"):
            row["file"] = _name(row["experiment"], names or {})
    if not rows:
        return pl.DataFrame(schema=FINDINGS)
    return conform(pl.DataFrame(rows, infer_schema_length=None), FINDINGS)
