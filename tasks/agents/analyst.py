"""One analyst agent's turn: facts in, guarded sections and one agent_calls row per LLM call out.

draft -> guard -> (retry with a lower temperature) -> publish. A section is published as the model
wrote it only once it passed the guard; a section that never passes is rendered from the facts and
marked as such. Transport failures raise (Prefect retries them); guard failures never do.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field

import polars as pl

from tasks.agents.backends.base import ChatBackend, Completion
from tasks.agents.drafting import build_messages, response_schema, sections_from_reply
from tasks.agents.fallback import fallback_sections
from tasks.agents.guard import GuardPolicy, check_draft
from tasks.agents.options import ModelOptions
from tasks.agents.personas import Persona
from tasks.agents.telemetry import GpuReading, GpuSampler
from tasks.facts import FactsPack, pack_facts
from tasks.facts.pack import estimate_tokens

DEFAULT_NUM_CTX = 2048  # Ollama's default when num_ctx is not set
DEFAULT_TEMPERATURE = 0.8  # Ollama's default when temperature is not set
# Replies are ~1.8 tokens per word; the cap leaves room for JSON punctuation.
MAX_TOKENS = {"A": 450, "B": 750}


@dataclass(frozen=True)
class AgentResult:
    persona: Persona
    options: ModelOptions
    sections: dict[str, str]
    written_by: dict[str, str]  # section -> "model" | "facts" | "deferred" (no model call yet)
    calls: list[dict] = field(default_factory=list)  # agent_calls rows, without run and scenario
    pack: FactsPack | None = None
    wall_ms: float = 0.0


FACT_ID = re.compile(r"\bF\d{3}\b")
MIN_WORDS = {"item": 6, "cell": 3, "prose": 12}


def _words(text: str) -> int:
    return len(re.findall(r"[A-Za-z][A-Za-z'-]*", text))


def structure_problems(persona: Persona, sections: dict[str, str]) -> dict[str, str]:
    """Per section, what breaks the persona's shape: three recommendations, two risks, sentences
    rather than copied fact ids or scraps, and the persona's word limit overall."""
    problems: dict[str, list[str]] = {s: [] for s in persona.sections}
    for section, text in sections.items():
        if FACT_ID.search(text):
            problems[section].append("copies fact ids instead of writing sentences")
        if section == "recommendations":
            items = [re.sub(r"^\d+\.\s*", "", line) for line in text.splitlines() if line]
            if len(items) != 3:
                problems[section].append(f"expected 3 recommendations, got {len(items)}")
            if any(_words(item) < MIN_WORDS["item"] for item in items):
                problems[section].append("a recommendation is not a full sentence")
        elif section == "risks":
            rows = [line for line in text.splitlines()[2:] if line.startswith("| ")]
            if len(rows) < 2:
                problems[section].append(f"expected at least 2 risk rows, got {len(rows)}")
            cells = [cell for row in rows for cell in row.strip("| ").split(" | ")]
            if any(_words(cell) < MIN_WORDS["cell"] for cell in cells):
                problems[section].append("a risk or mitigation is not a phrase of 3 words or more")
        elif text and _words(text) < MIN_WORDS["prose"]:
            problems[section].append(f"fewer than {MIN_WORDS['prose']} words")
    total = sum(_words(text) for text in sections.values())
    if total > persona.max_words:
        problems[persona.sections[-1]].append(
            f"{total} words in all, over the limit of {persona.max_words}"
        )
    return {section: "; ".join(found) for section, found in problems.items() if found}


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
    facts: pl.DataFrame,
    options: ModelOptions,
    *,
    max_retries: int = 2,
    policy: GuardPolicy | None = None,
) -> AgentResult:
    """Draft the sections from the facts, guard them, retry, and fall back to the facts."""
    started = time.perf_counter()
    policy = policy or GuardPolicy()
    num_predict = options.num_predict or MAX_TOKENS[persona.agent]
    num_ctx = options.num_ctx or DEFAULT_NUM_CTX
    # The facts get what the context window has left after the persona and the reply.
    budget = num_ctx - estimate_tokens(persona.prompt) - num_predict - 96
    pack = pack_facts(facts, persona.topics, max(budget, 0))
    messages = build_messages(persona, pack)
    schema = response_schema(persona)

    published: dict[str, str] = {}
    calls: list[dict] = []
    previous_reply = None
    for attempt in range(max_retries + 1):
        # Only num_predict and temperature differ from what the scenario asked for.
        update: dict = {"num_predict": num_predict}
        if attempt:
            update["temperature"] = _temperature(options, attempt, max_retries)
        attempt_options = options.model_copy(update=update)
        with GpuSampler() as sampler:
            completion = backend.chat(messages, attempt_options, json_schema=schema)
        sections = sections_from_reply(persona, completion.text)
        problems = structure_problems(persona, sections)
        reasons: list[str] = []
        for section in persona.sections:
            verdict = check_draft({section: sections[section]}, pack.numbers, [section], policy)
            section_reasons = list(verdict.reasons)
            if section in problems:
                section_reasons.append(f"{section}: {problems[section]}")
            if section_reasons:
                reasons.extend(section_reasons)
            else:
                published.setdefault(section, sections[section])
        calls.append(_call_row(persona, attempt, completion, reasons, sampler.reading))
        # A repeated reply means a deterministic model (temperature 0): retrying cannot help.
        if len(published) == len(persona.sections) or completion.text == previous_reply:
            break
        previous_reply = completion.text

    fallback = fallback_sections(persona, facts)
    final = {s: published.get(s, fallback[s]) for s in persona.sections}
    written_by = {s: "model" if s in published else "facts" for s in persona.sections}
    return AgentResult(
        persona=persona,
        options=options,
        sections=final,
        written_by=written_by,
        calls=calls,
        pack=pack,
        wall_ms=(time.perf_counter() - started) * 1000,
    )


def deferred_result(persona: Persona, facts: pl.DataFrame, options: ModelOptions) -> AgentResult:
    """The persona's sections rendered from the facts without calling the model, for a run that
    leaves the analysis to a follow-up run (a quick refresh when new files land)."""
    return AgentResult(
        persona=persona,
        options=options,
        sections=fallback_sections(persona, facts),
        written_by=dict.fromkeys(persona.sections, "deferred"),
    )
