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
    assert (
        "no file that measures speed records output quality beside it, so compare their answers "
        "first" in first.rendered
    )
    same = finding_id(FINDINGS, kind="effect", subject="num_gpu")
    second = recommendations[1]
    assert second.claim.finding_id == same
    assert "makes no measurable difference to throughput" in second.rendered
    # the advice names the model it was measured on: another model's setting may matter
    model = FINDINGS.filter(pl.col("finding_id") == same)["model"][0]
    assert model and f"rather than speed on {model}, since" in second.rendered


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


def test_a_best_prompt_length_is_a_finding_never_advice() -> None:
    rows = [
        *metric_rows("b/bench.json", "m", [1800.0, 1805.0, 1797.0, 1802.0], input_tokens=512),
        *metric_rows(
            "b/bench.json", "m", [2700.0, 2704.0, 2697.0, 2702.0], start=5, input_tokens=2048
        ),
    ]
    rows = [{**row, "metric": "prompt_tok_s"} for row in rows]
    metrics = metrics_frame(rows)
    findings = compute_findings(files_frame(metrics), metrics)
    assert "significant" in findings.filter(pl.col("subject") == "input_tokens")["verdict"]

    recommendations = INSIGHT_AGENT.fallback(findings)["recommendations"]

    assert not any("choose" in c.rendered for c in recommendations)


def test_a_load_that_dominates_warm_calls_is_not_cured_by_warming_up() -> None:
    # Ollama's warm calls: load_duration is most of each call's time to first token.
    rows = [
        *metric_rows("o/sweep.csv", "m", [100.0, 102.0, 98.0, 101.0], "ttft_ms", "ms"),
        *metric_rows("o/sweep.csv", "m", [90.0, 92.0, 88.0, 91.0], "load_ms", "ms"),
    ]
    metrics = metrics_frame(rows)
    findings = compute_findings(files_frame(metrics), metrics)
    load = finding_id(findings, kind="cold_start", subject="load share")

    risks = INSIGHT_AGENT.fallback(findings)["risks"]

    mitigation = next(c.claim.mitigation for c in risks if c.claim.finding_id == load)
    assert mitigation.startswith("Compare the prompt evaluation time")
    assert "Warm" not in mitigation


def test_advice_rests_on_a_comparison_within_one_file_before_a_ranking_across_files() -> None:
    rows = [
        # two files, two machines perhaps: a ranking across them
        *metric_rows("a/laptop.csv", "gemma3:1b", [180.0, 182.0, 181.0, 183.0, 179.0]),
        *metric_rows("b/server.csv", "qwen3:4b", [60.0, 61.0, 59.5, 62.5, 60.5]),
        # one file: two quantizations of one model on one machine
        *metric_rows("c/quant.csv", "llama3.1:8b-q4_0", [77.0, 78.0, 76.5, 77.5]),
        *metric_rows("c/quant.csv", "llama3.1:8b-q8_0", [46.0, 47.0, 46.5, 47.5], start=5),
    ]
    metrics = metrics_frame(rows)
    findings = compute_findings(files_frame(metrics), metrics)
    assert "significant" in findings.filter(pl.col("kind") == "ranking")["verdict"]

    advice = INSIGHT_AGENT.fallback(findings)["recommendations"][0]

    assert advice.rendered.startswith("Where throughput matters, choose llama3.1:8b-q4_0 over")


def test_the_quality_caveat_says_not_every_file_when_some_speed_files_record_quality() -> None:
    gap = finding_id(FINDINGS, kind="coverage_gap", subject="output quality")
    some = FINDINGS.with_columns(
        pl.when(pl.col("finding_id") == gap)
        .then(pl.col("n") - 1)
        .otherwise(pl.col("value"))
        .alias("value")
    )

    first = INSIGHT_AGENT.fallback(some)["recommendations"][0]

    assert "; not every file that measures speed records output quality beside it" in (
        first.rendered
    )
