"""summary.md: the agents' performance over every run of one `chimera run`.

In: the AGENT_CALLS table (every LLM call of every run) and, optionally, the chart files to link.
Out: Markdown. The sample is each agent's final call per run, the call whose draft the run's
reports show: retries inside a run reuse that run's warm model and prompt, so they are not
independent of the first draft, while runs are. Per agent and configuration: mean, standard
deviation, p50, p95 and a bootstrap 95% interval of throughput and TTFT; then A against B with a
Mann-Whitney U test, Cliff's delta and a verdict in words. Every number is computed here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl

from tasks.facts.statistics import (
    ALPHA,
    BOOTSTRAP_RESAMPLES,
    CONFIDENCE,
    DELTA_MAGNITUDES,
    SEED,
    THROUGHPUT,
    TTFT,
    Comparison,
    MetricSpec,
    compare,
    summarize_groups,
)
from tasks.markdown import fixed_number, p_value, signed_percent, table

SUMMARY_METRICS = (THROUGHPUT, TTFT)
# What a chart shows, as the link text; keys are write_charts' names.
CHART_CAPTIONS = {
    "throughput_by_model": "Throughput per model, each measurement, cold calls marked",
    "ttft_distribution": "Time to first token per model, first prompts marked",
    "agent_calls_over_runs": "Agent A and B per call over the runs",
}
COMPARISON_KEYS = ("scenario", "backend", "model")
FEW_RUNS_FOR_CI = 10  # below this, the method note warns that bootstrap intervals run narrow


def options_text(options_json: str | None) -> str:
    """The options a call sent, as "name=value, ..." in name order."""
    options = json.loads(options_json) if options_json else {}
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items())) or "backend defaults"


def final_calls(agent_calls: pl.DataFrame) -> pl.DataFrame:
    """Each agent's last attempt in each run, with a `config` id per distinct set of options."""
    final = (
        agent_calls.sort("run", "agent", "attempt")
        .group_by("run", "scenario", "agent", maintain_order=True)
        .last()
    )
    # Ids by agent in order of first appearance: A1, A2, B1; they key the statistics tables.
    configs = (
        final.select("agent", *COMPARISON_KEYS, "persona", "options")
        .unique(maintain_order=True)
        .with_columns(config=pl.col("agent") + (pl.int_range(pl.len()).over("agent") + 1).cast(str))
    )
    # nulls_equal: a call that sent no options (null) still belongs to a configuration.
    return final.join(
        configs,
        on=["agent", *COMPARISON_KEYS, "persona", "options"],
        how="left",
        nulls_equal=True,
    )


def comparisons(final: pl.DataFrame) -> list[tuple[dict, list[Comparison]]]:
    """Per scenario, backend and model: A against B on each summary metric."""
    results = []
    for keys, group in final.group_by(list(COMPARISON_KEYS), maintain_order=True):
        a = group.filter(pl.col("agent") == "A")
        b = group.filter(pl.col("agent") == "B")
        results.append(
            (
                dict(zip(COMPARISON_KEYS, keys, strict=True)),
                [
                    compare(a.get_column(m.column).to_numpy(), b.get_column(m.column).to_numpy(), m)
                    for m in SUMMARY_METRICS
                ],
            )
        )
    return results


def metric_statistics(final: pl.DataFrame, metric: MetricSpec) -> pl.DataFrame:
    """Per configuration id: n, mean, std, p50, p95 and the mean's interval of one metric."""
    return summarize_groups(final.sort("config"), ["config"], metric.column)


def _configurations_section(final: pl.DataFrame) -> str:
    configs = final.group_by("config", maintain_order=True).agg(
        pl.col("agent", "persona", "backend", "model", "options").first(), runs=pl.len()
    )
    rows = [
        (
            c["config"],
            c["agent"],
            c["persona"],
            c["backend"],
            c["model"],
            options_text(c["options"]),
            c["runs"],
        )
        for c in configs.sort("config").iter_rows(named=True)
    ]
    return "## Configurations\n\n" + table(
        ("Config", "Agent", "Persona", "Backend", "Model", "Options sent", "Runs"), rows, "llllllr"
    )


def _interval(n: int, low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "n/a (one run)" if n == 1 else "n/a"
    return f"{fixed_number(low)} to {fixed_number(high)}"


def _statistics_section(final: pl.DataFrame, metric: MetricSpec) -> str:
    stats = metric_statistics(final, metric)
    rows = [
        (
            s["config"],
            s["n"],
            fixed_number(s["mean"]),
            fixed_number(s["std"]),
            fixed_number(s["p50"]),
            fixed_number(s["p95"]),
            _interval(s["n"], s["ci_low"], s["ci_high"]),
        )
        for s in stats.iter_rows(named=True)
    ]
    title = f"{metric.label[0].upper()}{metric.label[1:]} ({metric.unit})"
    header = ("Config", "Runs", "Mean", "SD", "p50", "p95", f"{CONFIDENCE * 100:.0f}% CI of mean")
    return f"## {title}\n\n" + table(header, rows, "lrrrrrr")


def _comparison_rows(found: list[Comparison]) -> list[tuple]:
    rows = []
    for c in found:
        change = "n/a" if c.change_pct is None else signed_percent(c.change_pct)
        ci = (
            "n/a"
            if c.change_ci_low is None
            else f"{signed_percent(c.change_ci_low)} to {signed_percent(c.change_ci_high)}"
        )
        rows.append(
            (
                f"{c.metric.label[0].upper()}{c.metric.label[1:]} ({c.metric.unit})",
                fixed_number(c.mean_a),
                fixed_number(c.mean_b),
                change,
                ci,
                fixed_number(c.u),
                "n/a" if c.p is None else p_value(c.p).removeprefix("p="),
                "n/a"
                if c.delta is None
                else f"{c.delta:+.2f}" + ("" if _untestable(c) else f" ({c.magnitude})"),
            )
        )
    return rows


def _untestable(c: Comparison) -> bool:
    """Too few runs for any outcome to reach p < ALPHA: an effect size there is no "large"."""
    return c.smallest_p is not None and c.smallest_p >= ALPHA


def _comparison_section(found: list[tuple[dict, list[Comparison]]]) -> str:
    parts = ["## Agent A against agent B", ""]
    for keys, results in found:
        if len(found) > 1:
            parts += [f"### {keys['scenario']}, {keys['model']} ({keys['backend']})", ""]
        parts += [f"- {c.verdict[0].upper()}{c.verdict[1:]}." for c in results]
        header = (
            "Metric",
            "Mean A",
            "Mean B",
            "B vs A",
            f"{CONFIDENCE * 100:.0f}% CI of B vs A",
            "Mann-Whitney U",
            "p",
            "Cliff's delta",
        )
        parts += ["", table(header, _comparison_rows(results), "lrrrrrrr"), ""]
    return "\n".join(parts).rstrip()


def _guard_section(agent_calls: pl.DataFrame) -> str:
    by_agent = (
        agent_calls.group_by("agent", "persona")
        .agg(
            calls=pl.len(),
            accepted=(pl.col("guard_verdict") == "accepted").sum(),
            runs=pl.col("run").n_unique(),
        )
        .sort("agent")
    )
    rows = [
        (
            r["agent"],
            r["persona"],
            r["runs"],
            r["calls"],
            r["accepted"],
            f"{r['accepted'] / r['calls'] * 100:.1f}%",
        )
        for r in by_agent.iter_rows(named=True)
    ]
    return (
        "## Drafts and the guard\n\n"
        "Every call, retries included. Accepted: the guard passed every claim of the draft. The "
        "claims of a rejected draft that pass are still published one by one "
        "(tables/claims.parquet, written_by = model).\n\n"
        + table(("Agent", "Persona", "Runs", "Calls", "Accepted", "Accepted share"), rows, "llrrrr")
    )


def chart_links(charts: dict[str, Path], report_dir: Path | None = None) -> str:
    """Markdown images, paths relative to `report_dir` when given (else as passed)."""
    lines = ["## Charts", ""]
    for name, path in charts.items():
        target = Path(os.path.relpath(path, report_dir)) if report_dir is not None else Path(path)
        caption = CHART_CAPTIONS.get(name, name.replace("_", " "))
        lines += [f"![{caption}]({target.as_posix()})", ""]
    return "\n".join(lines).rstrip()


def _method_section(used: int, total: int) -> str:
    bounds = ", ".join(f"{label} below {bound}" for bound, label in DELTA_MAGNITUDES[:-1])
    return "\n".join(
        [
            "## Method",
            "",
            f"- Sample: each agent's final LLM call per run ({used} of {total} calls). Retries "
            "inside a run reuse its warm model and prompt, so they are not independent samples; "
            "runs are. The final call is also the one each run's reports show.",
            f"- Intervals: percentile bootstrap of the mean, {BOOTSTRAP_RESAMPLES:,} resamples, "
            f"seed {SEED}; B vs A resamples each agent apart and reports (mean B - mean A) / "
            "mean A.",
            f"- Test: two-sided Mann-Whitney U of B against A (exact for small samples without "
            f"ties); a difference is called significant when p < {ALPHA}.",
            f"- With fewer than {FEW_RUNS_FOR_CI} runs a bootstrap interval understates the "
            "uncertainty: it cannot reach beyond the values measured.",
            f"- Effect size: Cliff's delta, P(B > A) - P(B < A); {bounds}, else large "
            "(Romano et al., 2006).",
        ]
    )


def render_summary(
    agent_calls: pl.DataFrame,
    charts: dict[str, Path] | None = None,
    *,
    report_dir: Path | None = None,
) -> str:
    """summary.md over every run (see the module docstring).

    `charts` maps write_charts' names to PNG paths; pass `report_dir` (where summary.md is written)
    to link them relative to it.
    """
    if agent_calls.is_empty():
        # "over 0 runs" said the run itself never happened
        parts = ["# Chimera Flows summary of the agents' calls", ""]
        parts += ["No agent calls were recorded, so there is nothing to summarise.", ""]
        return "\n".join(parts)
    runs = agent_calls.get_column("run").n_unique()
    parts = [f"# Chimera Flows summary over {runs} run{'' if runs == 1 else 's'}", ""]
    final = final_calls(agent_calls)
    found = comparisons(final)
    scenarios = ", ".join(final.get_column("scenario").unique(maintain_order=True).to_list())
    parts += [
        f"- Scenario: {scenarios}",
        f"- Sample: each agent's final LLM call per run, {final.height} of {agent_calls.height} "
        "calls (see Method)",
        "",
        _comparison_section(found),
        "",
        _configurations_section(final),
        "",
        *[section for m in SUMMARY_METRICS for section in (_statistics_section(final, m), "")],
        _guard_section(agent_calls),
        "",
    ]
    if charts:
        parts += [chart_links(charts, report_dir), ""]
    parts += [_method_section(final.height, agent_calls.height), ""]
    return "\n".join(parts)
