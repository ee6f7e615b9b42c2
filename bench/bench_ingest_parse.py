"""Benchmark the ingest (discover) and parse stages on generated corpora of growing size.

In: --sizes (file counts), --repeats. For each size the script writes a sample corpus of exactly
that many files with tasks.samples.write_sample_corpus, then runs it --repeats times, each time in
a fresh child process, as `chimera run` would: the child starts Prefect's local server on a
temporary database and runs a small flow against it that calls the product's own stages 1-2
(flows.ingest.ingest): one discover task, then parse tasks over batches of --batch-files files,
in worker processes when the pile is big enough. So imports, Prefect's first task run and the
parsers' caches start cold in every run, and the RSS high-water mark belongs to that run alone.
Out (stdout): per run, stage, files, metric rows, seconds, files/s and rows/s, the peak RSS, and
the number of Prefect task runs the server recorded for the flow run; then a summary with the
median run of each size and the files/s of every run (on a shared 2-core machine one run of a
sub-second pile can be a third slower than the next).
--against DIR also runs the child of another checkout of this project (a git worktree of an
earlier commit: `git worktree add /tmp/before ce31333`) on the same corpora, its run and this
code's alternating, so that both meet the machine in the same state; the summary then gives
each size's medians side by side (files/s and parse seconds; each of its runs also prints its
peak RSS and CPU): an older child reports no more.

    python bench/bench_ingest_parse.py --sizes 1000 10000 100000 --repeats 5
    python bench/bench_ingest_parse.py --sizes 1000 10000 100000 --repeats 3 --against /tmp/before
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tasks.choices import PARSE_RUNNERS
from tasks.ingest.workers import BATCH_FILES

# Offline hygiene, set before Prefect is imported: no telemetry, a patient ephemeral server.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

TASK_RUN_PAGE = 200  # the server's default page size for task-run queries


# --- parent: write the corpora, run one child per size, print the figures ---------------------


def write_corpus(dest: Path, size: int, seed: int) -> tuple[int, float]:
    """Write exactly `size` sample files under dest; return (files, seconds)."""
    from tasks.samples import write_sample_corpus

    started = time.perf_counter()
    per_pile = len(write_sample_corpus(dest / "probe", seed=seed))
    shutil.rmtree(dest / "probe")
    files = write_sample_corpus(dest / "corpus", copies=math.ceil(size / per_pile), seed=seed)
    for extra in files[size:]:  # trim the last pile so every size is exact
        extra.unlink()
    return min(size, len(files)), time.perf_counter() - started


def run_child(
    corpus: Path, args: argparse.Namespace, result: Path, code: Path | None = None
) -> dict:
    """One run in a fresh process: this checkout's child, or that of the checkout at `code`
    (its own script and packages, with the options every version of the child takes)."""
    script = code / "bench" / Path(__file__).name if code else Path(__file__)
    command = [
        sys.executable,
        str(script),
        "--child",
        str(corpus),
        "--result",
        str(result),
        "--batch-files",
        str(args.batch_files),
        "--workers",
        str(args.workers),
        "--runner",
        args.runner,
    ]
    if args.cpus is not None and code is None:
        command += ["--cpus", str(args.cpus)]
    if args.tracemalloc and code is None:
        command.append("--tracemalloc")
    command += ["--settle", str(args.settle)]
    env = None if code is None else {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=code)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0 or not result.exists():
        tail = (completed.stdout + completed.stderr)[-4000:]
        raise RuntimeError(f"benchmark child failed (exit {completed.returncode}):\n{tail}")
    # CPU of the whole run (the child, its Prefect server and parse workers, imports and server
    # start included): steadier than wall time on a shared machine, where other work stretches
    # the wall clock but not the CPU a run needs.
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return json.loads(result.read_text()) | {"run_cpu_s": cpu_s}


def _rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "-"


def print_size(size: int, run: str, figures: dict) -> None:
    discover_s, parse_s = figures["discover_s"], figures["parse_s"]
    total_s = discover_s + parse_s
    rows = figures["metric_rows"]
    print(f"\n== {size:,} files, {run} ==")
    print(
        f"{'stage':<10}{'files':>10}{'metric rows':>14}{'seconds':>10}{'files/s':>10}{'rows/s':>12}"
    )
    print(
        f"{'discover':<10}{figures['files']:>10,}{'-':>14}{discover_s:>10.2f}"
        f"{_rate(figures['files'], discover_s):>10}{'-':>12}"
    )
    print(
        f"{'parse':<10}{figures['parsed_files']:>10,}{rows:>14,}{parse_s:>10.2f}"
        f"{_rate(figures['parsed_files'], parse_s):>10}{_rate(rows, parse_s):>12}"
    )
    print(
        f"{'both':<10}{figures['files']:>10,}{rows:>14,}{total_s:>10.2f}"
        f"{_rate(figures['files'], total_s):>10}{_rate(rows, total_s):>12}"
    )
    print(f"of parse, the pile step (model identity, roles, copies): {figures['resolve_s']:.2f} s")
    print(
        f"CPU of the whole run (child, Prefect server, workers; start-up included): "
        f"{figures['run_cpu_s']:.1f} s"
    )
    print(f"file status: {', '.join(f'{k} {v:,}' for k, v in sorted(figures['status'].items()))}")
    print(
        f"CPU of the flow process's other threads during the stages: "
        f"{figures['other_threads_cpu_s']:.2f} s (Prefect's client threads; with workers, also "
        f"the threads feeding them)"
    )
    print(
        f"peak RSS: {figures['peak_rss_mb']:,.0f} MB (after imports and server start: "
        f"{figures['rss_before_mb']:,.0f} MB; largest child process, i.e. the Prefect server "
        f"or a parse worker: {figures['children_peak_rss_mb']:,.0f} MB)"
        + (
            f"; Python heap peak during the stages: {figures['tracemalloc_peak_mb']:,.0f} MB"
            if figures.get("tracemalloc_peak_mb") is not None
            else ""
        )
    )
    print(
        f"Prefect task runs: {figures['task_runs']} recorded by the server "
        f"(1 discover + {figures['parse_task_runs']} parse task runs over {figures['batches']} "
        f"batches of <= {figures['batch_files']} files, "
        f"parsed in {_parse_processes(figures['parse_processes'])}); "
        f"server start {figures['server_start_s']:.1f} s, task runs visible after "
        f"{figures['count_s']:.1f} s more"
    )


def _parse_processes(workers: int) -> str:
    return f"{workers} worker processes" if workers else "the flow's process"


def files_per_s(figures: dict) -> float:
    return figures["files"] / (figures["discover_s"] + figures["parse_s"])


def print_against(size: int, run: str, code: Path, figures: dict) -> None:
    print(
        f"\n== {size:,} files, {run}, the code at {code} ==\n"
        f"both {files_per_s(figures):,.0f} files/s (discover {figures['discover_s']:.2f} s, "
        f"parse {figures['parse_s']:.2f} s), {figures['metric_rows']:,} metric rows, "
        f"peak RSS {figures['peak_rss_mb']:,.0f} MB, run CPU {figures['run_cpu_s']:.1f} s"
    )


def print_comparison(code: Path, results: list[tuple[int, list[dict], list[dict]]]) -> None:
    print(f"\n== this code against the code at {code}: the median run of each size ==")
    print(
        f"{'files':>9}{'there files/s':>15}{'here files/s':>14}{'here vs there':>15}"
        f"{'there parse s':>15}{'here parse s':>14}   all runs files/s: there; here"
    )
    for size, here, there in results:
        mine, theirs = _median_run(here), _median_run(there)
        change = files_per_s(mine) / files_per_s(theirs) - 1
        print(
            f"{size:>9,}{files_per_s(theirs):>15,.0f}{files_per_s(mine):>14,.0f}"
            f"{change:>+14.0%} {theirs['parse_s']:>14.2f}{mine['parse_s']:>14.2f}   "
            + ", ".join(f"{files_per_s(r):,.0f}" for r in there)
            + "; "
            + ", ".join(f"{files_per_s(r):,.0f}" for r in here)
        )


def _median_run(runs: list[dict]) -> dict:
    return sorted(runs, key=files_per_s)[len(runs) // 2]


def print_summary(results: list[tuple[int, list[dict]]]) -> None:
    print("\n== summary: the median run of each size; files/s of every run in the last column ==")
    print(
        f"{'files':>9}{'metric rows':>13}{'discover s':>12}{'parse s':>10}"
        f"{'files/s':>10}{'rows/s':>11}{'peak RSS MB':>13}{'task runs':>11}{'run CPU s':>11}"
        "   all runs files/s"
    )
    for size, runs in results:
        f = _median_run(runs)
        total_s = f["discover_s"] + f["parse_s"]
        every = ", ".join(f"{files_per_s(run):,.0f}" for run in runs)
        print(
            f"{size:>9,}{f['metric_rows']:>13,}{f['discover_s']:>12.2f}{f['parse_s']:>10.2f}"
            f"{_rate(f['files'], total_s):>10}{_rate(f['metric_rows'], total_s):>11}"
            f"{max(r['peak_rss_mb'] for r in runs):>13,.0f}{f['task_runs']:>11}"
            f"{f['run_cpu_s']:>11.1f}   {every}"
        )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.parse_runner:
        os.environ["CHIMERA_PARSE_RUNNER"] = args.parse_runner  # the children inherit it
    if args.child:
        child(Path(args.child), args)
        return
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, runner {args.runner} "
        f"x{args.workers}, {args.batch_files} files per parse task, {args.repeats} runs per size, "
        f"parsed on {os.environ.get('CHIMERA_PARSE_RUNNER', 'workers')}"
        + (f", stages {args.settle:g} s into the flow run" if args.settle else "")
    )
    results = []
    compared = []
    against = Path(args.against).resolve() if args.against else None
    workdir = Path(args.workdir) if args.workdir else None
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench_ingest_", dir=workdir) as tmp:
            files, generate_s = write_corpus(Path(tmp), size, args.seed)
            print(f"\n{files:,} files written in {generate_s:.1f} s")
            runs, their_runs = [], []
            for run in range(1, args.repeats + 1):
                label = f"run {run} of {args.repeats}"
                if against:
                    result = Path(tmp) / f"against_{run}.json"
                    figures = run_child(Path(tmp) / "corpus", args, result, against)
                    print_against(files, label, against, figures)
                    their_runs.append(figures)
                print("load average before: " + _load())
                figures = run_child(Path(tmp) / "corpus", args, Path(tmp) / f"result_{run}.json")
                print_size(files, label, figures)
                runs.append(figures)
        results.append((files, runs))
        compared.append((files, runs, their_runs))
    print_summary(results)
    if against:
        print_comparison(against, compared)


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# --- child: one size, one Prefect flow run ------------------------------------------------------


def _max_rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def child(corpus: Path, args: argparse.Namespace) -> None:
    """One run, in this fresh process, against a local server of its own."""
    import tracemalloc

    from prefect import flow
    from prefect.runtime import flow_run
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
    from prefect.testing.utilities import prefect_test_harness

    from flows.ingest import ingest

    runner = (
        ThreadPoolTaskRunner(max_workers=args.workers)
        if args.runner == "thread"
        else ProcessPoolTaskRunner(max_workers=args.workers)
    )

    @flow(name="bench-ingest-parse", task_runner=runner)
    def ingest_and_parse(sources: list[Path], batch_files: int) -> dict:
        # --cpus 1: all in the flow's process, as for a small pile; default: as the flow decides.
        time.sleep(args.settle)
        process_cpu, flow_thread_cpu = time.process_time(), time.thread_time()
        ingested = ingest(sources, None, None, batch_files=batch_files, cpus=args.cpus)
        # CPU the flow process spent beside the flow's own thread while the stages ran: Prefect's
        # client threads (at a flow run's start they build their API clients) and, with
        # workers, the parse tasks' threads that feed them.
        other_cpu = (time.process_time() - process_cpu) - (time.thread_time() - flow_thread_cpu)
        files = ingested.files
        return {
            "flow_run_id": str(flow_run.id),
            "files": files.height,
            "parsed_files": ingested.files_parsed,
            "metric_rows": ingested.parsed.height,
            "status": dict(files.group_by("status").len().iter_rows()),
            "batches": ingested.batches,
            "parse_processes": ingested.workers,
            # the workers parse every batch in one task run; other runners run one per batch
            "parse_task_runs": 1 if ingested.runner == "workers" else ingested.batches,
            "discover_s": ingested.seconds["discover"],
            "parse_s": ingested.seconds["parse"],
            "resolve_s": ingested.seconds["resolve"],
            "other_threads_cpu_s": other_cpu,
        }

    started = time.perf_counter()
    with prefect_test_harness(server_startup_timeout=None):
        server_start_s = time.perf_counter() - started
        rss_before = _max_rss_mb(resource.RUSAGE_SELF)
        if args.tracemalloc:
            tracemalloc.start()
        figures = ingest_and_parse([corpus], args.batch_files)
        heap_peak = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
        counting = time.perf_counter()
        task_runs = count_task_runs(figures["flow_run_id"], expected=1 + figures["parse_task_runs"])
        figures |= {
            "rss_before_mb": rss_before,
            "peak_rss_mb": _max_rss_mb(resource.RUSAGE_SELF),
            "children_peak_rss_mb": _max_rss_mb(resource.RUSAGE_CHILDREN),
            "tracemalloc_peak_mb": heap_peak,
            "batch_files": args.batch_files,
            "task_runs": task_runs,
            "server_start_s": server_start_s,
            "count_s": time.perf_counter() - counting,
        }
    Path(args.result).write_text(json.dumps(figures))


def count_task_runs(flow_run_id: str, expected: int) -> int:
    """Task runs the server recorded for the flow run.

    The server builds task runs from events it receives asynchronously, so poll until the count
    reaches what was submitted or stops growing for a while.
    """
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_filter = FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
    count, last_change = -1, time.monotonic()
    with get_client(sync_client=True) as client:
        while True:
            seen, offset = 0, 0
            while True:
                page = client.read_task_runs(
                    flow_run_filter=run_filter, limit=TASK_RUN_PAGE, offset=offset
                )
                seen += len(page)
                offset += TASK_RUN_PAGE
                if len(page) < TASK_RUN_PAGE:
                    break
            if seen != count:
                count, last_change = seen, time.monotonic()
            if count >= expected or time.monotonic() - last_change > 30:
                return count
            time.sleep(0.5)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--repeats", type=int, default=3, help="runs per size, each in a fresh process"
    )
    parser.add_argument(
        "--batch-files", type=int, default=BATCH_FILES, help="files per parse task (as the flow)"
    )
    parser.add_argument("--workers", type=int, default=2, help="task runner workers")
    parser.add_argument("--runner", choices=("thread", "process"), default="thread")
    parser.add_argument(
        "--cpus",
        type=int,
        help="CPUs the parse stage may use (1: parse in the flow's process); default: all usable",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds the flow waits before the stages, past Prefect's client start-up "
        "(default 0: the stages start with the flow run, as in `chimera run`)",
    )
    parser.add_argument(
        "--parse-runner",
        choices=PARSE_RUNNERS,
        help="where a big pile's batches are parsed (sets CHIMERA_PARSE_RUNNER; default: the "
        "flow's default, workers); dask: a local cluster of worker processes",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", help="where the temporary corpora go (default: system temp)")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace the Python heap peak (slower)"
    )
    parser.add_argument(
        "--against",
        help="another checkout of this project (e.g. a git worktree of an earlier commit) whose "
        "child runs on the same corpora, alternating with this code's",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main()
