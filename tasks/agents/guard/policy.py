"""The thresholds of the text checks (GuardPolicy)."""

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
        if self.repetition_ngram_words < 1:
            raise ValueError("repetition_ngram_words must be >= 1")
