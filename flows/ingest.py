"""Stages 1 and 2 of benchmark-report: discover and parse the sources.

Called inside a flow run (it runs the discover and parse tasks); bench/bench_ingest_parse.py
times this same code. A big pile is parsed in worker processes, one per CPU, started as soon as
the files are found so that they load while discover hashes; a small one in the flow's thread,
from the bytes discover read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from prefect.utilities.annotations import quote

from tasks.allocator import cycle_collection_paused
from tasks.ingest.discover import find_files
from tasks.ingest.manifest import apply_outcomes, in_path_order, plan_parse
from tasks.ingest.runners import chosen_runner, parse_pool
from tasks.ingest.workers import BATCH_FILES, split_batches
from tasks.parse.pile import resolve_pile
from tasks.prefect_tasks import discover, parse
from tasks.progress import CountedSequence, Ticker, tick
from tasks.schemas import PARSED_METRICS, aligned_chunks, conform, empty
from tasks.settings import settings


@dataclass(frozen=True)
class Ingested:
    files: pl.DataFrame  # FILES: every file found, with its status
    # PARSED_METRICS: this run's rows and those kept from the last run (None once written)
    parsed: pl.DataFrame | None
    files_parsed: int
    files_kept: int  # unchanged since the last run: their rows were kept, not parsed again
    batches: int  # parse tasks
    workers: int  # worker processes; 0: all in the flow's process (or a Dask cluster's)
    runner: str  # workers | process | dask | in process (tasks.ingest.runners)
    # "discover", "parse" and "resolve" (the pile step, which "parse" includes)
    seconds: dict[str, float] = field(default_factory=dict)


@cycle_collection_paused()  # the pile's rows are millions of Python objects until framed
def ingest(
    sources: list[Path],
    previous_files: pl.DataFrame | None,
    previous_metrics: pl.DataFrame | None,
    *,
    batch_files: int = BATCH_FILES,
    cpus: int | None = None,
) -> Ingested:
    """Inventory every file under the sources and parse the new or changed ones."""
    started = time.perf_counter()
    tick("discover", 0, 1, "discover: listing the files")
    entries = find_files(sources)
    hashing = Ticker("discover", len(entries), "files", _discover_message)
    chosen = settings()
    runner = chosen_runner(chosen.parse_runner, chosen.dask_address)
    with parse_pool(len(entries), runner, cpus=cpus, dask_address=chosen.dask_address) as pool:
        # quote: Prefect would otherwise walk every entry of the list, twice, to find futures.
        # A small pile is parsed from the bytes discover read while hashing (files under
        # SNIFF_BYTES, at most 16 MiB below WORKERS_MIN_FILES files): each file is read once,
        # and parsed exactly as hashed. Workers read their files themselves.
        inventory, contents = discover(
            quote(CountedSequence(entries, hashing)), keep_contents=pool is None
        )
        discovered = time.perf_counter()
        plan = plan_parse(inventory, previous_files, previous_metrics, contents)
        batches = split_batches(plan.to_parse, batch_files, max(pool.count, 1) if pool else 1)
        parsing = Ticker("parse", len(plan.to_parse), "files", _parse_message)
        results = []
        if pool:
            results = pool.parse_all(batches, parsing.advance)
        else:
            # In this process, batches on threads would only take turns on the GIL: one after
            # the other in the flow's thread spares the task runner's thread hand-offs.
            for batch in batches:
                results.append(parse(quote(batch)))
                parsing.advance(len(batch))
        count = pool.count if pool else 0
        where = pool.runner if pool else "in process"
    outcomes = plan.kept_outcomes + [o for _, batch in results for o in batch]
    new_rows = [frame for frame, _ in results] or [empty(PARSED_METRICS)]
    parsed = aligned_chunks(
        in_path_order(conform(plan.kept_metrics, PARSED_METRICS), pl.concat(new_rows))
    )
    files = apply_outcomes(inventory, outcomes).sort("relative_path")
    parsed_at = time.perf_counter()
    # Model identity, roles and copies are relations across the whole pile, kept rows included.
    tick("resolve", 0, 1, "resolve: model identity, roles and copies across the pile")
    files, parsed = resolve_pile(files, parsed)
    tick(
        "resolve",
        1,
        1,
        "resolve: %s files, %s measurements",
        f"{files.height:,}",
        f"{parsed.height:,}",
    )
    return Ingested(
        files=files,
        parsed=parsed,
        files_parsed=len(plan.to_parse),
        files_kept=len(plan.kept_outcomes),
        batches=len(batches),
        workers=count,
        runner=where,
        seconds={
            "discover": round(discovered - started, 3),
            "parse": round(time.perf_counter() - discovered, 3),
            "resolve": round(time.perf_counter() - parsed_at, 3),  # of parse: the pile step
        },
    )


def _discover_message(done: int, total: int) -> str:
    return f"discover: {done:,} of {total:,} files hashed"


def _parse_message(done: int, total: int) -> str:
    return f"parse: {done:,} of {total:,} files"
