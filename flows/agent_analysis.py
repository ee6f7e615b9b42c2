"""The agent analysis flow: findings in, agents A and B run concurrently, their results out.

It is its own flow so that a team can deploy it to a `gpu` work pool and point the heavy part at
workers on GPU hosts; by default the main flow runs it in process as a subflow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

from prefect import flow
from prefect.cache_policies import NO_CACHE
from prefect.states import State

from tasks.agents.analyst import AgentResult
from tasks.agents.options import ModelOptions
from tasks.prefect_tasks import agent
from tasks.progress import report_progress
from tasks.tables import content_hash, read_table


@dataclass(frozen=True)
class AgentPair:
    a: AgentResult
    b: AgentResult
    concurrent_wall_ms: float | None  # None: no model call (agents deferred to a follow-up run)
    sequential_wall_ms: float | None


# Results persist so that a parent running this flow through run_deployment on another worker
# can read the AgentPair back.
@flow(name="agent-analysis", persist_result=True)
def agent_analysis(
    findings_path: str,
    options_a: ModelOptions,
    options_b: ModelOptions,
    backend: str = "embedded",
    model: str | None = None,
    max_retries: int = 2,
    measure_concurrency: bool = False,
    run: int = 1,
) -> AgentPair:
    """1. Read the findings table.
    2. Run agents A and B concurrently, timing the pair. An agent whose findings, persona,
       options, model and run are those of an earlier run reuses its result (Prefect's cache;
       its calls say `cached`), unless the concurrency is measured, which needs fresh calls.
    3. With measure_concurrency, run the same pair again one after the other, timing it too.
    """
    findings = read_table(Path(findings_path))
    if findings is None:
        raise FileNotFoundError(f"findings table not found: {findings_path}")
    agent_task = agent.with_options(cache_policy=NO_CACHE) if measure_concurrency else agent
    args = {
        "findings": findings,
        "backend": backend,
        "model": model,
        "max_retries": max_retries,
        "findings_sha256": content_hash(Path(findings_path)),
        "run": run,
    }

    def run_pair(concurrently: bool) -> tuple[AgentResult, AgentResult, float]:
        started = time.perf_counter()
        if concurrently:
            future_a = agent_task.submit("A", options=options_a, **args)
            future_b = agent_task.submit("B", options=options_b, **args)
            a = _marked(future_a.result(), future_a.state)
            b = _marked(future_b.result(), future_b.state)
        else:
            state_a = agent_task("A", options=options_a, return_state=True, **args)
            state_b = agent_task("B", options=options_b, return_state=True, **args)
            a, b = _marked(state_a.result(), state_a), _marked(state_b.result(), state_b)
        return a, b, (time.perf_counter() - started) * 1000

    a, b, concurrent_ms = run_pair(concurrently=True)
    sequential_ms = run_pair(concurrently=False)[2] if measure_concurrency else None
    return AgentPair(a=a, b=b, concurrent_wall_ms=concurrent_ms, sequential_wall_ms=sequential_ms)


def _marked(result: AgentResult, state: State) -> AgentResult:
    """The result, its calls marked `cached` when Prefect answered from its cache."""
    if state.name != "Cached":
        return result
    agent_name = result.persona.agent
    report_progress(
        f"agent {agent_name}",
        1,
        1,
        "agent %s: reused from an earlier run, no model asked",
        agent_name,
    )
    return replace(result, calls=[{**call, "cached": True} for call in result.calls])
