"""Claims read from a model's reply and rendered as a section."""

import json

from tasks.agents.claims import CheckedClaim, Claim, claims_from_reply, render_section
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
