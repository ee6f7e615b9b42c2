"""The two analyst personas: who they are, what they write, and how their reply is shaped.

In: nothing at import; a persona's methods take the FINDINGS frame. Out: per persona its prompt
(personas/*.md beside this module, so the prose can be edited without touching code), its
sections (title, the finding kinds a claim may cite, how code writes it when no claim passes),
its token cap, the JSON schema of its reply and its code-written fallback claims.
Everything that differs between the agents lives here; the code around them asks the persona.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import polars as pl

from tasks.agents import fallback
from tasks.agents.claims import CheckedClaim

AgentName = Literal["A", "B"]

MAX_CLAIMS = 3  # per section: more is a list the reader skims
# A sentence as the decoder may write it: a capital, then words without digits or markup, long
# enough to say something. Both backends turn the pattern into a grammar, so a tiny model
# cannot copy a finding's numbers; the guard still checks (a backend may ignore it).
SENTENCE_PATTERN = '^[A-Z][^0-9{}\\[\\]<>|#*`"\\\\]{24,240}$'


@dataclass(frozen=True)
class Section:
    """One section of a persona's report: what the model may write in it, and what code writes
    in it when none of the model's claims passes the guard."""

    key: str  # the JSON key the model writes
    title: str  # the report's heading
    cites: tuple[str, ...]  # the kinds of finding a claim in it may cite
    # Code's claims for it when none of the model's passes (a builder of tasks.agents.fallback):
    # from `fallback_kinds`, fewer than a claim may cite, the ones that lead such a section
    # (where the builder reads them), at most `fallback_limit`.
    fallback: Callable[[Section, pl.DataFrame], list[CheckedClaim]]
    fallback_kinds: tuple[str, ...] = ()
    fallback_limit: int = 6
    mitigation: bool = False  # each claim also says what to do about it (a table of two columns)
    numbered: bool = False  # its claims are an order of priority (a numbered list)

    def citable_ids(self, findings: pl.DataFrame) -> list[str]:
        """The ids of the findings a claim in this section may cite, in rank order."""
        chosen = findings.filter(pl.col("kind").is_in(self.cites))
        return chosen.sort("rank")["finding_id"].to_list()


@dataclass(frozen=True)
class Persona:
    """One analyst agent: its prompt, its sections, its token cap and the shape of its reply."""

    agent: AgentName
    name: str
    prompt_file: str
    outline: tuple[Section, ...]  # in report order
    # Replies are ~1.8 tokens per word; the cap leaves room for JSON punctuation and ids.
    max_tokens: int
    max_claims: int = MAX_CLAIMS  # per section
    sentence_pattern: str = SENTENCE_PATTERN  # of a claim's sentence and mitigation

    @property
    def prompt(self) -> str:
        return (
            resources.files("tasks.agents")
            .joinpath("personas", self.prompt_file)
            .read_text(encoding="utf-8")
        )

    @property
    def sections(self) -> tuple[str, ...]:
        """The JSON keys the model writes, in report order."""
        return tuple(section.key for section in self.outline)

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(section.title for section in self.outline)

    def section(self, key: str) -> Section:
        return self.outline[self.sections.index(key)]

    def title(self, key: str) -> str:
        return self.section(key).title

    @property
    def kinds(self) -> list[tuple[str, ...]]:
        """Per section, in order, the kinds of finding it may cite."""
        return [section.cites for section in self.outline]

    @property
    def wants_mitigation(self) -> bool:
        """Whether any of its sections asks each claim for a mitigation."""
        return any(section.mitigation for section in self.outline)

    def schema(self, findings: pl.DataFrame) -> dict:
        """JSON schema of a reply: per section, one to max_claims claims, each citing a finding
        of `findings` (the packed ones) of a kind the section may cite: the constrained decoder
        cannot pick another."""
        words = {"type": "string", "pattern": self.sentence_pattern}
        properties = {}
        for section in self.outline:
            ids = section.citable_ids(findings)
            finding = {"type": "string", "enum": ids} if ids else {"type": "string"}
            item = {"finding": finding, "sentence": words}
            if section.mitigation:
                item["mitigation"] = words
            properties[section.key] = {
                "type": "array",
                "items": {"type": "object", "properties": item, "required": list(item)},
                "minItems": 1,
                "maxItems": self.max_claims,
            }
        return {"type": "object", "properties": properties, "required": list(self.sections)}

    def fallback(self, findings: pl.DataFrame) -> dict[str, list[CheckedClaim]]:
        """Per section, the claims code writes from the findings (possibly none). From every
        finding, not the pack: code need not fit a context window."""
        return {section.key: section.fallback(section, findings) for section in self.outline}


DATA_COLLECTOR = Persona(
    agent="A",
    name="DataCollector",
    prompt_file="data_collector.md",
    max_tokens=450,
    outline=(
        # An inventory cites counts; code shows the inventory findings alone.
        Section(
            "data_inventory",
            "Data inventory",
            cites=("inventory", "data_quality"),
            fallback=fallback.statements,
            fallback_kinds=("inventory",),
            fallback_limit=8,
        ),
        Section(
            "coverage",
            "Coverage",
            cites=(
                "coverage_gap",
                "configuration",
                "inventory",
                "ranking",
                "new_configuration",
                "removed_configuration",
            ),
            fallback=fallback.statements,
            fallback_kinds=("coverage_gap", "configuration"),
        ),
        Section(
            "gaps",
            "Gaps",
            cites=("failure_cause", "coverage_gap", "data_quality", "outlier", "cold_start"),
            fallback=fallback.statements,
            fallback_kinds=("failure_cause", "data_quality", "coverage_gap"),
        ),
    ),
)

INSIGHT_AGENT = Persona(
    agent="B",
    name="InsightAgent",
    prompt_file="insight_agent.md",
    max_tokens=750,
    outline=(
        Section(
            "executive_summary",
            "Executive summary",
            cites=(
                "regression",
                "improvement",
                "ranking",
                "effect",
                "cold_start",
                "coverage_gap",
                "failure_cause",
                "data_quality",
            ),
            fallback=fallback.summary,
            fallback_kinds=("regression", "improvement", "ranking", "effect", "cold_start"),
            fallback_limit=4,
        ),
        # Code builds advice from every finding by its own rules (fallback.recommendations).
        Section(
            "recommendations",
            "Recommendations",
            cites=("ranking", "effect", "cold_start", "coverage_gap", "failure_cause"),
            fallback=fallback.recommendations,
            fallback_limit=MAX_CLAIMS,
            numbered=True,
        ),
        # A risk cites a failure or a gap; code shows those it knows a mitigation for.
        Section(
            "risks",
            "Risks and mitigations",
            cites=(
                "failure_cause",
                "coverage_gap",
                "cold_start",
                "outlier",
                "effect",
                "regression",
            ),
            fallback=fallback.risks,
            fallback_kinds=fallback.MITIGATED_KINDS,
            fallback_limit=MAX_CLAIMS,
            mitigation=True,
        ),
    ),
)

PERSONAS: dict[str, Persona] = {"A": DATA_COLLECTOR, "B": INSIGHT_AGENT}
