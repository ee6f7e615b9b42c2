"""The two analyst personas: who they are, which facts they read and which sections they write.

The persona prose lives in personas/*.md beside this module, so it can be edited without touching
code; this module pairs it with the structure the report needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Literal

AgentName = Literal["A", "B"]


@dataclass(frozen=True)
class Persona:
    agent: AgentName
    name: str
    prompt_file: str
    sections: tuple[str, ...]  # JSON keys the model writes, in report order
    titles: tuple[str, ...]  # the report's heading for each section

    @property
    def prompt(self) -> str:
        return (
            resources.files("tasks.agents")
            .joinpath("personas", self.prompt_file)
            .read_text(encoding="utf-8")
        )

    def title(self, section: str) -> str:
        return self.titles[self.sections.index(section)]

    @property
    def kinds(self) -> list[tuple[str, ...]]:
        """Per section, in order, the kinds of finding it may cite (SECTION_KINDS)."""
        return [SECTION_KINDS[section] for section in self.sections]


# Which findings each section may cite: an inventory cites counts, a risk a failure or a gap.
SECTION_KINDS: dict[str, tuple[str, ...]] = {
    "data_inventory": ("inventory", "data_quality"),
    "coverage": (
        "coverage_gap",
        "configuration",
        "inventory",
        "ranking",
        "new_configuration",
        "removed_configuration",
    ),
    "gaps": ("failure_cause", "coverage_gap", "data_quality", "outlier", "cold_start"),
    "executive_summary": (
        "regression",
        "improvement",
        "ranking",
        "effect",
        "cold_start",
        "coverage_gap",
        "failure_cause",
        "data_quality",
    ),
    "recommendations": ("ranking", "effect", "cold_start", "coverage_gap", "failure_cause"),
    "risks": ("failure_cause", "coverage_gap", "cold_start", "outlier", "effect", "regression"),
}
# Which findings a section rendered by code (tasks.agents.fallback) shows when no claim of the
# model's passes: fewer than a claim may cite, the ones that lead such a section. Recommendations
# and risks are built from every finding by their own rules there.
FALLBACK_KINDS: dict[str, tuple[str, ...]] = {
    "data_inventory": ("inventory",),
    "coverage": ("coverage_gap", "configuration"),
    "gaps": ("failure_cause", "data_quality", "coverage_gap"),
    "executive_summary": ("regression", "improvement", "ranking", "effect", "cold_start"),
}


DATA_COLLECTOR = Persona(
    agent="A",
    name="DataCollector",
    prompt_file="data_collector.md",
    sections=("data_inventory", "coverage", "gaps"),
    titles=("Data inventory", "Coverage", "Gaps"),
)

INSIGHT_AGENT = Persona(
    agent="B",
    name="InsightAgent",
    prompt_file="insight_agent.md",
    sections=("executive_summary", "recommendations", "risks"),
    titles=("Executive summary", "Recommendations", "Risks and mitigations"),
)

PERSONAS: dict[str, Persona] = {"A": DATA_COLLECTOR, "B": INSIGHT_AGENT}
