"""A big CSV streams through the sink in blocks: the rows are those of a parse in one go.

The blocks, the flush threshold and the size above which lines are split as they are read are
made tiny here so that a few hundred rows cross many block and chunk boundaries: a value, a
model taken from the path, a failed file's rollback and the other files of the batch must come
out exactly as without streaming.
"""

from __future__ import annotations

import hashlib
import random

import polars as pl
import pytest

from tasks.parse import csv_format
from tasks.parse.batch import FileToParse, parse_batch
from tasks.parse.records import MetricSink


def sweep_csv(rows: int, seed: int, *, with_model: bool) -> bytes:
    rng = random.Random(seed)
    header = ("model," if with_model else "") + "num_gpu,num_ctx,run,tokens_per_s,ttft_ms\n"
    lines = [header]
    for run in range(rows):
        model = rng.choice(["llama3.1:8b-instruct-q4_0", "gemma3:270m"]) + "," if with_model else ""
        lines.append(
            f"{model}{rng.choice([0, 40, 999])},{rng.choice([2048, 4096])},{run},"
            f"{rng.uniform(20, 300):.3f},{rng.uniform(20, 900):.2f}\n"
        )
        if run % 37 == 5:
            lines.append(",,,,\n" if not with_model else ",,,,,\n")  # a blank row: not counted
    return "".join(lines).encode()


def file_to_parse(relative_path: str, data: bytes) -> FileToParse:
    sha = hashlib.sha256(data).hexdigest()
    return FileToParse(relative_path, relative_path, sha, "csv", data=data)


def pile() -> list[FileToParse]:
    broken = bytearray(sweep_csv(300, seed=3, with_model=True))
    at = broken.index(b"\n", len(broken) // 2)
    # half-way, a cell longer than the csv module's field limit: csv.Error on that line
    broken[at + 1 : at + 1] = b'1,"' + b"x" * 200_000 + b'",2\n'
    return [
        file_to_parse("sweeps/small.csv", sweep_csv(4, seed=1, with_model=True)),
        # no model column: the model comes from the path, also into flushed chunks
        file_to_parse(
            "sweeps/gemma3_270m_param_tuning.csv", sweep_csv(500, seed=2, with_model=False)
        ),
        file_to_parse("sweeps/broken.csv", bytes(broken)),
        file_to_parse("sweeps/after.csv", sweep_csv(250, seed=4, with_model=True)),
    ]


def make_blocks_tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_format, "_BLOCK_ROWS", 7)
    monkeypatch.setattr(csv_format, "FLUSH_VALUES", 40)
    monkeypatch.setattr(csv_format, "_STREAMED_CHARS", 100)  # lines split as they are read


@pytest.fixture
def tiny_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    make_blocks_tiny(monkeypatch)


def test_streamed_rows_equal_those_parsed_in_one_go(monkeypatch: pytest.MonkeyPatch) -> None:
    whole, whole_outcomes = parse_batch(pile())
    make_blocks_tiny(monkeypatch)
    streamed, streamed_outcomes = parse_batch(pile())

    assert streamed_outcomes == whole_outcomes
    assert streamed.schema == whole.schema
    assert streamed.equals(whole)
    records = dict(streamed.group_by("source_path").agg(pl.col("locator").n_unique()).iter_rows())
    assert "sweeps/broken.csv" not in records  # the failed file leaves no row behind
    assert records["sweeps/after.csv"] == 250
    assert records["sweeps/gemma3_270m_param_tuning.csv"] == 500
    tuned = streamed.filter(pl.col("source_path") == "sweeps/gemma3_270m_param_tuning.csv")
    assert tuned["model"].unique().to_list() == ["gemma3:270m"]
    assert tuned["locator"].tail(1).item() == "row 500"  # blank rows are not numbered


def test_a_broken_file_is_named_with_its_line(tiny_blocks: None) -> None:
    _, outcomes = parse_batch(pile())
    broken = next(o for o in outcomes if o.relative_path == "sweeps/broken.csv")
    assert broken.status == "error"
    assert "invalid CSV: line 1" in broken.reason and "field limit" in broken.reason


def test_flush_keeps_record_ids_and_counts(tiny_blocks: None) -> None:
    sink = MetricSink()
    sink.start_file("a.csv", "0" * 64, "csv")
    csv_format.parse_csv(sweep_csv(60, seed=5, with_model=True).decode(), sink)
    assert 0 < sink.pending_values < sink.metric_count  # some went to chunks
    frame = sink.to_frame()
    assert frame.height == sink.metric_count
    assert frame["locator"].n_unique() == 60
