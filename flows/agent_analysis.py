"""The agent analysis flow: findings in, agents A and B run concurrently, their results out.

It is its own flow so that a team can deploy it to a `gpu` work pool and point the heavy part at
workers on GPU hosts; by default the main flow runs it in process as a subflow.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from prefect import flow

from tasks.agents.analyst import AgentResult
from tasks.agents.options import ModelOptions
from tasks.prefect_tasks import agent
from tasks.tables import read_table


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
) -> AgentPair:
    """1. Read the findings table.
    2. Run agents A and B concurrently, timing the pair.
    3. With measure_concurrency, run the same pair again one after the other, timing it too.
    """
    findings = read_table(Path(findings_path))
    if findings is None:
        raise FileNotFoundError(f"findings table not found: {findings_path}")

    def run_pair(concurrently: bool) -> tuple[AgentResult, AgentResult, float]:
        started = time.perf_counter()
        args = {
            "findings": findings,
            "backend": backend,
            "model": model,
            "max_retries": max_retries,
        }
        if concurrently:
            future_a = agent.submit("A", options=options_a, **args)
            future_b = agent.submit("B", options=options_b, **args)
            a, b = future_a.result(), future_b.result()
        else:
            a = agent("A", options=options_a, **args)
            b = agent("B", options=options_b, **args)
        return a, b, (time.perf_counter() - started) * 1000

    a, b, concurrent_ms = run_pair(concurrently=True)
    sequential_ms = run_pair(concurrently=False)[2] if measure_concurrency else None
    return AgentPair(a=a, b=b, concurrent_wall_ms=concurrent_ms, sequential_wall_ms=sequential_ms)
