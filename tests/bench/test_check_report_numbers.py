"""The number checker on reports rendered by the project's own code from literal tables."""

import json

import polars as pl
import pytest

from bench.check_report_numbers import (
    AllowedNumbers,
    calls_numbers,
    check_report,
    findings_numbers,
    frame_numbers,
    quality_numbers,
    split_sections,
)
from tasks.agents.analyst import AgentResult
from tasks.agents.claims import render_section
from tasks.agents.options import ModelOptions
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tasks.facts import compute_findings
from tasks.facts.measurements import coverage_matrix, performance_rows
from tasks.report.findings import render_coverage_matrix, render_findings, render_top_findings
from tasks.report.quality_summary import render_quality_summary
from tasks.report.render import RunContext, render_agent_report, render_combined_report
from tasks.report.summary import render_summary
from tasks.schemas import AGENT_CALLS, FILES, METRICS, QUARANTINE, conform
from tasks.validate import EXPECTATION_RESULTS, ValidationResult

FILES_FRAME = conform(
    pl.DataFrame(
        {
            "relative_path": ["bench/a.csv", "bench/b.csv"],
            "folder": ["bench", "bench"],
            "format": ["csv", "csv"],
            "status": ["parsed", "parsed"],
            "metric_rows": [13, 2],
        }
    ),
    FILES,
)
METRICS_FRAME = conform(
    pl.DataFrame(
        [
            {
                "source_path": "bench/a.csv",
                "locator": f"row {i}",
                "metric": metric,
                "value": value,
                "model": "m1",
                "config": config,
                "prompt_index": i,
                "status": "passed",
            }
            for i, (config, tps, ttft) in enumerate(
                [
                    ("fast", 120.5, 4100.0),
                    ("fast", 118.25, 90.0),
                    ("fast", 121.0, 95.5),
                    ("slow", 60.75, 140.0),
                    ("slow", 62.0, 150.0),
                    ("slow", 59.5, 145.25),
                ],
                start=1,
            )
            for metric, value in (("throughput_tok_s", tps), ("ttft_ms", ttft))
        ]
        + [
            {
                "source_path": "bench/b.csv",
                "locator": "row 1",
                "metric": "throughput_tok_s",
                "value": 0.0,
                "model": "m1",
                "config": "slow",
                "status": "quarantined",
                "error": "timed out after 30 s",
            },
        ],  # fmt: skip
        infer_schema_length=None,
    ),
    METRICS,
)
QUARANTINE_FRAME = conform(
    METRICS_FRAME.filter(pl.col("status") == "quarantined").with_columns(
        reasons=pl.lit(["record has an error: timed out after 30 s"])
    ),
    QUARANTINE,
)
OPTIONS = {"A": {"num_ctx": 2048, "num_gpu": -1}, "B": {"num_ctx": 4096, "num_gpu": 80}}


def _call(run: int, agent: str, tokens_per_s: float, ttft_ms: float) -> dict:
    return {
        "run": run,
        "scenario": "baseline_vs_chimera",
        "agent": agent,
        "persona": {"A": "DataCollector", "B": "InsightAgent"}[agent],
        "attempt": 0,
        "backend": "embedded",
        "model": "smollm2-135m",
        "options": json.dumps(OPTIONS[agent]),
        "ttft_ms": ttft_ms,
        "tokens_per_s": tokens_per_s,
        "eval_count": 300,
        "prompt_eval_count": 700,
        "load_ms": 250.5,
        "prompt_eval_ms": ttft_ms - 10,
        "eval_ms": 300 / tokens_per_s * 1000,
        "total_ms": ttft_ms + 300 / tokens_per_s * 1000,
        "done_reason": "stop",
        "guard_verdict": "rejected",
        "guard_reasons": ["gaps: number 92 does not trace to any fact"],
    }


CALLS = conform(
    pl.DataFrame(
        [_call(run, "A", 20.0 + run * 0.37, 8000.0 + run * 11.3) for run in (1, 2, 3)]
        + [_call(run, "B", 21.5 + run * 0.21, 12000.0 - run * 7.9) for run in (1, 2, 3)]
    ),
    AGENT_CALLS,
)
CONTEXT = RunContext(
    run=1,
    scenario="baseline_vs_chimera",
    backend="embedded",
    model="smollm2-135m",
    backend_note="chosen with --backend embedded",
    gpu="NVIDIA H100 80GB HBM3",
    stage_seconds={"discover": 0.07, "agents": 30.3},
    concurrent_wall_ms=29305.27,
)


def _result(persona, findings: pl.DataFrame) -> AgentResult:
    row = CALLS.filter((pl.col("run") == 1) & (pl.col("agent") == persona.agent)).row(0, named=True)
    claims = persona.fallback(findings)
    return AgentResult(
        persona=persona,
        options=ModelOptions(),
        sections={s.key: render_section(s, claims[s.key]) for s in persona.outline},
        written_by=dict.fromkeys(persona.sections, "findings"),
        calls=[{k: v for k, v in row.items() if k not in ("run", "scenario")}],
    )


@pytest.fixture(scope="module")
def rendered() -> tuple[dict[str, str], AllowedNumbers]:
    findings = compute_findings(FILES_FRAME, METRICS_FRAME)
    a, b = _result(DATA_COLLECTOR, findings), _result(INSIGHT_AGENT, findings)
    quality = render_quality_summary(
        ValidationResult(
            METRICS_FRAME, QUARANTINE_FRAME, pl.DataFrame(schema=EXPECTATION_RESULTS), {}
        ),
        FILES_FRAME,
    )
    coverage = render_coverage_matrix(coverage_matrix(performance_rows(METRICS_FRAME)))
    combined = render_combined_report(
        a, b, CONTEXT, quality, render_top_findings(findings), coverage, render_findings(findings)
    )
    reports = {
        "agent_a.md": render_agent_report(a, CONTEXT),
        "combined.md": combined,
        "summary.md": render_summary(CALLS),
    }
    allowed = AllowedNumbers(
        claims=frame_numbers(findings.drop("source_rows")),
        calls=calls_numbers(CALLS),
        findings=findings_numbers(METRICS_FRAME, FILES_FRAME),
        quality=quality_numbers(METRICS_FRAME, QUARANTINE_FRAME, FILES_FRAME),
    )
    return reports, allowed


def test_reports_rendered_from_the_tables_have_no_untraced_number(rendered):
    reports, allowed = rendered

    for name, text in reports.items():
        assert check_report(name, text, allowed) == [], name


@pytest.mark.parametrize(
    ("report", "written", "tampered", "section", "number"),
    [
        ("combined.md", "| Throughput (tok/s) | 20.37 |", "| Throughput (tok/s) | 23.37 |",
         "Agents side by side", "23.37"),
        ("agent_a.md", "| Tokens generated (tokens) | 300 |", "| Tokens generated (tokens) | 310 |",
         "Agent metrics", "310"),
        ("combined.md", "2 files found in total.", "731 files found in total.",
         "Agent A: Data inventory", "731 files"),
        ("combined.md", "| fast 119.6 (n=2)", "| fast 129.92 (n=2)", "Comparisons", "129.92"),
        ("combined.md", "13 metric rows validated", "17 metric rows validated", "Data quality",
         "17"),
        ("summary.md", "| A1 | 3 | 20.74 |", "| A1 | 3 | 24.74 |", "Throughput (tok/s)", "24.74"),
    ],
)  # fmt: skip
def test_a_changed_number_is_reported_with_its_section(
    rendered, report, written, tampered, section, number
):
    reports, allowed = rendered
    assert written in reports[report]  # the rendered figure, before it is changed

    found = check_report(report, reports[report].replace(written, tampered, 1), allowed)

    assert [(u.section, u.number) for u in found] == [(section, number)]


def test_agent_sections_may_not_cite_agent_call_numbers(rendered):
    _, allowed = rendered
    report = "# Agent A report\n\n## Coverage\n\nThroughput was 20.37 tok/s.\n"

    found = check_report("agent_a.md", report, allowed)

    assert [(u.section, u.number) for u in found] == [("Coverage", "20.37 tok/s")]


def test_timings_gpu_line_and_prompt_are_skipped_and_subsections_inherit_their_kind():
    report = (
        "# Report\n\n- GPU: NVIDIA H100 80GB\n\n## Workflow summary\n\n| agents | 30.30 |\n\n"
        "## Benchmark findings\n\n### Something new\n\ntext\n"
    )

    kinds = [(s.title, s.kind) for s in split_sections(report)]

    assert kinds == [
        ("Report", "calls"),
        ("Workflow summary", "skipped"),
        ("Benchmark findings", "findings"),
        ("Something new", "findings"),
    ]
    assert check_report("r.md", report, AllowedNumbers()) == []
