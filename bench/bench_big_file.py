"""Peak memory and time of one big CSV, through parsing alone and through a whole run.

In: --mb (the CSV's size, 50 by default), --stage (parse, run or both). The script writes a
sweep CSV of that size (timestamp, model, num_gpu, num_ctx, temperature, run and five metric
columns, about 80 bytes a line: 50 MB is some 620,000 data rows, 3.1 million metric values),
then runs each stage in a fresh child process, so the RSS high-water mark belongs to it alone:
- parse: tasks.parse.batch.parse_batch on the one file, as an ingest worker would;
- run: the benchmark-report flow on a folder holding only that file, on its own temporary
  Prefect server, agents deferred (no model call: this measures the data path).
Out (stdout): per stage, seconds, metric rows and the peak RSS in MB.

    python bench/bench_big_file.py --mb 50
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
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
        from flows.benchmark_report import benchmark_report

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
    }


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
            )


if __name__ == "__main__":
    main()
