"""The thresholds of the text checks (GuardPolicy): of a report's numbers and sections
(numbers.py, language.py) and of an agent's claims (claims.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SUPPORTED_LANGUAGES = ("en",)


@dataclass(frozen=True)
class GuardPolicy:
    """The guard's thresholds. The defaults are what the report flow uses."""

    language: str = "en"  # only English (Latin script) is supported
    # A number derived from two facts (difference, ratio, percentage) may differ from the exact
    # result by this share of itself, or by half its last written digit, whichever is larger.
    relative_tolerance: float = 0.01
    # A rounded number ("7,800" for 7,836.6) may differ from its fact by at most this share:
    # it stops "200" passing for 238.24 or "1" for 0.62.
    max_rounding_error: float = 0.1
    # Which numbers a derivation may start from: "cited" = facts the same text also cites
    # directly; "all" = any two allowed numbers (accepts nearly any percentage: see numbers.py).
    derivation_operands: Literal["cited", "all"] = "cited"
    # Degenerate repetition: share of word n-grams that repeat an earlier one in the section.
    max_repeated_ngram_share: float = 0.4
    repetition_ngram_words: int = 6
    # A claim: one sentence, so a loop shows in shorter n-grams than in a section.
    claim_repetition_ngram_words: int = 4
    min_claim_words: int = 5  # fewer say nothing about a finding
    # A claim must share this many content words with its finding: one ("file", "failed") is a
    # coincidence, two are a subject.
    min_shared_words: int = 2
    # A claim that repeats this many consecutive words of its instructions is an echo.
    echo_words: int = 5
    # A sentence this long ran into the schema's length limit (241 characters): it is cut off.
    cut_off_chars: int = 235
    # Below this share of letters among its non-space characters, a sentence is not words.
    min_letter_share: float = 0.75

    def __post_init__(self) -> None:
        if self.language not in SUPPORTED_LANGUAGES:
            raise ValueError(
                f"guard language {self.language!r} is not supported; use one of "
                f"{', '.join(SUPPORTED_LANGUAGES)}"
            )
        if self.derivation_operands not in ("cited", "all"):
            raise ValueError(
                f"derivation_operands must be 'cited' or 'all', not {self.derivation_operands!r}"
            )
        if self.relative_tolerance < 0 or self.max_rounding_error < 0:
            raise ValueError("relative_tolerance and max_rounding_error must not be negative")
        if not 0 < self.max_repeated_ngram_share <= 1:
            raise ValueError("max_repeated_ngram_share must lie in (0, 1]")
        for name in (
            "repetition_ngram_words",
            "claim_repetition_ngram_words",
            "min_claim_words",
            "min_shared_words",
            "echo_words",
            "cut_off_chars",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        if not 0 <= self.min_letter_share <= 1:
            raise ValueError("min_letter_share must lie in [0, 1]")
