"""Share of agent drafts the guard accepted, per model: first try and after retries.

    python bench/guard_acceptance.py OUT_DIR [OUT_DIR ...]

Reads each OUT_DIR/tables/agent_calls.parquet (one `chimera run`, any number of --runs) and
prints, per backend, model, scenario and agent: the agent turns, how many had their first draft
accepted, how many had some draft accepted after retries, and the draft-level acceptance rate.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl


def acceptance(calls: pl.DataFrame) -> pl.DataFrame:
    """One row per (backend, model, scenario, agent) with first-try and eventual acceptance."""
    accepted = pl.col("guard_verdict") == "accepted"
    turns = calls.group_by("backend", "model", "scenario", "agent", "run").agg(
        first_try=accepted.filter(pl.col("attempt") == 0).any(),
        eventually=accepted.any(),
        drafts=pl.len(),
        drafts_accepted=accepted.sum(),
    )
    return (
        turns.group_by("backend", "model", "scenario", "agent")
        .agg(
            turns=pl.len(),
            first_try_accepted=pl.col("first_try").sum(),
            accepted_after_retries=pl.col("eventually").sum(),
            drafts=pl.col("drafts").sum(),
            drafts_accepted=pl.col("drafts_accepted").sum(),
        )
        .with_columns(draft_acceptance=pl.col("drafts_accepted") / pl.col("drafts"))
        .sort("backend", "model", "scenario", "agent")
    )


def main(out_dirs: list[str]) -> int:
    calls = pl.concat(
        [pl.read_parquet(Path(d) / "tables" / "agent_calls.parquet") for d in out_dirs],
        how="vertical_relaxed",
    )
    with pl.Config(tbl_rows=-1, tbl_cols=-1, tbl_width_chars=200):
        print(acceptance(calls))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
