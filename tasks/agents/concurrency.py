"""Agents A and B run together against one after the other: speedup, efficiency, contention.

In: the wall time of the pair run concurrently and of the same pair run sequentially (both
measured by flows/agent_analysis.py). Out: the figures the combined report states, and a
contention flag with its rule spelled out, so a reader can check the verdict from the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

AGENTS = 2  # a perfect overlap of A and B halves the wall time
# Contention when running together buys less than half of the ideal gain: a speedup under 1.5x.
# Below that, A and B mostly wait on the same cores, GPU or memory bandwidth.
CONTENDED_BELOW_EFFICIENCY = 0.75
CONTENTION_RULE = (
    f"yes when the efficiency is below {CONTENDED_BELOW_EFFICIENCY:.0%}, i.e. A and B together "
    f"are less than {CONTENDED_BELOW_EFFICIENCY * AGENTS:g}x as fast as one after the other"
)


@dataclass(frozen=True)
class Concurrency:
    concurrent_ms: float
    sequential_ms: float

    @property
    def speedup(self) -> float:
        """Sequential wall time over concurrent wall time."""
        return self.sequential_ms / self.concurrent_ms

    @property
    def efficiency(self) -> float:
        """Speedup over the number of agents: 1.0 is a perfect overlap."""
        return self.speedup / AGENTS

    @property
    def contended(self) -> bool:
        return self.efficiency < CONTENDED_BELOW_EFFICIENCY


def measured_concurrency(
    concurrent_ms: float | None, sequential_ms: float | None
) -> Concurrency | None:
    """The figures when both wall times were measured (sequential only with
    --measure-concurrency); None otherwise."""
    if not concurrent_ms or sequential_ms is None:
        return None
    return Concurrency(concurrent_ms=concurrent_ms, sequential_ms=sequential_ms)
