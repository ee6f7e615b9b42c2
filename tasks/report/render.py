"""Render the per-agent and combined Markdown reports of one run.

In: AgentResult objects, the run's context (scenario, backend, timings), the findings sections
(tasks.report.findings) and the data-quality summary. Out: Markdown strings. Every number here is
rendered by code from the tables: an agent's claims carry the numbers of the findings they cite,
and sections the model did not write are marked as rendered from the findings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from tasks.agents.analyst import AgentResult
from tasks.agents.concurrency import CONTENTION_RULE, measured_concurrency
from tasks.markdown import escape, fixed_number, signed_percent

METRIC_LABELS = (
    ("tokens_per_s", "Throughput", "tok/s"),
    ("ttft_ms", "Time to first token", "ms"),
    ("total_ms", "Total duration", "ms"),
    ("prompt_eval_ms", "Prompt eval duration", "ms"),
    ("eval_ms", "Eval duration", "ms"),
    ("load_ms", "Load duration", "ms"),
    ("eval_count", "Tokens generated", "tokens"),
)


@dataclass(frozen=True)
class RunContext:
    run: int
    scenario: str
    backend: str
    model: str
    backend_note: str  # why this backend ran, e.g. "auto: no Ollama answered at http://..."
    gpu: str  # "no GPU (...)" or the GPUs seen
    stage_seconds: dict[str, float] = field(default_factory=dict)
    concurrent_wall_ms: float | None = None
    sequential_wall_ms: float | None = None
    # The tables the report describes: flow run, time, content hashes; a stale report shows.
    tables: str = ""


def _options_text(options: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(options.items())) or "backend defaults"


def _options_line(result: AgentResult) -> str:
    """The header's line for an agent's model options; none when it asked no model."""
    who = f"- Agent {result.persona.agent} ({result.persona.name})"
    if not result.calls:
        return f"{who}: no model call in this run, so no options sent"
    chosen = result.options.to_ollama()
    if chosen:
        return f"{who} options: {_options_text(chosen)}"
    # "backend defaults" alone read as if nothing were sent; the backend sends its own values.
    sent = json.loads(result.calls[0]["options"] or "{}")
    as_sent = f" (its first call sent {_options_text(sent)})" if sent else ""
    return f"{who} options: none chosen, so the backend's defaults{as_sent}"


NO_CALL = "No LLM call in this run: the agents' analysis follows in a follow-up run."
CACHED = (
    "_No model was asked in this run: the agents' results were reused from an earlier run with "
    "the same findings, persona, options and model (Prefect's cache), and the figures below are "
    "that run's._"
)
_NO_CALL_BECAUSE = {
    "deferred": NO_CALL,
    "off": "No LLM call in this run: the agents were off (--agents off).",
    "unavailable": "No LLM call completed in this run: the model was unavailable.",
}
_MARKERS = {
    "model": "_Sentences by the model, each checked against the finding it cites; numbers and "
    "names inserted from that finding._",
    "findings": "_Rendered from the findings by code: no claim of the model's passed the checks._",
    "deferred": "_Rendered from the findings by code: the agents' analysis follows in the next "
    "run._",
    "off": "_Rendered from the findings by code: the agents were off for this run._",
}


def _no_call(*results: AgentResult) -> str:
    """Why a report has no LLM call to show."""
    said = {who for result in results for who in result.written_by.values()}
    why = next((w for w in ("unavailable", "off", "deferred") if w in said), "deferred")
    return _NO_CALL_BECAUSE[why]


def final_call(result: AgentResult) -> dict | None:
    """The call whose draft the agent ended on (the last attempt); None when it made none."""
    return result.calls[-1] if result.calls else None


def _marker(result: AgentResult, section: str) -> str:
    if result.written_by[section] == "unavailable":
        reason = escape(result.unavailable)
        return f"_Rendered from the findings by code: model unavailable: {reason}._"
    return _MARKERS[result.written_by[section]]


def _section_block(heading: str, result: AgentResult, section: str) -> list[str]:
    """A section as published: heading, who wrote it, the text."""
    return [heading, "", _marker(result, section), "", result.sections[section], ""]


def _timings(context: RunContext) -> str:
    lines = ["| Stage | Seconds |", "|---|---:|"]
    lines += [
        f"| {stage} | {fixed_number(seconds)} |" for stage, seconds in context.stage_seconds.items()
    ]
    return "\n".join(lines)


def render_agent_report(result: AgentResult, context: RunContext, appendix: str = "") -> str:
    """One agent's report: the old system's skeleton, filled from the tables and guarded drafts."""
    persona = result.persona
    last = final_call(result)
    accepted = sum(call["guard_verdict"] == "accepted" for call in result.calls)
    parts = [
        f"# Agent {persona.agent} ({persona.name}) report, run {context.run}",
        "",
        f"- Agent type: {persona.name}",
        f"- Backend: {context.backend} ({escape(context.backend_note)})",
        f"- Model: {escape(context.model) or 'none asked'}",
        "- Configuration (scenario): "
        + (
            _options_text(result.options.to_ollama())
            if result.calls
            else "not sent, no model call in this run"
        ),
        f"- Options of the final call: "
        f"{_options_text(json.loads(last['options'])) if last else 'no call'}",
        f"- Scenario: {context.scenario}",
        f"- GPU: {context.gpu}",
        *([f"- Tables: {context.tables}"] if context.tables else []),
        "",
    ]
    for section in persona.sections:
        parts += _section_block(f"## {persona.title(section)}", result, section)
    if appendix:
        parts += [appendix.strip(), ""]
    parts += ["## Agent metrics", ""]
    if last is None:
        parts += [_no_call(result), ""]
    else:
        if last.get("cached"):
            parts += [CACHED, ""]
        parts += [
            "| Metric | Value |",
            "|---|---:|",
            *[
                f"| {label} ({unit}) | {fixed_number(last[key])} |"
                for key, label, unit in METRIC_LABELS
            ],
            f"| LLM calls (drafts) | {len(result.calls)} |",
            f"| Drafts accepted by the guard | {accepted} |",
            "",
        ]
    parts += [
        "## Workflow summary",
        "",
        _timings(context),
        "",
        f"Agent wall time: {fixed_number(result.wall_ms)} ms.",
        "",
    ]
    if result.pack is not None and result.pack.left_out:
        parts += [
            f"Findings left out to fit the context window: {len(result.pack.left_out)} "
            f"({', '.join(result.pack.left_out[:20])}"
            + (", ..." if len(result.pack.left_out) > 20 else "")
            + ").",
            "",
        ]
    rejected = [guard_finding(reason) for call in result.calls for reason in call["guard_reasons"]]
    if rejected:
        parts += [
            "## Why claims were rejected",
            "",
            "What the checks rejected, without the rejected text (tables/claims.parquet keeps it).",
            "",
        ]
        parts += [f"- {finding}" for finding in dict.fromkeys(rejected)]
        parts += [""]
    parts += ["## Persona prompt", "", "```text", persona.prompt.strip(), "```", ""]
    return "\n".join(parts)


def guard_finding(reason: str) -> str:
    """A guard reason without the draft's words or numbers: a rejected draft is never published,
    not even as a quote (a planted instruction or an invented figure stays out of the report)."""
    reason = re.split(r' \(in "|: "|, e\.g\. ', reason, maxsplit=1)[0]
    return re.sub(r"\d+(?:[.,]\d+)*", "N", reason)


def _delta(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "n/a"
    if a == 0:
        return f"{fixed_number(b - a)}"
    return f"{fixed_number(b - a)} ({signed_percent((b - a) / a * 100)})"


def demote_headings(markdown: str) -> str:
    """Nest a document under a section: every heading one level deeper."""
    return re.sub(r"^(#+) ", r"#\1 ", markdown, flags=re.MULTILINE)


def render_combined_report(
    a: AgentResult,
    b: AgentResult,
    context: RunContext,
    quality_summary: str,
    top_findings: str = "",
    coverage: str = "",
    findings: str = "",
    what_changed: str = "",
) -> str:
    """What changed since the last run and the top findings first; then the agents' sections,
    the coverage matrix, every finding and data quality; the report agents' own calls and
    concurrency last."""
    call_a, call_b = final_call(a), final_call(b)
    if call_a is None or call_b is None:
        side_by_side = [_no_call(a, b)]
    else:
        cached = [CACHED, ""] if call_a.get("cached") or call_b.get("cached") else []
        side_by_side = [
            *cached,
            "Figures of each agent's final LLM call; delta is B minus A. One call each, with "
            "its own prompt and reply length: the deltas describe these two calls, not which "
            "agent's options are faster (summary.md tests that over the runs).",
            "",
            "| Metric | Agent A | Agent B | Delta (B - A) |",
            "|---|---:|---:|---:|",
            *[
                f"| {label} ({unit}) | {fixed_number(call_a[key])} | {fixed_number(call_b[key])} | "
                f"{_delta(call_a[key], call_b[key])} |"
                for key, label, unit in METRIC_LABELS
            ],
        ]
    parts = [
        f"# Chimera Flows report, run {context.run}",
        "",
        f"- Scenario: {context.scenario}",
        f"- Backend: {context.backend} ({escape(context.backend_note)})",
        f"- Model: {escape(context.model) or 'none asked'}",
        f"- GPU: {context.gpu}",
        *([f"- Tables: {context.tables}"] if context.tables else []),
        *(_options_line(result) for result in (a, b)),
        "- Every call also caps its reply (num_predict) per persona, and each retry of a "
        "rejected draft lowers the temperature; tables/agent_calls.parquet has each call's "
        "options as sent.",
        "",
    ]
    # The benchmark first; the report agents' own LLM calls after it, for whoever tunes them.
    if what_changed:
        parts += [what_changed.strip(), ""]
    parts += [top_findings.strip(), "", "## The agents' analysis", ""]
    for result in (a, b):
        for section in result.persona.sections:
            heading = f"### Agent {result.persona.agent}: {result.persona.title(section)}"
            parts += _section_block(heading, result, section)
    parts += [
        coverage.strip(),
        "",
        findings.strip(),
        "",
        demote_headings(quality_summary.strip()),  # its "# Data quality" becomes a section
        "",
        "## Agents side by side",
        "",
        *side_by_side,
        "",
        "## Concurrency",
        "",
    ]
    if call_a is None or call_b is None:
        parts.append(_no_call(a, b))
    elif call_a.get("cached") and call_b.get("cached"):
        # This run's wall time is then the cache's read, not the agents' work.
        parts.append(
            f"- No model was asked in this run (both results reused), so its wall time of A and "
            f"B, {fixed_number(context.concurrent_wall_ms)} ms, is the cache's; in the run that "
            f"asked, A took {fixed_number(a.wall_ms)} ms and B {fixed_number(b.wall_ms)} ms."
        )
    elif context.concurrent_wall_ms is not None:
        parts.append(
            f"- Concurrent wall time of A and B: {fixed_number(context.concurrent_wall_ms)} ms"
        )
    concurrency = measured_concurrency(context.concurrent_wall_ms, context.sequential_wall_ms)
    if concurrency is not None:
        parts += [
            f"- Sequential wall time of A then B: {fixed_number(concurrency.sequential_ms)} ms",
            f"- Speedup (sequential / concurrent): {concurrency.speedup:.2f}x",
            f"- Efficiency (speedup / 2): {concurrency.efficiency * 100:.1f}%",
            f"- Contention: {'yes' if concurrency.contended else 'no'} (rule: {CONTENTION_RULE})",
        ]
    elif call_a is not None and call_b is not None:
        parts.append("- Sequential run not measured (use --measure-concurrency).")
    parts += [
        "",
        "## Workflow summary",
        "",
        _timings(context),
        "",
    ]
    return "\n".join(parts)
