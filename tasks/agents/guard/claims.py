"""May a claim be published? The guard's rules for an agent's claims.

In: claims (tasks.agents.claims.Claim), the FINDINGS frame of the agent's pack, the persona's
sections (which kinds each may cite, whether it asks for a mitigation), the instructions the
model was given and a GuardPolicy. Out: per section, each claim with the reasons it is rejected
(none when it is published) and its rendered text. A claim is published only when
- it cites a finding of the agent's pack, of a kind its section may cite, once per section;
- its sentence has no digit (a number the model writes is one it may have invented) and is
  clean English of at least GuardPolicy.min_claim_words words that does not repeat the
  instructions;
- its comparative words agree with the finding: "fastest", "best" or "prefer" need a finding whose
  best level is significantly ahead; "faster", "improves" or "higher" need a finding that tested
  a difference (or a cold start or outlier, which are differences); "no difference", "similar"
  or "negligible" need one that found no measurable difference (and only "negligible", "within
  the noise" or "similar" where its test detected a shift within the noise);
- the metric it speaks of ("throughput", "time to first token") is the finding's, and a model
  family it names ("Gemma") is one the finding is about, the best one for a superlative;
- its mitigation, where its section asks for one, passes the same text and wording checks.
A rejected claim is dropped with its reasons; a section with no claim left is rendered from the
findings by code (Persona.fallback). Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from tasks.agents.claims import COMPARED_KINDS, CheckedClaim, Claim, render_claim
from tasks.agents.guard.language import language_problems
from tasks.agents.guard.policy import GuardPolicy
from tasks.facts.findings import shift_within_noise

if TYPE_CHECKING:  # the guard reads a section's rules, it builds none
    from tasks.agents.personas import Section

_POLICY = GuardPolicy()

_SUPERLATIVE = re.compile(
    r"\b(fastest|quickest|best|top|leads?|leading|winner|wins|optimal|ideal|prefer(?:red|able)?|"
    r"recommended|outperforms?)\b",
    re.I,
)
_NEGATIVE_SUPERLATIVE = re.compile(r"\b(slowest|worst)\b", re.I)
_HIGHEST_LOWEST = re.compile(r"\b(highest|lowest)\b", re.I)
_COMPARATIVE = re.compile(
    r"\b(faster|slower|quicker|better|worse|higher|lower|ahead|behind|improv\w*|degrad\w*|"
    r"boost\w*|speeds? up|slows? down|increas\w*|decreas\w*|reduc\w*|beats?|more than|"
    r"less than|exceeds?|outperform\w*|underperform\w*|dominat\w*)\b",
    re.I,
)
# What stays true of a shift the test detects but that is within the run-to-run spread, where
# "no difference" or "unaffected" would not.
_WITHIN_NOISE = re.compile(
    r"\b(negligible|within (?:the )?noise|little (?:effect|impact|difference)|similar|"
    r"comparable)\b",
    re.I,
)
_NO_DIFFERENCE = re.compile(
    r"\b(no (?:\w+ )?(?:difference|effect|impact)|"
    r"similar|comparable|same|negligible|within (?:the )?noise|indistinguishable|equivalent|"
    r"identical|insignificant|(?:does|do)(?: not|n't) (?:matter|change|affect)|unaffected|"
    r"(?:does|do)(?: not|n't) make (?:any |a )?(?:\w+ )?difference|"
    r"little (?:effect|impact|difference))\b",
    re.I,
)
_METRIC_WORDS = {
    "throughput_tok_s": r"throughput|tokens per second|generation speed|decode speed",
    "e2e_throughput_tok_s": r"throughput|tokens per second|end-to-end",
    "ttft_ms": r"time to first token|first token|ttft|latency|responsiveness",
    "e2e_latency_ms": r"end-to-end|latency",
    "itl_ms": r"inter-token|latency",
    "tpot_ms": r"per output token|latency",
    "e2e_per_token_ms": r"per output token|end-to-end|latency",
    "load_ms": r"load(?:ing)? times?|loading|loads?",
}
# What a comparison is about, in the words a sentence would use for it: a claim that ranks
# ("best", "faster") must name the compared dimension ("Llama is the best model" is no claim
# about quantization levels).
_SUBJECT_WORDS = {
    "model": r"models?",
    "quantization": r"quanti[sz]\w*|precision|bits?|q4|q5|q8",
    "num_gpu": r"gpu|layers?|offload\w*",
    "num_ctx": r"context|ctx|window",
    "temperature": r"temperature|sampling",
    "backend": r"backends?|compil\w*|runtimes?|engines?",
    "concurrency": r"concurren\w*|parallel\w*|load levels?|users?",
    "input_tokens": r"input|prompt",
    "output_tokens": r"output",
    "config": r"configurations?|settings?|setups?",
}
# Talk about the report or the reader instead of the data.
_META = re.compile(
    r"\b(we|us|our|you|your|i|my|(?:this|the|that) (?:finding|report|analysis|fact))\b", re.I
)
# Words that say nothing about a finding in particular (the pile's own vocabulary, and the
# quantifiers, connectives and auxiliaries of any sentence): they neither count as shared with
# a finding nor have to be its words.
_GENERIC_WORDS = (
    "many several multiple most some single only each every both also clear clearly "
    "gives give shows show makes make made does done were been being have having into onto "
    "than then that this these those there their they them with within without while which "
    "what when where whether because since however although across between among about above "
    "below under over after before during other another same such very much more less least "
    "about above after again also analysis benchmark benchmarks between could data does each "
    "every finding findings from have into more most much other over report results "
    "should show shows some such than that their there these they this those under very were "
    "what when which while with would measured measurements measurement model models value "
    "values time number"
)
_GENERIC = frozenset(_GENERIC_WORDS.split())
_NEGATION = re.compile(r"\b(not|no|never|none|nothing|neither|nor|cannot)\b|n't\b", re.I)
# Counts in words; "one" only where the finding's own words say "one" ("One model gives...").
_NUMBER_WORDS = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    r"hundreds?|thousands?|millions?|dozens?|half|twice|double|triple|quarter|thirds?)\b",
    re.I,
)
# A change since earlier runs (tasks.history) is a tested difference too.
_DIFFERENCE_KINDS = ("cold_start", "outlier", "regression", "improvement")


@dataclass
class SectionClaims:
    """Per section, the claims an agent's reply made, checked."""

    checked: dict[str, list[CheckedClaim]] = field(default_factory=dict)

    def accepted(self, section: str) -> list[CheckedClaim]:
        return [c for c in self.checked.get(section, []) if c.accepted]


def _families(names: list[str]) -> set[str]:
    """The letter words of model names: "gemma3:270m-instruct" -> {"gemma", "instruct"}."""
    words = set()
    for name in names:
        head = re.split(r"[:/]", name)[0]
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", head)}
    return words


def _finding_names(finding: dict) -> list[str]:
    """The models a finding is about: its scope's, and its levels when it compares models
    (a level "num_gpu=80" names no model family)."""
    models = finding.get("levels") if finding.get("subject") in ("model", "quantization") else []
    return [n for n in [finding.get("model"), *(models or [])] if n]


def wording_problems(sentence: str, finding: dict, pack_names: list[str]) -> list[str]:
    """Where the sentence's words disagree with the finding (see the module docstring)."""
    problems = []
    kind, verdict = finding["kind"], finding.get("verdict")
    compared = kind in COMPARED_KINDS
    direction = finding.get("direction")
    superlative = _SUPERLATIVE.search(sentence) or _NEGATIVE_SUPERLATIVE.search(sentence)
    extreme = _HIGHEST_LOWEST.search(sentence)
    if (superlative or extreme) and not (compared and verdict == "significant"):
        word = (superlative or extreme).group(0)
        problems.append(f'"{word}" needs a finding with a significant best; {_what(finding)}')
    comparative = _COMPARATIVE.search(sentence)
    if comparative and not (
        (compared and verdict in ("significant", "differs")) or kind in _DIFFERENCE_KINDS
    ):
        problems.append(f'"{comparative.group(0)}" needs a tested difference; {_what(finding)}')
    null = _NO_DIFFERENCE.search(sentence)
    if null and verdict != "no measurable difference":
        problems.append(f'"{null.group(0)}" needs a finding of no measurable difference')
    elif null and shift_within_noise(finding) and not _WITHIN_NOISE.search(sentence):
        problems.append(
            f'"{null.group(0)}": the test detects a shift, only within the noise; '
            'say "negligible" or "within the noise"'
        )
    metric = finding.get("metric")
    if (superlative or extreme or comparative or null) and compared:
        subject = finding.get("subject") or ""
        words = _SUBJECT_WORDS.get(subject, re.escape(subject.replace("_", " ")))
        if not re.search(rf"\b({words})", sentence, re.I):
            problems.append(f"does not name what is compared ({subject})")
    for other, words in _METRIC_WORDS.items():
        if other == "load_ms" and finding["kind"] == "cold_start":
            continue  # a cold start is about loading
        if other != metric and re.search(rf"\b({words})\b", sentence, re.I):
            own = _METRIC_WORDS.get(metric or "")
            if not (own and re.search(rf"\b({own})\b", sentence, re.I)):
                problems.append(f"speaks of {other}, but the finding is about {metric}")
                break
    # A model family named must be one the finding is about; with a superlative, the best.
    named = {w for w in _families(pack_names) if re.search(rf"\b{w}\w*\b", sentence, re.I)}
    about = _families(_finding_names(finding))
    if named - about:
        problems.append(f"names {', '.join(sorted(named - about))}, not in the finding")
    elif named and superlative and finding.get("levels"):
        positive = _SUPERLATIVE.search(sentence) and not _NEGATIVE_SUPERLATIVE.search(sentence)
        target = finding["levels"][0 if positive else -1]
        if not named <= _families([target]):
            problems.append(f"the superlative names {', '.join(sorted(named))}, not {target}")
    if extreme and direction and finding.get("levels") and named:
        # "highest" is the best of a higher-is-better metric and the worst of the other kind
        best_word = "highest" if direction == "higher" else "lowest"
        target = finding["levels"][0 if extreme.group(0).lower() == best_word else -1]
        if not named <= _families([target]):
            problems.append(f'"{extreme.group(0)}" does not describe {", ".join(sorted(named))}')
    return problems


def _what(finding: dict) -> str:
    verdict = finding.get("verdict")
    return f"the finding is {finding['kind']}" + (f" ({verdict})" if verdict else "")


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]{4,}", text.lower().replace("_", " "))
    return {w[:5] for w in words if w not in _GENERIC}


def _about(finding: dict) -> str:
    about = " ".join(str(finding.get(k) or "") for k in ("statement", "gist", "subject", "metric"))
    return f"{about} {_KIND_WORDS.get(finding['kind'], '')}"


def vocabulary(finding: dict) -> set[str]:
    """The word stems a claim about the finding may use."""
    return _stems(_about(finding))


def _names(sentence: str) -> list[str]:
    """Capitalised words not opening a sentence: names (Triton, Windows, Gemma) or acronyms."""
    names = []
    for part in re.split(r"[.!?:;]\s+", sentence):
        words = re.findall(r"[A-Za-z][A-Za-z-]*", part)
        names += [w for w in words[1:] if w[0].isupper()]
    return names


def _negations(text: str) -> int:
    return len(_NEGATION.findall(text))


def relevance_problems(
    sentence: str,
    finding: dict,
    vocabularies: dict[str, set[str]],
    policy: GuardPolicy = _POLICY,
) -> list[str]:
    """A claim must share policy.min_shared_words content words with its finding and name
    nothing the finding does not ("Triton" against a finding on a refused connection)."""
    finding_id = finding["finding_id"]
    words = _stems(sentence)
    own = vocabularies[finding_id]
    if len(words & own) < policy.min_shared_words:
        return [f"shares fewer than {_count(policy.min_shared_words)} with the finding it cites"]
    # A small model restates a finding or invents: every content word must be its finding's
    # ("One quantization takes most of the time to first token" against the load finding).
    foreign = sorted(words - own)
    if foreign:
        return [f"says {', '.join(foreign)}, which {finding_id} does not"]
    about = _about(finding).lower()
    unknown = [name for name in _names(sentence) if name.lower() not in about]
    if unknown:
        return [f"names {', '.join(unknown)}, which {finding_id} does not"]
    gist = finding.get("gist") or finding["statement"]
    # A negation its finding does not make turns it around ("... a cold start (not a cold
    # start)", "files were not validated").
    # Counted outside the phrases of no difference, whose verdict the wording check holds.
    if _negations(_NO_DIFFERENCE.sub("", sentence)) > _negations(_NO_DIFFERENCE.sub("", gist)):
        return [f"negates what {finding_id} says"]
    asides = [a for a in re.findall(r"\(([^()]*)\)", sentence) if a.lower() not in gist.lower()]
    if asides:
        return [f"adds an aside its finding does not make: ({asides[0]})"]
    if re.search(r"\bone\b", sentence, re.I) and not re.search(r"\bone\b", gist, re.I):
        return ['writes a number in words ("one"); numbers come from the finding']
    return []


_KIND_WORDS = {
    "cold_start": "cold start warm warming load loading first call reload",
    "failure_cause": "fail failed failure error errors crash connection server",
    "coverage_gap": "missing lack lacks gap gaps absent repeat repetitions repeated quality",
    "outlier": "outlier unusual stray anomaly anomalous deviates",
    "ranking": "rank ranking fastest slowest speed faster slower",
    "effect": "setting settings option options parameter parameters tuning speed",
    "data_quality": "validation valid invalid quarantined passed",
    "inventory": "file files folder folders format formats json csv markdown",
    "configuration": "configuration repeated spread speed",
    "regression": "regression regressed slower worse dropped drop fell decline declined earlier "
    "previous since change changed runs",
    "improvement": "improvement improved faster better rose gained earlier previous since change "
    "changed runs",
    "new_configuration": "configuration new first added measured",
    "removed_configuration": "configuration removed missing dropped previous measured",
}


def text_problems(sentence: str, policy: GuardPolicy = _POLICY) -> list[str]:
    """Where the sentence is no clean English sentence in words of its own: a number, markup, a
    path, talk about the report, too few words, cut off, a loop, another script."""
    problems = []
    if _META.search(sentence):
        problems.append(f'talks about "{_META.search(sentence).group(0)}", not the data')
    if re.search(r"\d", sentence) or any(unicodedata.category(ch)[0] == "N" for ch in sentence):
        problems.append("writes a number; numbers come from the cited finding")
    if _NUMBER_WORDS.search(sentence):
        word = _NUMBER_WORDS.search(sentence).group(0)
        problems.append(f'writes a number in words ("{word}"); numbers come from the finding')
    if len(re.findall(r"[A-Za-z][A-Za-z'-]*", sentence)) < policy.min_claim_words:
        problems.append(f"fewer than {policy.min_claim_words} words")
    problems += language_problems(
        sentence, policy.max_repeated_ngram_share, policy.claim_repetition_ngram_words
    )
    if re.search(r"\bF\d{3}\b|[{}\[\]<>|#*`]", sentence):
        problems.append("carries markup or ids instead of a sentence")
    if re.search(r"://|www\.|\w[/_]\w|\w\.\w|_{2,}", sentence):
        problems.append("writes a file name, path or URL; names come from the cited finding")
    if (
        "..." in sentence
        or "…" in sentence
        or len(sentence) >= policy.cut_off_chars
        or sentence.count("(") != sentence.count(")")
    ):
        problems.append("is cut off")
    letters = sum(ch.isalpha() for ch in sentence)
    if letters < policy.min_letter_share * len(sentence.replace(" ", "")):
        problems.append("is not made of words")
    return problems


def _count(words: int) -> str:
    return {1: "one word", 2: "two words", 3: "three words"}.get(words, f"{words} words")


def _echo(sentence: str, instructions: str, words: int) -> bool:
    """Whether the sentence repeats `words` consecutive words of the instructions."""
    said = re.findall(r"[a-z']+", sentence.lower())
    told = " " + " ".join(re.findall(r"[a-z']+", instructions.lower())) + " "
    return any(f" {' '.join(said[i : i + words])} " in told for i in range(len(said) - words + 1))


def check_claims(
    claims: Iterable[Claim],
    findings: pl.DataFrame,
    sections: Iterable[Section],
    instructions: str = "",
    policy: GuardPolicy = _POLICY,
) -> SectionClaims:
    """Each claim checked against the finding it cites, among the agent's packed `findings`,
    and against its section among the persona's `sections`; a sentence that repeats the
    `instructions` (persona and rules) is an echo, not a claim."""
    by_id = {row["finding_id"]: row for row in findings.iter_rows(named=True)}
    vocabularies = {finding_id: vocabulary(row) for finding_id, row in by_id.items()}
    pack_names = [n for row in by_id.values() for n in _finding_names(row)]
    by_key = {section.key: section for section in sections}
    result = SectionClaims()
    seen: set[tuple[str, str]] = set()
    for claim in claims:
        finding = by_id.get(claim.finding_id)
        section = by_key.get(claim.section)
        reasons = text_problems(claim.sentence, policy)
        if instructions and _echo(claim.sentence, instructions, policy.echo_words):
            reasons.append("repeats the instructions")
        if section is None:
            reasons.append(f"{claim.section} is no section of the persona")
        elif section.mitigation:
            reasons += [f"mitigation: {r}" for r in text_problems(claim.mitigation, policy)]
        if finding is None:
            reasons.append(f"cites {claim.finding_id or 'no finding'}, not one of its findings")
        else:
            if section is not None and finding["kind"] not in section.cites:
                reasons.append(f"a {finding['kind']} finding does not belong in {claim.section}")
            reasons += relevance_problems(claim.sentence, finding, vocabularies, policy)
            reasons += wording_problems(claim.sentence, finding, pack_names)
            if section is not None and section.mitigation:
                reasons += [
                    f"mitigation: {r}"
                    for r in wording_problems(claim.mitigation, finding, pack_names)
                ]
        key = (claim.section, claim.finding_id)
        if key in seen:
            reasons.append("cites the same finding twice in one section")
        seen.add(key)
        rendered = render_claim(claim, finding) if finding is not None else ""
        result.checked.setdefault(claim.section, []).append(
            CheckedClaim(claim, tuple(reasons), rendered)
        )
    return result
