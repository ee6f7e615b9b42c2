import json
from dataclasses import replace

import polars as pl

from flows.stages import _tables_note
from tasks.agents.analyst import AgentResult
from tasks.agents.options import ModelOptions
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tasks.report.render import RunContext, render_agent_report, render_combined_report
from tasks.tables import FINDINGS_TABLE, METRICS_TABLE, content_hash


def _call(agent: str, tokens_per_s: float, ttft_ms: float, options: dict) -> dict:
    return {
        "agent": agent,
        "attempt": 0,
        "options": json.dumps(options),
        "ttft_ms": ttft_ms,
        "tokens_per_s": tokens_per_s,
        "eval_count": 120,
        "prompt_eval_count": 800,
        "load_ms": 0.0,
        "prompt_eval_ms": 900.0,
        "eval_ms": 1500.0,
        "total_ms": 2400.0,
        "guard_verdict": "rejected",
        "guard_reasons": ["gaps: writes a number; numbers come from the cited finding 92"],
    }


def _result(persona, call, written_by) -> AgentResult:
    return AgentResult(
        persona=persona,
        options=ModelOptions(**json.loads(call["options"])),
        sections={s: f"Text of {s}." for s in persona.sections},
        written_by=written_by,
        calls=[call],
    )


CONTEXT = RunContext(
    run=1,
    scenario="baseline_vs_chimera",
    backend="embedded",
    model="smollm2-135m",
    backend_note="auto: no Ollama server answered",
    gpu="no GPU (NVML Shared Library Not Found)",
    stage_seconds={"discover": 0.5, "parse": 1.25},
    concurrent_wall_ms=3000.0,
    sequential_wall_ms=5000.0,
)


def test_agent_report_marks_who_wrote_each_section_and_shows_the_call():
    written_by = {"data_inventory": "model", "coverage": "findings", "gaps": "findings"}
    result = _result(DATA_COLLECTOR, _call("A", 80.0, 120.0, {}), written_by)

    report = render_agent_report(result, CONTEXT)

    assert report.startswith("# Agent A (DataCollector) report, run 1")
    assert "## Data inventory\n\n_Sentences by the model, each checked" in report
    assert "## Gaps\n\n_Rendered from the findings by code" in report
    assert "| Throughput (tok/s) | 80 |" in report
    assert "- Configuration (scenario): backend defaults" in report
    assert "no GPU" in report
    assert "gaps: writes a number; numbers come from the cited finding N" in report
    assert "92" not in report
    assert DATA_COLLECTOR.prompt.strip().splitlines()[0] in report


def test_combined_report_sets_agents_side_by_side_with_deltas_and_speedup():
    a = _result(
        DATA_COLLECTOR,
        _call("A", 80.0, 120.0, {}),
        dict.fromkeys(DATA_COLLECTOR.sections, "findings"),
    )
    b = _result(
        INSIGHT_AGENT,
        _call("B", 100.0, 90.0, {"num_ctx": 2048}),
        dict.fromkeys(INSIGHT_AGENT.sections, "findings"),
    )

    report = render_combined_report(
        a,
        b,
        CONTEXT,
        "# Data quality\n\n## Expectations\n\nall passed",
        "## Top findings",
        "## Coverage matrix",
        "## Benchmark findings",
    )

    assert "| Throughput (tok/s) | 80 | 100 | 20 (+25.0%) |" in report
    assert "| Time to first token (ms) | 120 | 90 | -30 (-25.0%) |" in report
    # one call each: the table says it is no test of which options are faster
    assert "the deltas describe these two calls, not which agent's options are faster" in report
    assert "Speedup (sequential / concurrent): 1.67x" in report
    assert "Efficiency (speedup / 2): 83.3%" in report
    assert "- Contention: no (rule: yes when the efficiency is below 75%" in report
    assert "Agent B (InsightAgent) options: num_ctx=2048" in report
    assert "all passed" in report
    assert "\n## Data quality\n" in report and "\n### Expectations\n" in report
    # the findings lead; the agents' own calls come after the data
    headings = ("## Top findings", "## The agents' analysis", "## Coverage matrix",
                "## Benchmark findings", "## Data quality", "## Agents side by side")  # fmt: skip
    order = [report.index(h) for h in headings]
    assert order == sorted(order)


def test_a_pair_slower_together_is_flagged_as_contended():
    a = _result(
        DATA_COLLECTOR,
        _call("A", 80.0, 120.0, {}),
        dict.fromkeys(DATA_COLLECTOR.sections, "findings"),
    )
    b = _result(
        INSIGHT_AGENT,
        _call("B", 80.0, 120.0, {}),
        dict.fromkeys(INSIGHT_AGENT.sections, "findings"),
    )
    context = replace(CONTEXT, concurrent_wall_ms=8200.0, sequential_wall_ms=7500.0)

    report = render_combined_report(a, b, context, "# Data quality", "## Benchmark findings")

    assert "Speedup (sequential / concurrent): 0.91x" in report
    assert "- Contention: yes (" in report


def test_an_agent_that_asked_no_model_shows_no_options_as_sent():
    a = replace(
        _result(DATA_COLLECTOR, _call("A", 80.0, 120.0, {}), {}),
        calls=[],
        written_by=dict.fromkeys(DATA_COLLECTOR.sections, "off"),
    )
    b = replace(
        _result(INSIGHT_AGENT, _call("B", 100.0, 90.0, {"num_ctx": 2048}), {}),
        calls=[],
        written_by=dict.fromkeys(INSIGHT_AGENT.sections, "off"),
    )

    report = render_combined_report(a, b, CONTEXT, "", "## Top findings", "", "")

    assert "- Agent B (InsightAgent): no model call in this run, so no options sent" in report
    assert "num_ctx=2048" not in report


def test_every_report_names_the_tables_it_describes(tmp_path):
    # A report left beside newer tables (a run that failed after them) is told apart by this
    # line: the flow run, the time and the tables' content hashes.
    for table in (METRICS_TABLE, FINDINGS_TABLE):
        table.path(tmp_path).parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame({"value": [1.0, 2.0]}).write_parquet(table.path(tmp_path))
    note = _tables_note(tmp_path)
    metrics_hash = content_hash(METRICS_TABLE.path(tmp_path))[:12]
    assert f"metrics.parquet sha256 {metrics_hash}" in note
    assert note.startswith("written by flow run ")

    a = _result(
        DATA_COLLECTOR, _call("A", 80.0, 120.0, {}), dict.fromkeys(DATA_COLLECTOR.sections, "model")
    )
    b = _result(
        INSIGHT_AGENT, _call("B", 100.0, 90.0, {}), dict.fromkeys(INSIGHT_AGENT.sections, "model")
    )
    context = replace(CONTEXT, tables=note)
    for report in (
        render_agent_report(a, context),
        render_combined_report(a, b, context, "", "## Top findings", "", ""),
    ):
        assert f"- Tables: {note}" in report


FINDINGS_A = dict.fromkeys(DATA_COLLECTOR.sections, "findings")
FINDINGS_B = dict.fromkeys(INSIGHT_AGENT.sections, "findings")


def test_an_agent_that_chose_no_options_shows_the_defaults_its_backend_sent():
    a = _result(DATA_COLLECTOR, _call("A", 80.0, 120.0, {}), FINDINGS_A)
    a = replace(a, calls=[_call("A", 80.0, 120.0, {"num_ctx": 2048, "temperature": 0.8})])
    b = _result(INSIGHT_AGENT, _call("B", 100.0, 90.0, {"num_gpu": 80}), FINDINGS_B)

    report = render_combined_report(a, b, CONTEXT, "", "## Top findings", "", "")

    assert (
        "- Agent A (DataCollector) options: none chosen, so the backend's defaults (its first "
        "call sent num_ctx=2048, temperature=0.8)" in report
    )
    assert "- Agent B (InsightAgent) options: num_gpu=80" in report


def test_agents_reused_from_the_cache_show_the_asking_run_s_wall_times_not_the_cache_s():
    cached = {"cached": True}
    a = _result(DATA_COLLECTOR, _call("A", 80.0, 120.0, {}) | cached, FINDINGS_A)
    b = _result(INSIGHT_AGENT, _call("B", 100.0, 90.0, {"num_gpu": 80}) | cached, FINDINGS_B)
    a, b = replace(a, wall_ms=47707.92), replace(b, wall_ms=59644.06)
    context = replace(CONTEXT, concurrent_wall_ms=50.83, sequential_wall_ms=None)

    report = render_combined_report(a, b, context, "", "## Top findings", "", "")

    assert "Concurrent wall time" not in report
    assert (
        "- No model was asked in this run (both results reused), so its wall time of A and B, "
        "50.83 ms, is the cache's; in the run that asked, A took 47,707.92 ms and B "
        "59,644.06 ms." in report
    )
