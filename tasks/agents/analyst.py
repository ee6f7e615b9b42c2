"""One analyst agent's turn: findings in, checked claims and one agent_calls row per LLM call out.

draft (tasks.agents.drafting, the persona's schema and token cap) -> check each claim (the guard,
tasks.agents.guard.claims) -> (retry with a lower temperature) -> publish.
A section is published as the model wrote it when at least one of its claims passed; a section
where none did is rendered from the findings by code (Persona.fallback) and marked as such.
Transport failures raise (Prefect retries them); rejected claims never do.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from tasks.agents.backends.base import ChatBackend, Completion
from tasks.agents.claims import CheckedClaim, claims_from_reply, render_section
from tasks.agents.drafting import build_messages, instructions
from tasks.agents.guard.claims import check_claims
from tasks.agents.options import ModelOptions
from tasks.agents.personas import Persona
from tasks.agents.telemetry import GpuReading, GpuSampler
from tasks.facts import FindingsPack, pack_findings
from tasks.facts.pack import estimate_tokens

DEFAULT_NUM_CTX = 2048  # Ollama's default when num_ctx is not set
DEFAULT_TEMPERATURE = 0.8  # Ollama's default when temperature is not set


@dataclass(frozen=True)
class AgentResult:
    persona: Persona
    options: ModelOptions
    sections: dict[str, str]
    # section -> "model" | "findings" | "deferred" (no model call yet) | "off" | "unavailable"
    written_by: dict[str, str]
    claims: dict[str, list[CheckedClaim]] = field(default_factory=dict)  # published, per section
    rejected: list[CheckedClaim] = field(default_factory=list)  # the model's, with reasons
    calls: list[dict] = field(default_factory=list)  # agent_calls rows, without run and scenario
    pack: FindingsPack | None = None
    wall_ms: float = 0.0
    unavailable: str | None = None  # why the model could not be asked, when it could not

    def claim_rows(self) -> list[dict]:
        """One row per claim, published or rejected (tables/claims.parquet, without run)."""
        rows = []
        for section, claims in self.claims.items():
            for claim in claims:
                rows.append(self._row(claim, section, self.written_by[section]))
        rows += [self._row(c, c.claim.section, "model") for c in self.rejected]
        return rows

    def _row(self, checked: CheckedClaim, section: str, written_by: str) -> dict:
        return {
            "agent": self.persona.agent,
            "section": section,
            "finding_id": checked.claim.finding_id,
            "sentence": checked.claim.sentence,
            "mitigation": checked.claim.mitigation or None,
            "rendered": checked.rendered,
            "written_by": "model" if written_by == "model" else "findings",
            "published": checked.accepted,
            "reasons": list(checked.reasons),
        }


def _temperature(options: ModelOptions, attempt: int, max_retries: int) -> float:
    start = DEFAULT_TEMPERATURE if options.temperature is None else options.temperature
    return round(start * (1 - attempt / (max_retries + 1)), 3)


def _call_row(
    persona: Persona,
    attempt: int,
    completion: Completion,
    verdict_reasons: list[str],
    gpu: GpuReading,
) -> dict:
    return {
        "agent": persona.agent,
        "persona": persona.name,
        "attempt": attempt,
        "cached": False,
        "backend": completion.backend,
        "model": completion.model,
        "options": json.dumps(completion.options, sort_keys=True),
        "ttft_ms": completion.ttft_ms,
        "tokens_per_s": completion.tokens_per_s,
        "eval_count": completion.eval_count,
        "prompt_eval_count": completion.prompt_eval_count,
        "load_ms": completion.load_ms,
        "prompt_eval_ms": completion.prompt_eval_ms,
        "eval_ms": completion.eval_ms,
        "total_ms": completion.total_ms,
        "done_reason": completion.done_reason,
        "guard_verdict": "rejected" if verdict_reasons else "accepted",
        "guard_reasons": verdict_reasons,
        "gpu_util_pct": gpu.util_pct,
        "gpu_mem_used_mb": gpu.mem_used_mb,
        "gpu_power_w": gpu.power_w,
    }


def run_agent(
    backend: ChatBackend,
    persona: Persona,
    findings: pl.DataFrame,
    options: ModelOptions,
    *,
    max_retries: int = 2,
    on_draft: Callable[[int, int], None] | None = None,
) -> AgentResult:
    """Draft claims from the findings, check them, retry, and fall back to the findings.
    `on_draft(draft, most)` is told as each draft begins (1-based, of at most max_retries + 1)."""
    started = time.perf_counter()
    num_predict = options.num_predict or persona.max_tokens
    num_ctx = options.num_ctx or DEFAULT_NUM_CTX
    # The findings get what the context window has left after the persona and the reply.
    budget = num_ctx - estimate_tokens(persona.prompt) - num_predict - 160
    pack = pack_findings(findings, persona.kinds, max(budget, 0))
    messages = build_messages(persona, pack)
    schema = persona.schema(pack.findings)

    published: dict[str, list[CheckedClaim]] = {}
    rejected: list[CheckedClaim] = []
    calls: list[dict] = []
    previous_reply = None
    for attempt in range(max_retries + 1):
        # Only num_predict and temperature differ from what the scenario asked for.
        update: dict = {"num_predict": num_predict}
        if attempt:
            update["temperature"] = _temperature(options, attempt, max_retries)
        attempt_options = options.model_copy(update=update)
        if on_draft is not None:
            on_draft(attempt + 1, max_retries + 1)
        with GpuSampler() as sampler:
            completion = backend.chat(messages, attempt_options, json_schema=schema)
        checked = check_claims(
            claims_from_reply(persona, completion.text),
            pack.findings,
            persona.outline,
            instructions(persona),
        )
        reasons: list[str] = []
        for section in persona.sections:
            claims = checked.checked.get(section, [])
            if not claims:
                reasons.append(f"{section}: no claim")
            for claim in claims:
                if not claim.accepted:
                    rejected.append(claim)
                    reasons += [f"{section}: {r}" for r in claim.reasons]
            accepted = checked.accepted(section)
            if accepted and section not in published:
                published[section] = accepted
        calls.append(_call_row(persona, attempt, completion, reasons, sampler.reading))
        # A repeated reply means a deterministic model (temperature 0): retrying cannot help.
        if len(published) == len(persona.sections) or completion.text == previous_reply:
            break
        previous_reply = completion.text

    # From every finding, not the pack: the fallback is code and need not fit a context window
    # (a recommendation's caveat on output quality rests on a gap the pack may have left out).
    fallback = persona.fallback(findings)
    claims = {s: published.get(s) or fallback[s] for s in persona.sections}
    written_by = {s: "model" if s in published else "findings" for s in persona.sections}
    return AgentResult(
        persona=persona,
        options=options,
        sections={s.key: render_section(s, claims[s.key]) for s in persona.outline},
        written_by=written_by,
        claims=claims,
        rejected=rejected,
        calls=calls,
        pack=pack,
        wall_ms=(time.perf_counter() - started) * 1000,
    )


def deferred_result(
    persona: Persona,
    findings: pl.DataFrame,
    options: ModelOptions,
    unavailable: str | None = None,
    agents_off: bool = False,
) -> AgentResult:
    """The persona's sections rendered from the findings without calling the model: for a run
    that leaves the analysis to a follow-up run (a quick refresh when new files land), with
    `agents_off` for a run that asks no model at all, or, with `unavailable`, because the
    backend failed after its retries."""
    pack = pack_findings(findings, persona.kinds, 10**9)
    claims = persona.fallback(findings)
    return AgentResult(
        persona=persona,
        options=options,
        sections={s.key: render_section(s, claims[s.key]) for s in persona.outline},
        written_by=dict.fromkeys(
            persona.sections,
            "unavailable" if unavailable else "off" if agents_off else "deferred",
        ),
        claims=claims,
        pack=pack,
        unavailable=unavailable,
    )
