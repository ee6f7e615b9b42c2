"""Sections rendered from the findings: advice only where a finding supports it."""

from __future__ import annotations

import polars as pl

from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tasks.facts import compute_findings
from tests.tasks.agents.findings_fixture import finding_id, small_findings
from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame

FINDINGS = small_findings()


def test_a_configuration_is_chosen_only_on_a_significant_finding() -> None:
    recommendations = INSIGHT_AGENT.fallback(FINDINGS)["recommendations"]

    first = recommendations[0]
    assert first.claim.finding_id == finding_id(FINDINGS, kind="ranking")
    assert first.rendered.startswith("Where throughput matters, choose gemma3:1b over llama3.1:8b")
    assert "no file measures output quality, so compare their answers first" in first.rendered
    same = finding_id(FINDINGS, kind="effect", subject="num_gpu")
    second = recommendations[1]
    assert second.claim.finding_id == same
    assert "makes no measurable difference to throughput" in second.rendered


def test_without_a_tested_difference_nothing_is_chosen() -> None:
    rows = [
        *metric_rows("s/one.csv", "m", [100.0], num_ctx=1024),
        *metric_rows("s/one.csv", "m", [130.0], start=2, num_ctx=2048),
    ]
    metrics = metrics_frame(rows)
    findings = compute_findings(files_frame(metrics), metrics)

    recommendations = INSIGHT_AGENT.fallback(findings)["recommendations"]

    assert not any("choose" in c.rendered for c in recommendations)
    assert any(c.rendered.startswith("Repeat each configuration") for c in recommendations)


def test_every_fallback_claim_cites_a_finding_and_states_only_its_numbers() -> None:
    by_id = {r["finding_id"]: r for r in FINDINGS.iter_rows(named=True)}
    for persona in (DATA_COLLECTOR, INSIGHT_AGENT):
        for section, claims in persona.fallback(FINDINGS).items():
            assert claims, section
            for claim in claims:
                finding = by_id[claim.claim.finding_id]
                assert claim.rendered.endswith(
                    f"{finding['finding_id']})"
                ) or claim.rendered.endswith(f"{finding['finding_id']}).")
                assert finding["statement"] in claim.rendered or finding["kind"] in (
                    "ranking",
                    "effect",
                    "cold_start",
                    "coverage_gap",
                )
    assert FINDINGS.filter(pl.col("kind") == "inventory").height


def test_advice_not_to_tune_a_setting_says_within_the_noise_when_the_test_detects_a_shift():
    same = finding_id(FINDINGS, kind="effect", subject="num_gpu")
    detected = FINDINGS.with_columns(
        pl.when(pl.col("finding_id") == same)
        .then(pl.lit(0.01))
        .otherwise(pl.col("p_value"))
        .alias("p_value")
    )

    advice = INSIGHT_AGENT.fallback(detected)["recommendations"][1]

    assert advice.claim.finding_id == same
    assert "since its effect on throughput is within the noise" in advice.rendered
    assert "no measurable difference" not in advice.rendered
