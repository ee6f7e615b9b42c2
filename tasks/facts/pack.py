"""The facts pack: the facts an agent's prompt carries, sized to fit its context window.

In: the FACTS frame, the topics the agent needs, its num_ctx. Out: the best-ranked facts that fit,
rendered one per line with their id, and the ids that were left out (the report says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

# A safe token estimate for fact lines: small models' tokenizers split digits one by one, so a
# line full of numbers runs about 2.3 characters per token (measured with SmolLM2's tokenizer).
CHARS_PER_TOKEN = 2.2
# Tiny models lose the thread in long lists: a prompt carries at most this many facts.
MAX_FACTS = 24


@dataclass(frozen=True)
class FactsPack:
    facts: pl.DataFrame  # the FACTS rows that made it into the prompt
    left_out: tuple[str, ...]  # fact ids that did not fit

    def render(self) -> str:
        """One fact per line: `F001: statement`."""
        return "\n".join(
            f"{fact_id}: {statement}"
            for fact_id, statement in self.facts.select("fact_id", "statement").iter_rows()
        )

    @property
    def numbers(self) -> list[float]:
        """Every number the packed facts state: what a draft may cite."""
        return [n for numbers in self.facts.get_column("numbers").to_list() for n in numbers]


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


def pack_facts(
    facts: pl.DataFrame, topics: Sequence[str], token_budget: int, max_facts: int = MAX_FACTS
) -> FactsPack:
    """Keep the longest best-ranked prefix of the topics' facts that fits in the budget."""
    candidates = facts.filter(pl.col("topic").is_in(list(topics))).sort("rank")
    kept, left_out, used = [], [], 0
    for row in candidates.iter_rows(named=True):
        cost = estimate_tokens(f"{row['fact_id']}: {row['statement']}\n")
        # A prefix of the ranking: a lower-ranked fact never displaces a better one.
        if not left_out and used + cost <= token_budget and len(kept) < max_facts:
            kept.append(row["fact_id"])
            used += cost
        else:
            left_out.append(row["fact_id"])
    return FactsPack(
        facts=candidates.filter(pl.col("fact_id").is_in(kept)), left_out=tuple(left_out)
    )
