"""Parse worker processes: the same rows as in process, and a clear error when one dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import polars as pl
import pytest

from tasks.ingest.discover import find_files, inventory_frame, inventory_rows
from tasks.ingest.manifest import plan_parse
from tasks.ingest.workers import (
    WORKERS_MIN_FILES,
    ParseWorkers,
    WorkerError,
    parse_workers,
    split_batches,
    worker_count,
)
from tasks.parse import parse_batch
from tasks.samples import write_sample_corpus


@pytest.fixture(scope="module")
def pile(tmp_path_factory: pytest.TempPathFactory) -> list:
    root = tmp_path_factory.mktemp("pile")
    write_sample_corpus(root / "pile", copies=2, seed=3)
    return find_files([root / "pile"])


def test_workers_parse_exactly_as_the_calling_process(pile: list) -> None:
    to_parse = plan_parse(inventory_frame(inventory_rows(pile)), None, None).to_parse
    expected_frame, expected_outcomes = parse_batch(to_parse)
    half = len(to_parse) // 2
    workers = ParseWorkers(2)
    try:
        results = [workers.parse(to_parse[:half]), workers.parse(to_parse[half:])]
    finally:
        workers.close()
    assert pl.concat([frame for frame, _ in results]).equals(expected_frame)
    assert [o for _, outcomes in results for o in outcomes] == expected_outcomes
    assert expected_frame.height > 100


def test_a_dead_worker_is_a_clear_error_not_a_hang(pile: list) -> None:
    workers = ParseWorkers(1)
    try:
        os.kill(workers.pids[0], signal.SIGKILL)
        with pytest.raises(WorkerError, match=r"ingest worker \(pid \d+\) exited with code -9"):
            workers.parse(plan_parse(inventory_frame(inventory_rows(pile)), None, None).to_parse)
    finally:
        workers.close()


def test_small_piles_and_single_cpus_stay_in_process() -> None:
    assert worker_count(WORKERS_MIN_FILES - 1, cpus=8) == 0
    assert worker_count(WORKERS_MIN_FILES, cpus=1) == 0
    assert worker_count(WORKERS_MIN_FILES, cpus=2) == 2
    with parse_workers(10, cpus=2) as workers:
        assert workers is None


@pytest.mark.parametrize(("files", "workers"), [(8463, 2), (1001, 1), (3, 4), (0, 2)])
def test_batches_are_even_and_keep_every_file_once(files: int, workers: int) -> None:
    pile = list(range(files))
    batches = split_batches(pile, 500, workers)
    assert [f for batch in batches for f in batch] == pile
    assert all(len(batch) <= 500 for batch in batches)
    if files >= 500 * workers:
        assert len(batches) % workers == 0
        assert max(map(len, batches)) - min(map(len, batches)) <= len(batches)


def test_a_worker_starts_without_polars() -> None:
    """What a worker imports is what it costs to start, on every parse of a big pile."""
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, tasks.ingest.workers; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "'tasks.parse.csv_format'" in imported
    assert "'polars'" not in imported and "'prefect'" not in imported
