"""conform and aligned_chunks: any frame to a table's exact schema and one chunk layout."""

from __future__ import annotations

import polars as pl

from tasks.schemas import AGENT_CALLS, METRICS, aligned_chunks, conform


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


def test_aligned_chunks_cuts_every_column_like_the_others_without_changing_a_value() -> None:
    batches = [
        conform(pl.DataFrame({"source_path": [f"f{i}"] * 3, "value": [1.0, 2.0, 3.0]}), METRICS)
        for i in range(3)
    ]
    frame = pl.concat(batches, rechunk=False)
    frame = frame.with_columns(pl.Series("model", ["m"] * frame.height))  # one chunk
    aligned = aligned_chunks(frame)
    assert len(set(map(tuple, (c.chunk_lengths() for c in aligned.get_columns())))) == 1
    assert aligned.equals(frame)
