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


def test_aligned_chunks_keeps_batches_whatever_their_columns() -> None:
    # As ingest concatenates parse batches: every column in one chunk per batch, or a column
    # of one value (a literal) beside them.
    batches = [
        conform(pl.DataFrame({"source_path": [f"f{i}"] * 3, "value": [1.0, 2.0, 3.0]}), METRICS)
        for i in range(3)
    ]
    same_layout = pl.concat(
        [pl.DataFrame({"source_path": [f"f{i}"] * 2, "value": [1.0, 2.0]}) for i in range(3)],
        rechunk=False,
    )
    assert same_layout.get_column("value").chunk_lengths() == [2, 2, 2]
    assert aligned_chunks(same_layout).equals(same_layout)
    with_literals = pl.concat(batches, rechunk=False)
    aligned = aligned_chunks(with_literals)
    assert aligned.equals(with_literals)
    assert aligned.schema == with_literals.schema
