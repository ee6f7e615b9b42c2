"""Parse worker processes: the same rows as parsing in process, and a clear error when one dies."""

from __future__ import annotations

import os
import signal

import polars as pl
import pytest

from tasks.ingest.discover import discover_files
from tasks.ingest.manifest import plan_parse
from tasks.parse import parse_batch
from tasks.parse.workers import (
    WORKERS_MIN_FILES,
    ParseWorkerError,
    ParseWorkers,
    parse_batch_on,
    parse_worker_count,
    parse_workers,
    split_batches,
)
from tasks.samples import write_sample_corpus


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> list:
    root = tmp_path_factory.mktemp("pile")
    write_sample_corpus(root / "pile", copies=2, seed=3)
    return plan_parse(discover_files([root / "pile"]), None, None).to_parse


def test_workers_parse_exactly_what_the_calling_process_parses(sample_files: list) -> None:
    expected_frame, expected_outcomes = parse_batch(sample_files)
    half = len(sample_files) // 2
    workers = ParseWorkers(2)
    try:
        results = [workers.parse(sample_files[:half]), workers.parse(sample_files[half:])]
    finally:
        workers.close()
    assert pl.concat([frame for frame, _ in results]).equals(expected_frame)
    assert [o for _, outcomes in results for o in outcomes] == expected_outcomes
    assert expected_frame.height > 100


def test_a_dead_worker_is_a_clear_error_not_a_hang(sample_files: list) -> None:
    workers = ParseWorkers(1)
    try:
        os.kill(workers.pids[0], signal.SIGKILL)
        with pytest.raises(ParseWorkerError, match=r"parse worker \(pid \d+\) exited with code -9"):
            workers.parse(sample_files[:5])
    finally:
        workers.close()


def test_small_piles_and_single_cpus_parse_in_process(sample_files: list) -> None:
    assert parse_worker_count(WORKERS_MIN_FILES - 1, cpus=8) == 0
    assert parse_worker_count(WORKERS_MIN_FILES, cpus=1) == 0
    assert parse_worker_count(WORKERS_MIN_FILES, cpus=2) == 2
    with parse_workers(10, cpus=2) as workers:
        assert workers is None
        frame, _ = parse_batch_on(workers, sample_files[:5])
    assert frame.equals(parse_batch(sample_files[:5])[0])


@pytest.mark.parametrize(("files", "workers"), [(8463, 2), (1001, 1), (3, 4), (0, 2)])
def test_batches_are_even_and_keep_every_file_once(files: int, workers: int) -> None:
    pile = list(range(files))
    batches = split_batches(pile, 500, workers)
    assert [f for batch in batches for f in batch] == pile
    assert all(len(batch) <= 500 for batch in batches)
    if files >= 500 * workers:
        assert len(batches) % workers == 0
        assert max(map(len, batches)) - min(map(len, batches)) <= len(batches)
