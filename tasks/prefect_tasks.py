"""Thin Prefect task wrappers around the stages' pure functions.

The logic lives in the stage packages and is tested without a server; this module only adds run
rules. Tasks that take or return frames use NO_CACHE: the default policy would hash every frame on
every call, and a result keyed by run id is never reused anyway.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from prefect import task
from prefect.cache_policies import NO_CACHE, CacheKeyFnPolicy

from tasks.agents.analyst import AgentResult, run_agent
from tasks.agents.backends import select_backend
from tasks.agents.backends.base import BackendError
from tasks.agents.drafting import instructions
from tasks.agents.options import ModelOptions
from tasks.agents.personas import PERSONAS
from tasks.ingest.discover import FileEntry, inventory_frame, inventory_rows
from tasks.ingest.workers import ParseWorkers
from tasks.parse import FileOutcome, FileToParse, parse_batch
from tasks.progress import report_progress, tick
from tasks.validate import ValidationResult, validate_metrics


@task(name="discover", cache_policy=NO_CACHE)
def discover(
    entries: Sequence[FileEntry], keep_contents: bool = False
) -> tuple[pl.DataFrame, dict[str, bytes]]:
    contents: dict[str, bytes] = {}
    rows = inventory_rows(entries, contents if keep_contents else None)
    return inventory_frame(rows), contents


@task(name="parse-batch", cache_policy=NO_CACHE)
def parse(files: Sequence[FileToParse]) -> tuple[pl.DataFrame, list[FileOutcome]]:
    """A batch of a small pile, in the flow's process."""
    return parse_batch(files)


@task(name="parse-on-workers", cache_policy=NO_CACHE)
def parse_on_workers(
    batches: list[list[FileToParse]],
    workers: ParseWorkers,
    advance: Callable[[int], None],
) -> list[tuple[pl.DataFrame, list[FileOutcome]]]:
    """Every batch of a big pile on the worker processes, as one task run, fed from a thread per
    worker; `advance` is told each batch's files as it is done. One task run, not one per batch:
    the 92 task runs of 100,000 files cost the flow's process and the Prefect server CPU that
    the workers needed (5,092-5,426 -> 5,294-5,996 files/s, 3 runs each, bench/RESULTS.md)."""
    with ThreadPoolExecutor(workers.count, thread_name_prefix="feed-worker") as feed:
        futures = [feed.submit(workers.parse, batch) for batch in batches]
        results = []
        for future, batch in zip(futures, batches, strict=True):
            results.append(future.result())
            advance(len(batch))
    return results


# (path, relative_path, sha256, format) per file: plain values, because a task runner that
# ships parameters to other processes (Dask) rebuilt the FileToParse records as plain tuples.
ListedFile = tuple[str, str, str, str]


@task(name="parse-batch-listed", cache_policy=NO_CACHE)
def parse_listed(files: list[ListedFile]) -> tuple[pl.DataFrame, list[FileOutcome]]:
    """`parse` of files that are read where the task runs (a process pool, a Dask worker)."""
    return parse_batch([FileToParse(*file) for file in files])


@task(name="validate", cache_policy=NO_CACHE)
def validate(metrics: pl.DataFrame) -> ValidationResult:
    tick("validate", 0, 1, "validate: %s measurements", f"{metrics.height:,}")
    result = validate_metrics(metrics)
    report_progress(
        "validate",
        1,
        1,
        "validate: %s measurements passed, %s quarantined",
        f"{result.metrics.height:,}",
        f"{result.quarantine.height:,}",
    )
    return result


def _is_transport_error(task, task_run, state) -> bool:
    # Retry what a network or server hiccup caused, not a missing model or an oversized prompt;
    # the guard has its own retry loop.
    try:
        state.result()
    except BackendError as error:
        return error.retryable
    except Exception:
        return False
    return False


@functools.cache
def code_sha256() -> str:
    """The sha256 of the project's code (tasks/: its Python, persona texts, scenarios and
    aliases). A cached agent result is a pickle of this code's classes, checked by its guard:
    one made by other code could not be read (a changed class) or would publish what the
    guard now rejects, so a change of code is a change of key. Reading and hashing the files
    takes a few milliseconds."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".py", ".md", ".toml", ".csv"} and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def agent_cache_key(_context: object, parameters: dict) -> str:
    """What determines an agent's result, so that a re-run on unchanged inputs asks no model:
    the findings' content (their table's sha256, not the frame), the persona and the words it
    is given, the options (seed included), backend, model, guard retries, which run of the
    flow run it is (--runs N asks the model N times on purpose), and the code (code_sha256)."""
    persona = PERSONAS[parameters["agent"]]
    determined_by = {
        "code_sha256": code_sha256(),
        "findings_sha256": parameters["findings_sha256"],
        "persona": persona.name,
        "instructions": instructions(persona),
        "options": parameters["options"].to_ollama(),
        "backend": parameters["backend"],
        "model": parameters["model"],
        "max_retries": parameters["max_retries"],
        "run": parameters["run"],
    }
    return hashlib.sha256(json.dumps(determined_by, sort_keys=True).encode()).hexdigest()


# Cached results persist in Prefect's local result storage (PREFECT_LOCAL_STORAGE_PATH), so they
# outlive the temporary server of a one-off run.
AGENT_CACHE = CacheKeyFnPolicy(cache_key_fn=agent_cache_key)


@task(
    name="agent",
    cache_policy=AGENT_CACHE,
    persist_result=True,
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_is_transport_error,
    task_run_name="agent-{agent}",
)
def agent(
    agent: str,
    findings: pl.DataFrame,
    options: ModelOptions,
    backend: str,
    model: str | None,
    max_retries: int,
    findings_sha256: str,
    run: int = 1,
) -> AgentResult:
    chat = select_backend(backend, model)  # type: ignore[arg-type]  # validated by the flow

    def on_draft(draft: int, most: int) -> None:
        report_progress(
            f"agent {agent}",
            draft - 1,
            most,
            "agent %s: draft %d of at most %d",
            agent,
            draft,
            most,
            unit="drafts",
        )

    result = run_agent(
        chat, PERSONAS[agent], findings, options, max_retries=max_retries, on_draft=on_draft
    )
    drafts, published = len(result.calls), sum(map(len, result.claims.values()))
    report_progress(
        f"agent {agent}",
        drafts,
        drafts,
        "agent %s: %d drafts, %d claims published",
        agent,
        drafts,
        published,
        unit="drafts",
    )
    return result
