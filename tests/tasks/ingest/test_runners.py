"""Parsing on Prefect's process pool and on a Dask cluster gives the tables of the flow's process.

The Dask test starts a local cluster of worker processes and points the flow at its scheduler,
as a user who outgrows one machine points it at theirs (CHIMERA_DASK_ADDRESS). Marked slow:
each runner starts processes that import Prefect and the parsers.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import polars as pl
import pytest
from prefect import flow

from flows.ingest import Ingested, ingest
from tasks.ingest.runners import chosen_runner
from tasks.ingest.workers import WORKERS_MIN_FILES
from tasks.samples import write_sample_corpus

pytestmark = pytest.mark.slow


def content_hash(frame: pl.DataFrame) -> str:
    """sha256 of the table's rows, in order (what a re-run must reproduce)."""
    return hashlib.sha256(frame.hash_rows(seed=0).to_numpy().tobytes()).hexdigest()


@flow(name="ingest-on-a-runner")
def ingest_flow(sources: list[Path], cpus: int | None) -> Ingested:
    return ingest(sources, None, None, cpus=cpus)


def tables(ingested: Ingested) -> tuple[str, str]:
    return content_hash(ingested.files), content_hash(ingested.parsed)


@pytest.fixture(scope="module")
def big_pile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Just enough files for the pile to be parsed off the flow's process."""
    root = tmp_path_factory.mktemp("big") / "pile"
    per_copy = len(write_sample_corpus(root / "probe", seed=5))
    write_sample_corpus(root / "sample", copies=-(-WORKERS_MIN_FILES // per_copy), seed=5)
    shutil.rmtree(root / "probe")
    return root


def test_an_address_alone_chooses_dask_and_unknown_runners_are_refused() -> None:
    assert chosen_runner(None, None) == "workers"
    assert chosen_runner(None, "tcp://10.0.0.5:8786") == "dask"
    assert chosen_runner("process", "tcp://10.0.0.5:8786") == "process"
    with pytest.raises(ValueError, match="unknown parse runner 'spark'"):
        chosen_runner("spark", None)


@pytest.mark.parametrize("runner", ["process", "workers"])
def test_a_process_pool_parses_as_the_flows_process(
    runner: str, big_pile: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_process = ingest_flow([big_pile], cpus=1)
    assert in_process.runner == "in process"
    monkeypatch.setenv("CHIMERA_PARSE_RUNNER", runner)
    pooled = ingest_flow([big_pile], cpus=2)
    assert pooled.runner == runner and pooled.workers == 2
    assert tables(pooled) == tables(in_process)
    assert pooled.parsed.height > 10_000


def test_a_dask_cluster_parses_the_corpus_as_the_flows_process(
    corpus_dir: Path, prefect_server: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    in_process = ingest_flow([corpus_dir], cpus=1)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster:
        monkeypatch.setenv("CHIMERA_DASK_ADDRESS", cluster.scheduler_address)
        on_dask = ingest_flow([corpus_dir], cpus=1)
    assert on_dask.runner == "dask"
    assert tables(on_dask) == tables(in_process)
    assert on_dask.files.filter(pl.col("status") == "parsed").height > 50
