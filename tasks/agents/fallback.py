"""Sections rendered from the findings by code, for when no claim of the model's passes.

In: a persona's Section (its key, fallback kinds and limit) and the FINDINGS frame. Out: the
claims code makes for it: each a finding's own statement, or a recommendation built from a
finding's kind and verdict, so every number traces to a finding and every comparative word
agrees with it by construction. Each Section names its builder (tasks.agents.personas);
Persona.fallback calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from tasks.agents.claims import CheckedClaim, Claim, evidence
from tasks.facts.evidence import MIN_REPETITIONS
from tasks.facts.findings import WORKLOAD_DIMENSIONS, metric_words, shift_within_noise

if TYPE_CHECKING:  # personas imports this module for its builders
    from tasks.agents.personas import Section

# A summary leads with what was tested, then what could not be.
_SUMMARY_VERDICTS = ("significant", "no measurable difference", "differs", None)


def _statement_claim(section: str, finding: dict) -> CheckedClaim:
    claim = Claim(section, finding["finding_id"], finding["statement"])
    return CheckedClaim(claim, (), f"{finding['statement']} ({finding['finding_id']})")


def _rows(findings: pl.DataFrame, kinds: tuple[str, ...]) -> list[dict]:
    return findings.filter(pl.col("kind").is_in(kinds)).sort("rank").to_dicts()


def statements(section: Section, findings: pl.DataFrame) -> list[CheckedClaim]:
    """The section's fallback kinds' own statements, most important first."""
    rows = _rows(findings, section.fallback_kinds)[: section.fallback_limit]
    return [_statement_claim(section.key, r) for r in rows]


def summary(section: Section, findings: pl.DataFrame) -> list[CheckedClaim]:
    """Statements as `statements`, but what was tested first, then what could not be."""
    rows = _rows(findings, section.fallback_kinds)
    order = {v: i for i, v in enumerate(_SUMMARY_VERDICTS)}
    rows = sorted(rows, key=lambda r: (order.get(r["verdict"], len(order)), r["rank"]))
    return [_statement_claim(section.key, r) for r in rows[: section.fallback_limit]]


def _advice(section: str, finding: dict, words: str) -> CheckedClaim:
    claim = Claim(section, finding["finding_id"], words)
    return CheckedClaim(claim, (), f"{words} ({evidence(finding)}; {finding['finding_id']}).")


def recommendations(section: Section, findings: pl.DataFrame) -> list[CheckedClaim]:
    """One per concern, each resting on a finding of any kind: what to choose, what not to
    tune, what to measure next."""
    rows = findings.to_dicts()
    limit = section.fallback_limit
    chosen: list[CheckedClaim] = []
    # A comparison within one file first: one harness on one machine, where only the compared
    # setting differs; a ranking across files may also compare the files' machines.
    choices = [
        r
        for r in rows
        if r["kind"] in ("ranking", "effect")
        and r["verdict"] == "significant"
        and r["subject"] not in WORKLOAD_DIMENSIONS
    ]
    best = min(choices, key=lambda r: r["kind"] != "effect", default=None)
    if best:
        # Speed alone does not choose a model or a quantization: say what is unmeasured.
        gap = next((r for r in rows if r["subject"] == "output quality"), None)
        unmeasured = gap is not None
        caveat = (
            f"; {'no' if gap and gap['value'] == gap['n'] else 'not every'} file that measures "
            "speed records output quality beside it, so compare their answers first"
        )
        chosen.append(
            _advice(
                section.key,
                best,
                f"Where {metric_words(best['metric'])} matters, choose {best['levels'][0]} over "
                f"{best['levels'][1]}" + (caveat if unmeasured else ""),
            )
        )
    # A clean null first: one whose test detects no shift at all.
    nulls = [r for r in rows if r["verdict"] == "no measurable difference"]
    same = min(nulls, key=shift_within_noise, default=None)
    if same:
        what = metric_words(same["metric"])
        effect = (
            f"its effect on {what} is within the noise"
            if shift_within_noise(same)
            else f"it makes no measurable difference to {what}"
        )
        chosen.append(
            _advice(
                section.key,
                same,
                # For the model it was measured on: another model's may differ.
                f"Set {same['subject']} for memory or context needs rather than speed"
                + (f" on {same['model']}" if same.get("model") else "")
                + f", since {effect}",
            )
        )
    load = next((r for r in rows if r["kind"] == "cold_start"), None)
    if load:
        chosen.append(
            _advice(
                section.key,
                load,
                # the files record the load already: that is how the finding knows
                "Compare settings on the prompt evaluation time rather than the time to first "
                "token, which the load time dominates"
                if load.get("subject") == "load share"
                else "Warm the model up after each change of setting and before measuring, and "
                "report first calls apart",
            )
        )
    repetitions = next((r for r in rows if r["subject"] == "repetitions"), None)
    if repetitions and len(chosen) < limit:
        chosen.append(
            _advice(
                section.key,
                repetitions,
                f"Repeat each configuration at least {MIN_REPETITIONS} times so that its "
                "differences can be tested",
            )
        )
    return chosen[:limit]


# What to do about a risk of each kind; a risk code writes is one of these kinds.
_MITIGATIONS = {
    "failure_cause": "Check that the server is running at the address the client uses before "
    "a sweep, and re-run the failed records",
    "coverage_gap": "Add the missing measurement to the next sweep",
    "cold_start": "Warm the model up before measuring and report first calls apart",
    "outlier": "Re-run that configuration and check the machine's load at the time",
}
# Where a kind's finding needs other words: a load that dominates TTFT on warm calls is not
# cured by warming up; a configuration measured once needs repeating, not a new measurement.
_SUBJECT_MITIGATIONS = {
    ("cold_start", "load share"): "Compare the prompt evaluation time, which the files "
    "record, rather than the time to first token",
    ("cold_start", "model reload"): "Warm the model up after each change of setting, before "
    "measuring",
    ("coverage_gap", "repetitions"): "Repeat each configuration at least three times in the "
    "next sweep",
}
MITIGATED_KINDS = tuple(_MITIGATIONS)


def _mitigation(finding: dict) -> str:
    kind = finding["kind"]
    return _SUBJECT_MITIGATIONS.get((kind, finding.get("subject")), _MITIGATIONS[kind])


def risks(section: Section, findings: pl.DataFrame) -> list[CheckedClaim]:
    """The section's fallback kinds' statements, each with the mitigation for its kind."""
    rows = _rows(findings, section.fallback_kinds)[: section.fallback_limit]
    claims = []
    for finding in rows:
        mitigation = _mitigation(finding)
        claim = Claim(section.key, finding["finding_id"], finding["statement"], mitigation)
        rendered = f"{finding['statement']} ({finding['finding_id']})"
        claims.append(CheckedClaim(claim, (), rendered))
    return claims
