"""Sections rendered from the facts by code, for when no model draft passes the guard.

In: a persona and the FACTS frame. Out: Markdown per section, built only from fact statements and
their numbers, so every number in them traces to a fact by construction.
"""

from __future__ import annotations

import polars as pl

from tasks.agents.personas import Persona
from tasks.facts.evidence import MIN_REPETITIONS


def _bullets(statements: list[str]) -> str:
    return "\n".join(f"- {statement}" for statement in statements)


def _statements(facts: pl.DataFrame, topic: str, pattern: str | None = None) -> list[str]:
    chosen = facts.filter(pl.col("topic") == topic)
    if pattern is not None:
        chosen = chosen.filter(pl.col("statement").str.contains(pattern))
    return chosen.sort("rank").get_column("statement").to_list()


def _performance(facts: pl.DataFrame, metric_word: str) -> pl.DataFrame:
    return facts.filter(
        (pl.col("topic") == "performance")
        & pl.col("statement").str.contains(f"mean {metric_word}")
        & pl.col("config").is_not_null()
    )


def data_collector_sections(facts: pl.DataFrame) -> dict[str, str]:
    inventory = _statements(facts, "inventory")
    coverage = _performance(facts, "throughput").sort("rank").head(8)
    coverage_lines = [
        *_statements(facts, "coverage"),
        *coverage.get_column("statement").to_list(),
    ]
    gaps = [
        *_statements(facts, "quality", "quarantined|failed runs"),
        *_statements(facts, "inventory", "no numeric|inventoried only|could not"),
    ]
    gaps.extend(_statements(facts, "performance", "fewer than three"))
    return {
        "data_inventory": _bullets(inventory),
        "coverage": _bullets(coverage_lines),
        "gaps": _bullets(gaps) if gaps else "No gaps were found in the validated data.",
    }


def insight_agent_sections(facts: pl.DataFrame) -> dict[str, str]:
    summary = [
        *_statements(facts, "performance", r"^The (highest|lowest)"),
        *_statements(facts, "quality", "passed validation|quarantined"),
    ]
    # A configuration is preferred only on enough measurements: one run within a few percent
    # of the next is no reason to change a setting. Otherwise the advice is to repeat it.
    throughput = _performance(facts, "throughput").sort("value", descending=True)
    best = throughput.filter(pl.col("source_rows") >= MIN_REPETITIONS).head(1)
    unrepeated = throughput.head(1)
    fastest = (
        _performance(facts, "time to first token")
        .filter(pl.col("source_rows") >= MIN_REPETITIONS)
        .sort("value")
        .head(1)
    )
    recommendations = []  # always three: one per concern, from the facts or naming the gap
    if best.height:
        row = best.row(0, named=True)
        recommendations.append(
            f"Prefer {row['model']} with {row['config']} where throughput matters: "
            f"{row['statement']}"
        )
    elif unrepeated.height:
        row = unrepeated.row(0, named=True)
        recommendations.append(
            "Repeat the fastest-looking configuration at least three times before preferring "
            f"it: {row['statement']}"
        )
    else:
        recommendations.append(
            "Measure throughput in tokens per second for every run: no throughput measurement "
            "passed validation."
        )
    if fastest.height:
        row = fastest.row(0, named=True)
        recommendations.append(
            f"Prefer {row['model']} with {row['config']} for interactive use, where time to "
            f"first token matters most: {row['statement']}"
        )
    else:
        recommendations.append(
            "Record time to first token for every run: no TTFT measurement passed validation, "
            "so interactive latency cannot be compared."
        )
    recommendations.append(
        "Re-run the quarantined configurations and keep at least three repetitions per "
        "configuration, "
        "then check output quality on the same prompts before changing the default settings."
    )
    risks = [
        (
            "Failed runs hide real performance differences.",
            "Check Ollama is reachable before a sweep and re-run quarantined records.",
        ),
        (
            "The first prompt after loading a model has a much longer time to first token.",
            "Warm the model up before measuring and report cold starts separately.",
        ),
    ]
    for statement in _statements(facts, "performance", "fewer than three"):
        risks.append(
            (
                statement,
                "Repeat each configuration at least three times before drawing conclusions.",
            )
        )
    return {
        "executive_summary": " ".join(summary) or "No performance measurement passed validation.",
        "recommendations": "\n".join(f"{i}. {text}" for i, text in enumerate(recommendations, 1)),
        "risks": "| Risk | Mitigation |\n|---|---|\n"
        + "\n".join(f"| {risk} | {mitigation} |" for risk, mitigation in risks),
    }


def fallback_sections(persona: Persona, facts: pl.DataFrame) -> dict[str, str]:
    """Every section of the persona, rendered deterministically from the facts."""
    if persona.agent == "A":
        return data_collector_sections(facts)
    return insight_agent_sections(facts)
