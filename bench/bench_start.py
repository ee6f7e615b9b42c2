"""How long a one-off `chimera run` takes beside its stages: with Prefect's temporary server, and
reporting to a local server that `chimera server start` left running.

In: --corpus (a folder of benchmark files; default: the sample corpus, written to a temporary
folder), --repeats, --cached-agents (also time a re-run with the agents, whose results come from
Prefect's cache: the run before it asks the embedded model once). Every run is a fresh
`chimera` process with its own Prefect home (database, result storage) in a temporary folder,
so nothing of the user's is read or written. Out (stdout): per run, the wall seconds of the
process, the seconds its stages report (discover ... findings, as `--json` prints them) and the
rest (imports, the Prefect server, task runs, reports, exit); then the median of each setting.

    python bench/bench_start.py --corpus ../shared/corpus/chimeraforge --repeats 5 --cached-agents
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def chimera(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )


def timed_run(environment: dict[str, str], corpus: Path, out: Path, agents: str) -> dict:
    """One `chimera run ... --json`: wall seconds, the stages' seconds and model calls."""
    started = time.perf_counter()
    done = chimera(
        environment, "run", str(corpus), "--out", str(out), "--agents", agents,
        "--backend", "embedded", "--json",
    )  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"chimera run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    summary = json.loads(done.stdout)
    stages = sum(summary["stage_seconds"].values())
    return {
        "wall_s": wall,
        "stages_s": stages,
        "rest_s": wall - stages,
        "stage_seconds": summary["stage_seconds"],
        "model_calls": summary["agent_calls"] - summary["agent_calls_cached"],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def print_runs(setting: str, runs: list[dict]) -> None:
    for i, run in enumerate(runs, start=1):
        print(
            f"{setting} run {i}: {run['wall_s']:.2f} s wall, stages {run['stages_s']:.2f} s "
            f"({', '.join(f'{k} {v:.2f}' for k, v in run['stage_seconds'].items())}), "
            f"the rest {run['rest_s']:.2f} s, model calls {run['model_calls']}",
            flush=True,
        )
    walls = [r["wall_s"] for r in runs]
    print(
        f"{setting}: median {statistics.median(walls):.2f} s wall "
        f"(range {min(walls):.2f}-{max(walls):.2f}), median stages "
        f"{statistics.median(r['stages_s'] for r in runs):.2f} s, median rest "
        f"{statistics.median(r['rest_s'] for r in runs):.2f} s\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="benchmark files (default: the sample)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cached-agents", action="store_true")
    parser.add_argument(
        "--temporary-only",
        action="store_true",
        help="only the temporary server (for code from before `chimera server` existed)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="chimera-bench-start-") as temporary:
        work = Path(temporary)
        environment = {**os.environ, "PREFECT_HOME": str(work / "prefect-home")}
        environment.pop("PREFECT_API_URL", None)
        environment["CHIMERA_LOCAL_SERVER"] = "true"
        corpus = args.corpus
        if corpus is None:
            corpus = work / "sample"
            chimera(environment, "sample", str(corpus)).check_returncode()
        out = work / "out"
        # The first run parses the pile; the timed ones are re-runs, as a scheduled run mostly is.
        timed_run(environment, corpus, out, "off")

        print_runs(
            "temporary server, --agents off",
            [timed_run(environment, corpus, out, "off") for _ in range(args.repeats)],
        )
        if args.temporary_only:
            return 0
        chimera(environment, "server", "start", "--port", str(free_port())).check_returncode()
        try:
            print_runs(
                "local server (chimera server start), --agents off",
                [timed_run(environment, corpus, out, "off") for _ in range(args.repeats)],
            )
            if args.cached_agents:
                timed_run(environment, corpus, out, "now")  # asks the model; cached from here
                print_runs(
                    "local server, --agents now, results cached",
                    [timed_run(environment, corpus, out, "now") for _ in range(args.repeats)],
                )
        finally:
            chimera(environment, "server", "stop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
