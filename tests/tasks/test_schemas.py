"""conform: any frame to a table's exact schema."""

from __future__ import annotations

import polars as pl

from tasks.schemas import AGENT_CALLS, conform


def test_conform_adds_missing_columns_as_nulls_in_schema_order() -> None:
    frame = conform(pl.DataFrame({"agent": ["A"], "run": [1]}), AGENT_CALLS)
    assert frame.schema == AGENT_CALLS
    assert frame.height == 1
    assert frame["agent"].to_list() == ["A"]


def test_conform_keeps_an_empty_frame_empty() -> None:
    # No agent call in a run (agents deferred): the table has no rows, not one row of nulls.
    frame = conform(pl.DataFrame([]), AGENT_CALLS)
    assert frame.schema == AGENT_CALLS
    assert frame.is_empty()
