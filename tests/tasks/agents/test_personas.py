"""Personas: each carries its sections, reply schema, token cap and fallback."""

import re
from dataclasses import replace

import pytest

from tasks.agents import fallback
from tasks.agents.analyst import run_agent
from tasks.agents.drafting import build_messages
from tasks.agents.options import ModelOptions
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT, PERSONAS, Section
from tasks.facts import pack_findings
from tests.tasks.agents.findings_fixture import finding_id, small_findings
from tests.tasks.agents.scripted_backend import ScriptedBackend

FINDINGS = small_findings()
RANKING = finding_id(FINDINGS, kind="ranking")


@pytest.mark.parametrize("persona", PERSONAS.values(), ids=PERSONAS.keys())
def test_the_schema_requires_exactly_the_personas_sections(persona):
    schema = persona.schema(FINDINGS)

    assert schema["required"] == [s.key for s in persona.outline]
    assert list(schema["properties"]) == schema["required"]
    for section in persona.outline:
        items = schema["properties"][section.key]["items"]
        wanted = ["finding", "sentence"] + (["mitigation"] if section.mitigation else [])
        assert items["required"] == wanted
        assert schema["properties"][section.key]["maxItems"] == persona.max_claims


def test_the_agents_sections_and_token_caps():
    assert DATA_COLLECTOR.sections == ("data_inventory", "coverage", "gaps")
    assert INSIGHT_AGENT.sections == ("executive_summary", "recommendations", "risks")
    assert [s.key for s in INSIGHT_AGENT.outline if s.mitigation] == ["risks"]
    assert (DATA_COLLECTOR.max_tokens, INSIGHT_AGENT.max_tokens) == (450, 750)


@pytest.mark.parametrize("persona", PERSONAS.values(), ids=PERSONAS.keys())
def test_the_token_cap_is_num_predict_unless_the_options_set_one(persona):
    capped, chosen = ScriptedBackend(["{}"]), ScriptedBackend(["{}"])

    run_agent(capped, persona, FINDINGS, ModelOptions(temperature=0.0), max_retries=0)
    run_agent(chosen, persona, FINDINGS, ModelOptions(num_predict=99), max_retries=0)

    assert capped.calls[0][1].to_ollama()["num_predict"] == persona.max_tokens
    assert chosen.calls[0][1].to_ollama()["num_predict"] == 99


def test_the_schema_lets_each_section_cite_only_fitting_findings():
    schema = DATA_COLLECTOR.schema(FINDINGS)

    inventory = schema["properties"]["data_inventory"]["items"]["properties"]["finding"]["enum"]
    citable = DATA_COLLECTOR.section("data_inventory").citable_ids(FINDINGS)
    assert RANKING not in inventory and inventory == citable
    assert schema["required"] == list(DATA_COLLECTOR.sections)
    risks = INSIGHT_AGENT.schema(FINDINGS)["properties"]["risks"]["items"]
    assert risks["required"] == ["finding", "sentence", "mitigation"]


def test_the_schema_forbids_digits_in_sentences():
    schema = INSIGHT_AGENT.schema(FINDINGS)
    pattern = schema["properties"]["executive_summary"]["items"]["properties"]["sentence"][
        "pattern"
    ]

    assert re.match(pattern, "The context length makes no measurable difference here")
    assert not re.match(pattern, "The context length of 4096 makes no difference")


def test_a_section_asks_for_a_mitigation_by_its_flag_not_its_name():
    gaps = DATA_COLLECTOR.section("gaps")
    mitigated = replace(
        DATA_COLLECTOR,
        outline=(*DATA_COLLECTOR.outline[:2], replace(gaps, mitigation=True)),
    )
    pack = pack_findings(FINDINGS, mitigated.kinds, 10**9)

    schema = mitigated.schema(FINDINGS)["properties"]["gaps"]["items"]
    assert schema["required"] == ["finding", "sentence", "mitigation"]
    assert '"mitigation"' in build_messages(mitigated, pack)[-1]["content"]
    assert '"mitigation"' not in build_messages(DATA_COLLECTOR, pack)[-1]["content"]


def test_the_fallback_follows_each_sections_kinds_and_limit():
    section = Section(
        "ranked",
        "Ranked",
        cites=("ranking",),
        fallback=fallback.statements,
        fallback_kinds=("ranking", "inventory"),
        fallback_limit=2,
    )
    persona = replace(DATA_COLLECTOR, outline=(section,))

    (claims,) = persona.fallback(FINDINGS).values()

    ids = FINDINGS.filter(FINDINGS["kind"].is_in(["ranking", "inventory"])).sort("rank")
    assert [c.claim.finding_id for c in claims] == ids["finding_id"].to_list()[:2]
    assert all(c.claim.section == "ranked" for c in claims)
