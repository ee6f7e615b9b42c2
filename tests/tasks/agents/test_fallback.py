"""Sections rendered from the facts: a configuration is recommended only on enough runs."""

from __future__ import annotations

import polars as pl

from tasks.agents.fallback import insight_agent_sections
from tasks.schemas import FACTS, conform


def _throughput_fact(model: str, config: str, mean: float, runs: int, rank: int) -> dict:
    return {
        "fact_id": f"F{rank:03d}",
        "topic": "performance",
        "statement": f"{model} with {config}: mean throughput {mean} tok/s "
        f"over {runs} measurements.",
        "value": mean,
        "unit": "tok/s",
        "numbers": [mean, float(runs)],
        "model": model,
        "config": config,
        "source_rows": runs,
        "rank": rank,
    }


def test_one_run_is_never_preferred_over_a_repeated_configuration() -> None:
    facts = conform(
        pl.DataFrame(
            [
                _throughput_fact("gemma3:270m", "num_ctx=4096", 303.9, 1, 1),
                _throughput_fact("gemma3:270m", "default options", 283.6, 5, 2),
            ]
        ),
        FACTS,
    )
    first = insight_agent_sections(facts)["recommendations"].splitlines()[0]
    assert first.startswith("1. Prefer gemma3:270m with default options")
    assert "303.9" not in first


def test_without_a_repeated_configuration_the_advice_is_to_repeat() -> None:
    facts = conform(
        pl.DataFrame([_throughput_fact("gemma3:270m", "num_ctx=4096", 303.9, 1, 1)]), FACTS
    )
    first = insight_agent_sections(facts)["recommendations"].splitlines()[0]
    assert first.startswith("1. Repeat the fastest-looking configuration at least three times")
    assert "303.9 tok/s over 1 measurements" in first
