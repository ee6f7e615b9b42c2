"""Where the parse batches of a big pile run: today's worker processes, Prefect's process pool,
or a Dask cluster.

In: the choice (CHIMERA_PARSE_RUNNER: workers | process | dask; CHIMERA_DASK_ADDRESS, which
implies dask), the pile's size and the usable CPUs. Out: a `ParsePool` whose `submit(batch)`
returns a future of the batch's (frame, outcomes), or None for a pile parsed in the flow's
process (below tasks.ingest.workers.WORKERS_MIN_FILES files, or one CPU).

- workers (the default on one machine): tasks.ingest.workers' plain processes, fed by parse
  tasks on the flow's task runner. bench/bench_ingest_parse.py measured it against Prefect's
  process pool on this 2-core machine (bench/RESULTS.md, 2026-12-05, issue 20): it stays the
  default because it was faster there.
- process: Prefect's ProcessPoolTaskRunner, one parse task run per batch in its processes.
- dask: prefect-dask's DaskTaskRunner on the scheduler at CHIMERA_DASK_ADDRESS (a user who
  outgrows one machine points the flow at a cluster), or on a local cluster of worker processes
  when the runner is named without an address. The Dask workers read the files by the path
  discover found them at, so they must see the sources at the same paths (a shared folder).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, cast

from prefect.utilities.annotations import quote

from tasks.choices import PARSE_RUNNERS, ParseRunner
from tasks.ingest.workers import BatchResult, parse_workers, worker_count
from tasks.parse.batch import FileToParse


class BatchFuture(Protocol):
    def result(self) -> BatchResult: ...


Advance = Callable[[int], None]  # told the files of each batch as it is done, in batch order


@dataclass(frozen=True)
class ParsePool:
    """Parse batches elsewhere than in the flow's thread; `count`: the processes it has."""

    runner: ParseRunner
    count: int
    _parse_all: Callable[[list[list[FileToParse]], Advance], list[BatchResult]]

    def parse_all(
        self, batches: list[list[FileToParse]], advance: Advance = lambda _: None
    ) -> list[BatchResult]:
        """Every batch's (frame, outcomes), in batch order."""
        return self._parse_all(batches, advance)


def chosen_runner(runner: str | None, dask_address: str | None) -> ParseRunner:
    """The runner a setting names; an address alone means dask."""
    if runner:
        if runner not in PARSE_RUNNERS:
            raise ValueError(f"unknown parse runner {runner!r}: choose one of {PARSE_RUNNERS}")
        return cast(ParseRunner, runner)
    return "dask" if dask_address else "workers"


@contextlib.contextmanager
def parse_pool(
    files: int,
    runner: ParseRunner,
    *,
    cpus: int | None = None,
    dask_address: str | None = None,
) -> Iterator[ParsePool | None]:
    """A pool for a pile of `files`, or None when it is better parsed in the flow's process.
    Dask with an address is used whatever the pile's size: the cluster is there already."""
    from tasks.prefect_tasks import parse_on_workers

    if runner == "dask" and dask_address:
        with _dask_runner(dask_address, None) as task_runner:
            yield ParsePool(runner, 0, _task_per_batch(task_runner))
        return
    count = worker_count(files, cpus)
    if not count:
        yield None
        return
    if runner == "workers":
        with parse_workers(files, cpus) as workers:
            assert workers is not None  # worker_count said so
            yield ParsePool(
                runner,
                workers.count,
                lambda batches, advance: parse_on_workers(
                    quote(batches), quote(workers), quote(advance)
                ),
            )
        return
    if runner == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        with ProcessPoolTaskRunner(max_workers=count) as task_runner:
            yield ParsePool(runner, count, _task_per_batch(task_runner))
        return
    with _dask_runner(None, count) as task_runner:
        yield ParsePool(runner, count, _task_per_batch(task_runner))


def _task_per_batch(task_runner: Any) -> Any:
    """parse_all as a task run per batch on `task_runner`: the task runner is what takes the
    batches to other processes or machines."""
    from tasks.prefect_tasks import parse_listed

    def parse_all(batches: list[list[FileToParse]], advance: Advance) -> list[BatchResult]:
        futures: list[BatchFuture] = [
            task_runner.submit(
                parse_listed,
                parameters={"files": [(f.path, f.relative_path, f.sha256, f.format) for f in b]},
            )
            for b in batches
        ]
        results = []
        for future, batch in zip(futures, batches, strict=True):
            results.append(future.result())
            advance(len(batch))
        return results

    return parse_all


@contextlib.contextmanager
def _dask_runner(address: str | None, workers: int | None) -> Iterator[Any]:
    from prefect_dask import DaskTaskRunner

    if address:
        task_runner = DaskTaskRunner(address=address)
    else:
        # A local cluster of worker processes, one thread each: parsing holds the GIL.
        task_runner = DaskTaskRunner(
            cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True}
        )
    with task_runner:
        yield task_runner
