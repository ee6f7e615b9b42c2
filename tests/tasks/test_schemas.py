"""conform and aligned_chunks: any frame to a table's exact schema and one chunk layout;
group_numbers: rows equal in every column, and only those, share a number; label_per_group: a
label per row, worked out per distinct row."""

from __future__ import annotations

import random

import polars as pl

from tasks.schemas import (
    AGENT_CALLS,
    METRICS,
    REPEATED_TEXT,
    aligned_chunks,
    conform,
    group_numbers,
    label_per_group,
)


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


def _groups(frame: pl.DataFrame) -> pl.Series:
    """Each row's group among the frame's distinct rows, by Polars' own unique and join."""
    distinct = frame.unique(maintain_order=True).with_row_index("group")
    return (
        frame.with_row_index("row")
        .join(distinct, on=frame.columns, how="left", nulls_equal=True)
        .sort("row")["group"]
    )


def _same_partition(numbers: pl.Series, groups: pl.Series) -> bool:
    pairs = pl.DataFrame({"number": numbers, "group": groups})
    return (
        pairs.group_by("number").agg(pl.col("group").n_unique())["group"].max() == 1
        and pairs.group_by("group").agg(pl.col("number").n_unique())["number"].max() == 1
    )


def test_rows_share_a_number_exactly_when_every_part_is_equal_nulls_included():
    pick = random.Random(7).choice
    rows = pl.DataFrame(
        {
            "model": pl.Series([pick(["a", "b", None]) for _ in range(5000)], dtype=pl.Categorical),
            "num_gpu": [pick([0, 40, None]) for _ in range(5000)],
            "temperature": [pick([0.2, 0.8, None]) for _ in range(5000)],
            "extra": [pick(['{"x": 1}', None]) for _ in range(5000)],
        }
    ).with_columns(pl.lit(None, dtype=pl.Int64).alias("threads"), pl.lit("csv").alias("reader"))

    numbers = group_numbers(rows)

    assert _same_partition(numbers, _groups(rows))
    assert numbers.n_unique() == rows.unique().height == 3 * 3 * 3 * 2


def test_rows_told_apart_by_their_first_column_alone_keep_apart_past_64_bits():
    # Four columns of 65,535 values each come after a first one of two: their codes make the
    # number pass 2**64 (16 bits each), which would push the first column's code out of it.
    size = 65_535
    rows = pl.DataFrame(
        {"model": ["a"] * size + ["b"], **{f"c{i}": [*range(size), 0] for i in range(4)}}
    )

    numbers = group_numbers(rows)

    assert numbers[0] != numbers[size]  # equal but for the model
    assert numbers.n_unique() == size + 1


def test_each_row_gets_the_label_of_its_own_values_nulls_included():
    pick = random.Random(3).choice
    rows = pl.DataFrame(
        {
            "num_gpu": [pick([0, 40, None]) for _ in range(3000)],
            "backend": pl.Series([pick(["cuda", None]) for _ in range(3000)], dtype=pl.Categorical),
        }
    )
    label = pl.concat_str(
        [pl.col("num_gpu").cast(pl.Utf8).fill_null("-"), pl.col("backend").fill_null("-")],
        separator="/",
    )

    labels = label_per_group(rows, label)

    assert labels.dtype == REPEATED_TEXT
    assert labels.cast(pl.Utf8).to_list() == rows.select(label).to_series().to_list()
    assert labels.n_unique() == rows.unique().height == 3 * 2
