import json

import polars as pl

from tasks.agents.analyst import run_agent
from tasks.agents.options import ModelOptions
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tasks.schemas import FACTS, conform
from tests.tasks.agents.scripted_backend import ScriptedBackend


def _facts() -> pl.DataFrame:
    rows = [
        {
            "fact_id": "F001",
            "topic": "inventory",
            "statement": "12 files found in total.",
            "value": 12.0,
            "unit": "files",
            "numbers": [12.0],
            "source_rows": 12,
            "rank": 1,
        },
        {
            "fact_id": "F002",
            "topic": "quality",
            "statement": "2 of 9 benchmark records were quarantined as failed runs.",
            "value": 2.0,
            "unit": "records",
            "numbers": [2.0, 9.0],
            "source_rows": 2,
            "rank": 2,
        },
        {
            "fact_id": "F003",
            "topic": "performance",
            "statement": "m1 with default options: mean throughput 238.24 tok/s over 5 runs "
            "(p50 240.00, p95 250.50).",
            "value": 238.2392,
            "unit": "tok/s",
            "numbers": [238.2392, 5.0, 240.0, 250.5],
            "model": "m1",
            "config": "default options",
            "source_rows": 5,
            "rank": 3,
        },
    ]
    return conform(pl.DataFrame(rows), FACTS)


GOOD_A = json.dumps(
    {
        "data_inventory": "The pile holds 12 files in total, in several formats and folders alike.",
        "coverage": "Throughput was measured for one model, all the data can compare today.",
        "gaps": "Of 9 benchmark records, 2 were quarantined as failed runs that must be re-run.",
    }
)
INVENTED_A = json.dumps(
    {
        "data_inventory": "The pile holds 57 files and the GPU was 92% utilised during every run.",
        "coverage": "Throughput was measured for one model, all the data can compare today.",
        "gaps": "Of 9 benchmark records, 2 were quarantined as failed runs that must be re-run.",
    }
)


def test_accepted_draft_is_published_as_written_by_the_model():
    backend = ScriptedBackend([GOOD_A])

    result = run_agent(backend, DATA_COLLECTOR, _facts(), ModelOptions(temperature=0.0, seed=1))

    assert result.written_by == {s: "model" for s in DATA_COLLECTOR.sections}
    assert result.sections["data_inventory"].startswith("The pile holds 12 files in total")
    assert [c["guard_verdict"] for c in result.calls] == ["accepted"]
    assert len(backend.calls) == 1
    _, _, schema = backend.calls[0]
    assert schema["required"] == list(DATA_COLLECTOR.sections)


def test_invented_number_is_retried_cooler_then_replaced_by_facts():
    backend = ScriptedBackend([INVENTED_A, INVENTED_A.replace("57", "58"), INVENTED_A + " "])

    result = run_agent(
        backend, DATA_COLLECTOR, _facts(), ModelOptions(temperature=0.6), max_retries=2
    )

    assert [c["attempt"] for c in result.calls] == [0, 1, 2]
    temperatures = [options.temperature for _, options, _ in backend.calls]
    assert temperatures[0] == 0.6 and temperatures[0] > temperatures[1] > temperatures[2]
    assert all(c["guard_verdict"] == "rejected" for c in result.calls)
    assert any("57" in reason for reason in result.calls[0]["guard_reasons"])
    # The sections that passed are kept; the one that never did comes from the facts.
    assert result.written_by["gaps"] == "model"
    assert result.written_by["data_inventory"] == "facts"
    assert "57" not in result.sections["data_inventory"]
    assert "12 files found in total." in result.sections["data_inventory"]


def test_identical_reply_stops_retrying():
    backend = ScriptedBackend([INVENTED_A])

    run_agent(backend, DATA_COLLECTOR, _facts(), ModelOptions(temperature=0.0), max_retries=2)

    assert len(backend.calls) == 2


def test_insight_agent_needs_three_recommendations_and_two_risks():
    reply = json.dumps(
        {
            "executive_summary": "Model m1 reached 238.24 tok/s on average over 5 runs, the only "
            "throughput figure that passed validation.",
            "recommendations": ["Keep m1 with its default options for throughput work."],
            "risks": [{"risk": "Failed runs hide differences.", "mitigation": "Re-run them."}],
        }
    )
    backend = ScriptedBackend([reply])

    result = run_agent(backend, INSIGHT_AGENT, _facts(), ModelOptions(temperature=0.0))

    assert result.written_by["executive_summary"] == "model"
    assert result.written_by["recommendations"] == "facts"
    assert result.written_by["risks"] == "facts"
    reasons = " ".join(result.calls[0]["guard_reasons"])
    assert "expected 3 recommendations" in reasons and "expected at least 2 risk rows" in reasons
    assert result.sections["recommendations"].count("\n") == 2
    assert result.sections["risks"].count("\n| ") >= 2


def test_prompt_carries_facts_not_file_names():
    backend = ScriptedBackend([GOOD_A])

    run_agent(backend, DATA_COLLECTOR, _facts(), ModelOptions())

    messages, options, _ = backend.calls[0]
    user = messages[-1]["content"]
    assert "F001: 12 files found in total." in user
    assert "F003" not in user  # performance facts are agent B's
    assert options.num_predict is not None


def test_copied_fact_ids_and_scraps_are_not_published():
    reply = json.dumps(
        {
            "data_inventory": "F001: 12 files found in total.",
            "coverage": "Measured.",
            "gaps": "Of 9 benchmark records, 2 were quarantined as failed runs "
            "that must be re-run.",
        }
    )
    backend = ScriptedBackend([reply])

    result = run_agent(backend, DATA_COLLECTOR, _facts(), ModelOptions(temperature=0.0))

    reasons = " ".join(result.calls[0]["guard_reasons"])
    assert "copies fact ids" in reasons and "fewer than 12 words" in reasons
    assert result.written_by == {"data_inventory": "facts", "coverage": "facts", "gaps": "model"}
