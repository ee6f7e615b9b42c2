"""Claims read from a model's reply and rendered as a section."""

import json

from tasks.agents.claims import CheckedClaim, Claim, claims_from_reply, evidence, render_section
from tasks.agents.personas import INSIGHT_AGENT
from tests.tasks.agents.findings_fixture import finding_id, small_findings

FINDINGS = small_findings()
RANKING = finding_id(FINDINGS, kind="ranking")


def test_claims_are_read_from_json_and_malformed_parts_skipped():
    reply = "Sure! " + json.dumps(
        {
            "executive_summary": [{"finding": RANKING, "sentence": "  Gemma leads.  "}, "junk"],
            "risks": "not a list",
        }
    )

    claims = claims_from_reply(INSIGHT_AGENT, reply)

    assert claims == [Claim("executive_summary", RANKING, "Gemma leads.", "")]


def test_at_most_the_personas_max_claims_are_read_per_section():
    item = {"finding": RANKING, "sentence": "Gemma leads."}
    reply = json.dumps({"executive_summary": [item] * (INSIGHT_AGENT.max_claims + 2)})

    assert len(claims_from_reply(INSIGHT_AGENT, reply)) == INSIGHT_AGENT.max_claims


def test_a_section_renders_as_its_flags_say():
    claims = [
        CheckedClaim(
            Claim(s.key, RANKING, "Gemma leads", "Check it"), (), f"Gemma leads ({RANKING})"
        )
        for s in INSIGHT_AGENT.outline
    ]
    summary, recommendations, risks = (
        render_section(s, [c]) for s, c in zip(INSIGHT_AGENT.outline, claims, strict=True)
    )

    assert summary == f"- Gemma leads ({RANKING})"
    assert recommendations == f"1. Gemma leads ({RANKING})"
    assert risks.splitlines()[0].startswith("| Risk") and "| Check it. |" in risks
    assert render_section(INSIGHT_AGENT.outline[0], []) == "No finding of this kind."


def test_a_best_is_cited_with_its_setup_and_the_test_of_its_two_leaders():
    # Two setups give two rankings, each with its own best: without the setup, two "best"
    # models read as a contradiction.
    ranking = {
        "finding_id": "F001",
        "kind": "ranking",
        "verdict": "significant",
        "unit": "tok/s",
        "levels": ["gemma3:latest", "llama3.1:8b"],
        "level_medians": [102.7, 73.88],
        "level_n": [4, 32],
        "ci_low": None,
        "ci_high": None,
        "p_value": 0.0004,
        "p_top": 0.029,
        "config": "ollama, hardware not stated, in sample-data",
        "experiment": None,
        "model": None,
    }

    assert evidence(ranking) == (
        "ollama, hardware not stated, in sample-data: gemma3:latest: median 102.7 tok/s, n=4, "
        "against llama3.1:8b 73.88 tok/s, n=32; Kruskal-Wallis p<0.001, the two alone "
        "Mann-Whitney p=0.029"
    )
