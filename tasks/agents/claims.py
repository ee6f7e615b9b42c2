"""Claims: what an agent writes, read from its reply and rendered for the report.

A claim is a sentence in words that cites one finding. In: a model's JSON reply (the shape a
persona's schema asks for, tasks.agents.personas) or code's claims (tasks.agents.fallback). Out:
Claim and CheckedClaim values, and the published Markdown: the model writes the words; the
numbers and names come from the cited finding, inserted by code (`render_claim`). Whether a
claim may be published is the guard's to say (tasks.agents.guard.claims). Pure: no I/O.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tasks.markdown import (
    adaptive_number,
    escape,
    number_range,
    one_decimal,
    p_value,
    table,
)

if TYPE_CHECKING:  # personas imports this module for its types
    from tasks.agents.personas import Persona, Section

# Findings that compare levels of one dimension (models, an option's values): their evidence
# is the levels' medians and the test's result.
COMPARED_KINDS = ("ranking", "effect")


@dataclass(frozen=True)
class Claim:
    section: str
    finding_id: str
    sentence: str
    mitigation: str = ""  # in a section that asks for one (a risk): what to do about it


@dataclass(frozen=True)
class CheckedClaim:
    claim: Claim
    reasons: tuple[str, ...]  # why the guard rejects it; empty when accepted
    rendered: str  # the sentence with the finding's evidence, as published

    @property
    def accepted(self) -> bool:
        return not self.reasons


def claims_from_reply(persona: Persona, reply: str) -> list[Claim]:
    """The claims of a JSON reply, at most persona.max_claims per section of the persona;
    anything malformed is skipped."""
    match = re.search(r"\{.*\}", reply, flags=re.DOTALL)
    try:
        data = json.loads(match.group(0)) if match else {}
    except json.JSONDecodeError:
        data = {}
    if not isinstance(data, dict):
        return []
    claims = []
    for section in persona.sections:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for item in items[: persona.max_claims]:
            if not isinstance(item, dict):
                continue
            text = " ".join(str(item.get("sentence", "")).split())
            mitigation = " ".join(str(item.get("mitigation", "")).split())
            claims.append(Claim(section, str(item.get("finding", "")).strip(), text, mitigation))
    return claims


def evidence(finding: dict) -> str:
    """The numbers and names a claim about the finding is published with, from its columns."""
    kind, verdict, unit = finding["kind"], finding.get("verdict"), finding.get("unit") or ""
    levels = finding.get("levels") or []
    if kind in COMPARED_KINDS and levels:
        medians, counts = finding["level_medians"], finding["level_n"]
        scope = _scope(finding)
        if verdict == "significant":
            interval = (
                f" [95% CI {adaptive_number(finding['ci_low'])} to "
                f"{adaptive_number(finding['ci_high'])}]"
                if finding.get("ci_low") is not None
                else ""
            )
            return (
                f"{scope}{levels[0]}: median {adaptive_number(medians[0])} {unit}{interval}, "
                f"n={counts[0]}, against {levels[1]} {adaptive_number(medians[1])} {unit}, "
                f"n={counts[1]}; "
                f"Kruskal-Wallis {p_value(finding['p_value'])}"
                + (
                    f", the two alone Mann-Whitney {p_value(finding['p_top'])}"
                    if finding.get("p_top") is not None
                    else ""
                )
            )
        spread = f"{finding['subject']} medians {number_range(min(medians), max(medians))} {unit}"
        if verdict == "not testable":
            return f"{scope}{spread} over {len(levels)} levels, too few measurements to test"
        return (
            f"{scope}{spread}, a {one_decimal(finding['range_pct'] or 0)}% range over "
            f"{len(levels)} levels; "
            f"Kruskal-Wallis {p_value(finding['p_value'])}, n={finding['n']}"
        )
    return finding["statement"].rstrip(".")


def _scope(finding: dict) -> str:
    if finding["kind"] == "ranking":
        # The setup when the pile has several (each its own ranking, each its own best): two
        # "best" models side by side read as a contradiction without it.
        return f"{finding['config']}: " if finding.get("config") else ""
    parts = [p for p in (finding.get("experiment"), finding.get("model")) if p]
    if not parts:
        return ""
    where = finding.get("file") or parts[0].rpartition("/")[2]
    held = finding.get("config") if finding["kind"] == "effect" else None
    named = ", ".join(p for p in (where, finding.get("model"), held) if p)
    return f"{named}: "


def render_claim(claim: Claim, finding: dict) -> str:
    """The published text: the model's sentence, then the finding's evidence and id."""
    sentence = claim.sentence.rstrip(" .;:")
    return f"{sentence} ({evidence(finding)}; {finding['finding_id']})."


def render_section(section: Section, claims: list[CheckedClaim]) -> str:
    """A section's published Markdown from its accepted claims."""
    if not claims:
        return "No finding of this kind."
    if section.mitigation:
        rows = [(c.rendered, c.claim.mitigation.rstrip(".") + ".") for c in claims]
        return table(("Risk", "Mitigation"), rows)
    if section.numbered:
        return "\n".join(f"{i}. {escape(c.rendered)}" for i, c in enumerate(claims, 1))
    return "\n".join(f"- {escape(c.rendered)}" for c in claims)
