"""Worker processes that parse big piles on every core.

Parsing is pure Python and holds the GIL, so parse tasks on threads share one core. On a big
pile the parse tasks hand their batches to a few worker processes, started when the files have
been found, so they load while discover hashes. A worker sends back the batch's MetricSink (plain
lists: 1.3 MB for 1,000 files where the frame pickles to 14 MB) and outcomes, and the parse task
builds the frame; so a worker never imports Polars, and is ready in a fraction of the time. A
small pile is parsed in the calling process: starting workers costs more than it saves. (Hashing
in the workers too was measured and dropped: sending 100,000 inventory rows back doubled the peak
memory and saved no time.)

The workers are plain `python -m tasks.ingest.workers` processes talking pickle over their stdin
and stdout, not a multiprocessing pool: a pool's children re-import the parent's `__main__`
(Prefect's engine or the `chimera` command, several seconds each), and forking the parent would
copy Prefect's threads and Polars' thread pool into the child.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO

from tasks.parse.batch import FileOutcome, FileToParse, parse_files

if TYPE_CHECKING:
    import polars as pl

# bench/bench_ingest_parse.py on 2 cores: a worker imports in about 0.1 s, but starts with cold
# caches (regexes, decoded dimensions, resolved metric names); at 1,000 files two workers took
# 0.52-0.54 s where the calling process took 0.38-0.55 s, so small piles stay in process.
WORKERS_MIN_FILES = 2_000
# Files per parse task: a task run costs about 0.1 s of CPU in Prefect's engine and server, so
# batches are large; still, ten thousand files make ten tasks that the workers share.
BATCH_FILES = 1_000

BatchResult = tuple["pl.DataFrame", list[FileOutcome]]


class WorkerError(RuntimeError):
    """A worker process died or answered garbage; names its exit code and last words."""


class ParseWorkers:
    """A fixed set of worker processes; each call borrows an idle one (thread-safe)."""

    def __init__(self, count: int) -> None:
        self._processes = [_start_worker() for _ in range(count)]
        self._idle: queue.Queue[subprocess.Popen] = queue.Queue()
        for process in self._processes:
            self._idle.put(process)

    @property
    def count(self) -> int:
        return len(self._processes)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes]

    def parse(self, files: Sequence[FileToParse]) -> BatchResult:
        """`parse_batch` of one batch in one worker."""
        process = self._idle.get()
        try:
            pickle.dump(list(files), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.flush()
            answer = pickle.load(process.stdout)
        except (OSError, EOFError, pickle.UnpicklingError) as error:
            raise WorkerError(_died(process, error)) from error
        self._idle.put(process)
        if isinstance(answer, BaseException):
            raise answer
        sink, outcomes = answer
        return sink.to_frame(), outcomes

    def close(self) -> None:
        for process in self._processes:
            if process.stdin and not process.stdin.closed:
                # End of input: the worker exits. One that died already cannot take what is
                # left in the pipe's buffer, and need not.
                with contextlib.suppress(OSError):
                    process.stdin.close()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tasks.ingest.workers"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=tempfile.TemporaryFile(),  # a file, not a pipe: a chatty worker never blocks on it
        env=os.environ | {"PYTHONPATH": _import_path()},
    )


def _import_path() -> str:
    # The worker must import `tasks` from where this process did, installed or not.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)


def _died(process: subprocess.Popen, error: BaseException) -> str:
    process.kill()
    process.wait()
    last_words = "nothing"
    if process.stderr is not None:
        process.stderr.seek(0)
        last_words = process.stderr.read().decode(errors="replace").strip()[-500:] or last_words
    return (
        f"ingest worker (pid {process.pid}) exited with code {process.returncode} "
        f"({type(error).__name__}); its stderr said: {last_words}"
    )


def worker_count(files: int, cpus: int | None = None) -> int:
    """How many worker processes a pile of `files` is worth: 0 means work in process."""
    if cpus is None:
        usable = getattr(os, "sched_getaffinity", None)  # the CPUs this process may run on
        cpus = len(usable(0)) if usable else os.cpu_count() or 1
    return cpus if files >= WORKERS_MIN_FILES and cpus > 1 else 0


@contextlib.contextmanager
def parse_workers(files: int, cpus: int | None = None) -> Iterator[ParseWorkers | None]:
    """Workers sized for a pile of `files`, or None when it is better handled in process."""
    count = worker_count(files, cpus)
    if not count:
        yield None
        return
    workers = ParseWorkers(count)
    try:
        yield workers
    finally:
        workers.close()


def split_batches(
    files: Sequence[FileToParse], max_files: int, workers: int
) -> list[list[FileToParse]]:
    """Equal batches of at most max_files, their count a multiple of the workers, so no worker
    is left parsing a last batch alone while the others wait."""
    count = -(-len(files) // max_files)  # ceiling division
    if workers > 1:
        count = -(-count // workers) * workers
    size = -(-len(files) // count) if count else 0
    return [list(files[i : i + size]) for i in range(0, len(files), size)] if size else []


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """The worker's loop: a pickled list of files in, a pickled (sink, outcomes) out, until EOF."""
    while True:
        try:
            files = pickle.load(requests)
        except EOFError:
            return
        try:
            answer: object = parse_files(files)
        except Exception as error:  # parse_batch reports bad files itself; this is a bug
            answer = error
        pickle.dump(answer, answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    # Only pickles go to the real stdout; anything printed by accident goes to stderr.
    answers, sys.stdout = sys.stdout.buffer, sys.stderr
    serve(sys.stdin.buffer, answers)
