"""One agent's turn: checked claims published, rejected ones retried, then the fallback."""

import json

from tasks.agents.analyst import run_agent
from tasks.agents.options import ModelOptions
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tests.tasks.agents.findings_fixture import finding_id, small_findings
from tests.tasks.agents.scripted_backend import ScriptedBackend

FINDINGS = small_findings()
TOTAL = finding_id(FINDINGS, kind="inventory", subject="files")
GAP = finding_id(FINDINGS, kind="coverage_gap", subject="output quality")
FAILURE = finding_id(FINDINGS, kind="failure_cause")


def _reply(inventory: str, coverage: str, gaps: str) -> str:
    return json.dumps(
        {
            "data_inventory": [{"finding": TOTAL, "sentence": inventory}],
            "coverage": [{"finding": GAP, "sentence": coverage}],
            "gaps": [{"finding": FAILURE, "sentence": gaps}],
        }
    )


GOOD_A = _reply(
    "Benchmark files were found in this total",
    "Speed was measured without any output quality score",
    "Some records failed because the connection was refused",
)
INVENTED_A = _reply(
    "The pile holds fifty seven files and GPU utilisation was high",
    "Speed was measured without any output quality score",
    "Some records failed because the connection was refused",
)


def test_accepted_claims_are_published_with_the_findings_numbers():
    backend = ScriptedBackend([GOOD_A])

    result = run_agent(backend, DATA_COLLECTOR, FINDINGS, ModelOptions(temperature=0.0, seed=1))

    assert result.written_by == {s: "model" for s in DATA_COLLECTOR.sections}
    total = FINDINGS.filter(FINDINGS["finding_id"] == TOTAL)["statement"][0].rstrip(".")
    assert result.sections["data_inventory"] == (
        f"- Benchmark files were found in this total ({total}; {TOTAL})."
    )
    assert [c["guard_verdict"] for c in result.calls] == ["accepted"]
    _, _, schema = backend.calls[0]
    assert schema["required"] == list(DATA_COLLECTOR.sections)


def test_a_rejected_claim_is_retried_cooler_then_its_section_comes_from_the_findings():
    backend = ScriptedBackend([INVENTED_A, INVENTED_A.replace("fifty", "sixty"), INVENTED_A + " "])

    result = run_agent(backend, DATA_COLLECTOR, FINDINGS, ModelOptions(temperature=0.6))

    assert [c["attempt"] for c in result.calls] == [0, 1, 2]
    temperatures = [options.temperature for _, options, _ in backend.calls]
    assert temperatures[0] == 0.6 and temperatures[0] > temperatures[1] > temperatures[2]
    assert any(r.startswith("data_inventory: ") for r in result.calls[0]["guard_reasons"])
    assert result.written_by["gaps"] == "model"
    assert result.written_by["data_inventory"] == "findings"
    assert "fifty" not in result.sections["data_inventory"]
    rows = result.claim_rows()
    assert any(not r["published"] and "fifty" in r["sentence"] for r in rows)
    assert all(r["finding_id"] for r in rows)


def test_identical_reply_stops_retrying():
    backend = ScriptedBackend([INVENTED_A])

    run_agent(backend, DATA_COLLECTOR, FINDINGS, ModelOptions(temperature=0.0), max_retries=2)

    assert len(backend.calls) == 2


def test_the_prompt_carries_the_findings_an_agent_reads_not_file_contents():
    backend = ScriptedBackend([GOOD_A])

    run_agent(backend, DATA_COLLECTOR, FINDINGS, ModelOptions())
    messages, options, _ = backend.calls[0]
    user = messages[-1]["content"]

    assert f"{TOTAL} (inventory): " in user
    effect = finding_id(FINDINGS, kind="effect", subject="num_gpu")
    assert effect not in user  # what an option changes is agent B's to say
    assert options.num_predict is not None


def test_a_section_without_claims_falls_back_and_risks_keep_their_mitigation():
    ranking = finding_id(FINDINGS, kind="ranking")
    reply = json.dumps(
        {
            "executive_summary": [
                {"finding": ranking, "sentence": "The Gemma model has the best throughput"}
            ],
            "recommendations": [],
            "risks": [
                {
                    "finding": FAILURE,
                    "sentence": "The refused connection failed these records",
                    "mitigation": "Check that the server answers before starting a sweep",
                }
            ],
        }
    )

    result = run_agent(ScriptedBackend([reply]), INSIGHT_AGENT, FINDINGS, ModelOptions())

    assert result.written_by == {
        "executive_summary": "model",
        "recommendations": "findings",
        "risks": "model",
    }
    assert "| Check that the server answers before starting a sweep. |" in result.sections["risks"]
    assert result.sections["recommendations"].startswith("1. Where throughput matters, choose")
