"""Sections rendered from the findings by code, for when no claim of the model's passes.

In: a persona and the FINDINGS frame (the agent's pack). Out: per section, the claims it makes:
each a finding's own statement, or a recommendation built from a finding's kind and verdict, so
every number traces to a finding and every comparative word agrees with it by construction.
"""

from __future__ import annotations

import polars as pl

from tasks.agents.claims import MAX_CLAIMS, CheckedClaim, Claim, evidence
from tasks.agents.personas import FALLBACK_KINDS, Persona
from tasks.facts.evidence import MIN_REPETITIONS
from tasks.facts.findings import metric_words

# A summary leads with what was tested, then what could not be.
_SUMMARY_VERDICTS = ("significant", "no measurable difference", "differs", None)
_MAX_INVENTORY = 8


def _statement_claim(section: str, finding: dict) -> CheckedClaim:
    claim = Claim(section, finding["finding_id"], finding["statement"])
    return CheckedClaim(claim, (), f"{finding['statement']} ({finding['finding_id']})")


def _rows(findings: pl.DataFrame, kinds: tuple[str, ...]) -> list[dict]:
    return findings.filter(pl.col("kind").is_in(kinds)).sort("rank").to_dicts()


def _summary(findings: pl.DataFrame) -> list[dict]:
    rows = _rows(findings, FALLBACK_KINDS["executive_summary"])
    order = {v: i for i, v in enumerate(_SUMMARY_VERDICTS)}
    return sorted(rows, key=lambda r: (order.get(r["verdict"], len(order)), r["rank"]))[:4]


def _advice(section: str, finding: dict, words: str) -> CheckedClaim:
    claim = Claim(section, finding["finding_id"], words)
    return CheckedClaim(claim, (), f"{words} ({evidence(finding)}; {finding['finding_id']}).")


def _recommendations(findings: pl.DataFrame) -> list[CheckedClaim]:
    """One per concern, each resting on a finding: what to choose, what not to tune, what to
    measure next."""
    rows = findings.to_dicts()
    chosen: list[CheckedClaim] = []
    best = next(
        (r for r in rows if r["kind"] in ("ranking", "effect") and r["verdict"] == "significant"),
        None,
    )
    if best:
        # Speed alone does not choose a model or a quantization: say what is unmeasured.
        unmeasured = any(r["subject"] == "output quality" for r in rows)
        caveat = "; no file measures output quality, so compare their answers first"
        chosen.append(
            _advice(
                "recommendations",
                best,
                f"Where {metric_words(best['metric'])} matters, choose {best['levels'][0]} over "
                f"{best['levels'][1]}" + (caveat if unmeasured else ""),
            )
        )
    same = next((r for r in rows if r["verdict"] == "no measurable difference"), None)
    if same:
        chosen.append(
            _advice(
                "recommendations",
                same,
                f"Set {same['subject']} for memory or context needs rather than speed, since it "
                f"makes no measurable difference to {metric_words(same['metric'])}",
            )
        )
    load = next((r for r in rows if r["kind"] == "cold_start"), None)
    if load:
        chosen.append(
            _advice(
                "recommendations",
                load,
                "Warm each model up and record its load time apart from the time to first token "
                "before comparing settings on it",
            )
        )
    repetitions = next((r for r in rows if r["subject"] == "repetitions"), None)
    if repetitions and len(chosen) < MAX_CLAIMS:
        chosen.append(
            _advice(
                "recommendations",
                repetitions,
                f"Repeat each configuration at least {MIN_REPETITIONS} times so that its "
                "differences can be tested",
            )
        )
    return chosen[:MAX_CLAIMS]


_MITIGATIONS = {
    "failure_cause": "Check that the server is running at the address the client uses before "
    "a sweep, and re-run the failed records",
    "coverage_gap": "Add the missing measurement to the next sweep",
    "cold_start": "Warm the model up before measuring and report first calls apart",
    "outlier": "Re-run that configuration and check the machine's load at the time",
}


def _risks(findings: pl.DataFrame) -> list[CheckedClaim]:
    rows = _rows(findings, ("failure_cause", "coverage_gap", "cold_start", "outlier"))[:MAX_CLAIMS]
    risks = []
    for finding in rows:
        claim = Claim(
            "risks", finding["finding_id"], finding["statement"], _MITIGATIONS[finding["kind"]]
        )
        rendered = f"{finding['statement']} ({finding['finding_id']})"
        risks.append(CheckedClaim(claim, (), rendered))
    return risks


def fallback_claims(persona: Persona, findings: pl.DataFrame) -> dict[str, list[CheckedClaim]]:
    """Per section of the persona, the claims rendered by code (possibly none)."""
    claims: dict[str, list[CheckedClaim]] = {}
    for section in persona.sections:
        if section == "recommendations":
            claims[section] = _recommendations(findings)
        elif section == "risks":
            claims[section] = _risks(findings)
        elif section == "executive_summary":
            claims[section] = [_statement_claim(section, r) for r in _summary(findings)]
        else:
            limit = _MAX_INVENTORY if section == "data_inventory" else 6
            rows = _rows(findings, FALLBACK_KINDS[section])[:limit]
            claims[section] = [_statement_claim(section, r) for r in rows]
    return claims
