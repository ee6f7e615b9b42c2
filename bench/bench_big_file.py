"""Peak memory and time of one big CSV, through parsing alone and through a whole run.

In: --mb (the CSV's size, 50 by default), --stage (parse, run or both). The script writes a
sweep CSV of that size (timestamp, model, num_gpu, num_ctx, temperature, run and five metric
columns, about 80 bytes a line: 50 MB is some 620,000 data rows, 3.1 million metric values),
then runs each stage in a fresh child process, so the RSS high-water mark belongs to it alone:
- parse: tasks.parse.batch.parse_batch on the one file, as an ingest worker would;
- run: the benchmark-report flow on a folder holding only that file, on its own temporary
  Prefect server, started as `chimera run` starts it (tasks.temporary_server: Prefect's server
  package stays out of the run's process), agents deferred (no model call: this measures the
  data path).
Out (stdout): per stage, seconds, metric rows and the peak RSS in MB (for the run also the
highest RSS of its child processes while it ran, summed: the temporary Prefect server, which
the machine holds beside it; sampled every 20 ms); for the whole run also each step of it as
its progress events name it (discover, parse, resolve, validate, findings, runs, summary,
publish): when its first event came, the RSS then and the highest RSS until the next step's
first event (sampled every 20 ms), so a memory target can be traced to a step.
What reports no step of its own counts to the step before it: the measurements the analysis
counts (worked out once a run) and the run history to validate;
writing the tables and run 1's reports to findings (with the agents deferred, "runs" reports
only when run 1's reports are written). The sampler costs the run a little time.

    python bench/bench_big_file.py --mb 50
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

HEADER = (
    "timestamp,model,num_gpu,num_ctx,temperature,run,"
    "tokens_per_s,ttft_ms,load_ms,eval_count,total_ms\n"
)


def write_big_csv(path: Path, megabytes: float, seed: int = 0) -> int:
    """A sweep CSV of about `megabytes`; returns its data rows."""
    rng = random.Random(seed)
    models = ["llama3.1:8b-instruct-q4_0", "gemma3:270m", "qwen2.5:7b"]
    limit = int(megabytes * 1_000_000)
    rows = 0
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        written = len(HEADER)
        while written < limit:
            lines = []
            for _ in range(1000):
                model = models[rows % len(models)]
                gpu, ctx, temp = rng.choice((0, 40, 999)), rng.choice((2048, 4096)), 0.2
                tps = rng.gauss(60 if gpu else 12, 3)
                line = (
                    f"2025-10-0{1 + rows % 9}T12:{rows % 60:02d}:00,{model},{gpu},{ctx},{temp},"
                    f"{rows % 10},{tps:.2f},{rng.gauss(90, 9):.1f},{rng.gauss(900, 50):.1f},"
                    f"{rng.randint(100, 300)},{rng.gauss(4000, 300):.1f}\n"
                )
                lines.append(line)
                rows += 1
            chunk = "".join(lines)
            handle.write(chunk)
            written += len(chunk)
    return rows


def child(stage: str, folder: Path) -> dict:
    started = time.perf_counter()
    if stage == "parse":
        import hashlib

        from tasks.parse.batch import FileToParse, parse_batch

        path = next(folder.glob("*.csv"))
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        frame, _ = parse_batch([FileToParse(str(path), path.name, sha, "csv")])
        rows = frame.height
    else:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.benchmark_report import benchmark_report
        from tasks.temporary_server import TemporaryServer

        server = TemporaryServer()  # as `chimera run` starts it, out of this process
        with (
            temporary_settings(updates={PREFECT_API_URL: server.api_url()}),
            StepMemory() as steps,  # also samples the server's RSS
        ):
            result = benchmark_report(
                sources=[str(folder)],
                out_dir=str(folder.parent / "out"),
                backend="embedded",
                agents="follow-up",
            )
        rows = result.metrics
    return {
        "stage": stage,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # Its child processes, alive: the server is still running when the run returns, so the
        # kernel's figure for waited-for children would not count it (it held the run's own RSS
        # at the moment a child was forked: 291 MB, where the server was some 225 MB).
        "children_peak_rss_mb": steps.children_peak if stage == "run" else 0,
        "steps": steps.table() if stage == "run" else [],
    }


def _rss_mb(pid: str = "self") -> float:
    with open(f"/proc/{pid}/statm") as statm:  # resident pages, second field
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _children_rss_mb() -> float:
    """The RSS of this process's child processes, summed. A thread or a child that ends between
    the listing and the reading counts as nothing: the sampler thread must not die of it."""
    total = 0.0
    for thread in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            with open(f"/proc/self/task/{thread}/children") as children:
                pids = children.read().split()
            for pid in pids:
                with contextlib.suppress(OSError):
                    total += _rss_mb(pid)
    return total


class StepMemory(logging.Handler):
    """The RSS of each step of a run: the run's progress events say which step is going on
    (tasks.progress); a thread samples the RSS and charges it to the step that began last."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.started = time.perf_counter()
        self.steps: dict[str, dict] = {}
        self.current: str | None = None
        self.children_peak = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def emit(self, record: logging.LogRecord) -> None:
        from tasks.progress import PROGRESS_ATTRIBUTE

        event = getattr(record, PROGRESS_ATTRIBUTE, None)
        if event is None or event.step in self.steps:
            return
        rss = _rss_mb()
        self.steps[event.step] = {
            "step": event.step,
            "began_s": round(time.perf_counter() - self.started, 1),
            "rss_mb": round(rss),
            "max_mb": round(rss),
        }
        self.current = event.step

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.children_peak = max(self.children_peak, round(_children_rss_mb()))
            step = self.steps.get(self.current) if self.current else None
            if step is not None:
                step["max_mb"] = max(step["max_mb"], round(_rss_mb()))

    def table(self) -> list[dict]:
        return list(self.steps.values())

    def __enter__(self) -> StepMemory:
        from tasks.progress import TICK_LOGGER

        ticks = logging.getLogger(TICK_LOGGER)
        self._tick_level = ticks.level
        ticks.setLevel(logging.INFO)  # ticks are dropped below INFO, before any handler
        for logger in (logging.getLogger(), ticks):
            logger.addHandler(self)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        from tasks.progress import TICK_LOGGER

        self._stop.set()
        self._sampler.join()
        ticks = logging.getLogger(TICK_LOGGER)
        ticks.setLevel(self._tick_level)
        for logger in (logging.getLogger(), ticks):
            logger.removeHandler(self)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50)
    parser.add_argument("--stage", choices=["parse", "run", "both"], default="both")
    parser.add_argument("--child", choices=["parse", "run"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder)))
        return
    with tempfile.TemporaryDirectory(prefix="chimera-big-") as temp:
        folder = Path(temp) / "bench"
        folder.mkdir()
        path = folder / "big_sweep.csv"
        data_rows = write_big_csv(path, args.mb)
        print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, {data_rows:,} data rows")
        stages = ["parse", "run"] if args.stage == "both" else [args.stage]
        for stage in stages:
            completed = subprocess.run(
                [sys.executable, __file__, "--child", stage, "--folder", str(folder)],
                capture_output=True,
                text=True,
            )
            if completed.returncode != 0:
                sys.exit(f"{stage} failed:\n{completed.stderr[-3000:]}")
            figures = json.loads(completed.stdout.strip().splitlines()[-1])
            print(
                f"{stage:5}  {figures['seconds']:>6} s  {figures['rows']:>10,} rows  "
                f"peak RSS {figures['peak_rss_mb']:,} MB"
                + (
                    f" (its child processes, the Prefect server: "
                    f"{figures['children_peak_rss_mb']:,} MB)"
                    if stage == "run"
                    else ""
                )
            )
            for step in figures["steps"]:
                print(
                    f"       {step['step']:10} from {step['began_s']:>5} s  RSS then "
                    f"{step['rss_mb']:>6,} MB, highest until the next step {step['max_mb']:>6,} MB"
                )


if __name__ == "__main__":
    main()
