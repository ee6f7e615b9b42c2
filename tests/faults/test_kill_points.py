"""kill -9 at each named point of a real `chimera run`, then a re-run: the output folder always
shows one complete run, and after the re-run its tables are those of an uninterrupted run.

Each run is a real process with its own temporary Prefect server (agents deferred: no model is
asked, these tests are about what lands in --out). The killed run's server is left running, as
after any SIGKILL; the re-run stops it (tasks.orphan_servers).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

import polars as pl
import pytest

from tasks.crash_points import CRASH_AT, POINTS
from tasks.orphan_servers import orphaned_servers
from tasks.samples.corpus import write_sample_corpus
from tasks.tables import content_hash


class Finished(NamedTuple):
    returncode: int
    output: str  # stdout and stderr


TABLES = ("files", "metrics", "quarantine", "findings")
pytestmark = pytest.mark.slow


def chimera_run(sources: Path, out: Path, crash_at: str | None = None) -> Finished:
    """`chimera run` in its own process; output to a file, since a killed run's temporary
    server would hold a pipe open until it is stopped."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    environment.pop(CRASH_AT, None)
    if crash_at:
        environment[CRASH_AT] = crash_at
    with tempfile.TemporaryFile("w+") as log:
        code = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", str(sources), "--out", str(out)]
            + ["--agents", "follow-up"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=300,
        ).returncode
        log.seek(0)
        return Finished(code, log.read())


def published_tables(out: Path) -> dict[str, tuple[int, str]]:
    """Each table's row count and content hash, as a reader of --out finds them."""
    return {
        name: (pl.read_parquet(out / "tables" / f"{name}.parquet").height,
               content_hash(out / "tables" / f"{name}.parquet"))
        for name in TABLES
    }  # fmt: skip


def published_run(out: Path) -> str:
    """The run folder --out shows, checked to hold every table and the combined report."""
    run = os.readlink(out / ".chimera" / "current")
    for name in TABLES:
        assert (out / "tables" / f"{name}.parquet").is_file(), name
    assert (out / "reports" / "combined.md").is_file()
    return run


@pytest.fixture(scope="module")
def piles(tmp_path_factory):
    """A first complete run, then new files: the state every kill starts from, and the tables
    an uninterrupted second run makes of it."""
    root = tmp_path_factory.mktemp("kill-points")
    sources, first = root / "bench", root / "first"
    write_sample_corpus(sources)
    assert chimera_run(sources, first).returncode == 0
    (sources / "added").mkdir()
    (sources / "added" / "sweep.csv").write_text(
        "model,num_gpu,tokens_per_s,ttft_ms\n"
        + "".join(f"late-model:7b,{g},{40 + i % 3},{200 + i}\n" for g in (0, 99) for i in range(6))
    )
    reference = root / "reference"
    shutil.copytree(first, reference, symlinks=True)
    assert chimera_run(sources, reference).returncode == 0
    return sources, first, published_tables(first), published_tables(reference)


@pytest.mark.parametrize("point", list(POINTS))
def test_kill_at_a_named_point_then_rerun_gives_the_uninterrupted_tables(piles, tmp_path, point):
    sources, first, first_tables, reference_tables = piles
    out = tmp_path / "out"
    shutil.copytree(first, out, symlinks=True)

    killed = chimera_run(sources, out, crash_at=point)

    assert killed.returncode == -signal.SIGKILL, killed.output[-2000:]
    published_run(out)  # a complete run is published, whatever the point
    # From "after-commit" on the killed run is published (the history append comes after it).
    published = list(POINTS).index(point) >= list(POINTS).index("after-commit")
    expected = reference_tables if published else first_tables
    assert published_tables(out) == expected
    left = orphaned_servers()
    assert left, "a SIGKILL leaves the run's temporary server running"

    rerun = chimera_run(sources, out)

    assert rerun.returncode == 0, rerun.output[-2000:]
    assert "left running by a killed run" in rerun.output
    assert not set(left) & set(orphaned_servers())
    assert published_tables(out) == reference_tables
    runs = [p.name for p in (out / ".chimera").iterdir() if p.name.startswith("run-")]
    assert runs == [published_run(out)]  # the killed run's folder is gone
