"""The `chimera` command: run the benchmark-report flow, or write a sample corpus to try it on.

chimera run SOURCE [SOURCE ...] --out DIR [--backend auto|ollama|embedded|replay] [--model NAME]
            [--scenario baseline_vs_chimera|chimera_hetero|chimera_homo] [--runs N]
            [--agents now|follow-up|off] [--force] [--json] [--debug]
chimera sample DIR
chimera history OUT [--all] [--json]
chimera server start [--port 4200] | stop | status
chimera watch ... | chimera lineage ...   (flows/operations_cli.py)
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from flows.history_cli import add_history_parser
from flows.operations_cli import add_lineage_parser, add_watch_parser
from flows.server_cli import add_server_parser
from tasks.choices import AGENTS_WHEN, BACKENDS, MAX_RETRIES, RUNS, SCENARIOS
from tasks.report.layout import HTML_REPORT

if TYPE_CHECKING:  # the flow's module is imported when a run starts, not for --help
    from flows.benchmark_report import RunSummary

# Offline by default: no telemetry attempts, and room for a slow ephemeral-server cold start.
OFFLINE_DEFAULTS = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
}


def _between(lowest: int, highest: int):
    """An argparse type: an integer from lowest to highest."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lowest <= value <= highest:
            raise argparse.ArgumentTypeError(f"{value} is not from {lowest} to {highest}")
        return value

    return parse


def _environment_help() -> str:
    from tasks.settings import ChimeraSettings

    lines = [
        "examples:",
        "  chimera sample bench && chimera run bench --out report",
        "  chimera run /srv/bench --out /srv/report --backend ollama --model llama3.1:8b --runs 3",
        "  chimera run bench --out report --agents off --json",
        "",
        "environment (tasks/settings.py):",
    ]
    for name, field in ChimeraSettings.model_fields.items():
        aliases = field.validation_alias.choices if field.validation_alias else []
        names = " or ".join(map(str, aliases)) or f"CHIMERA_{name.upper()}"
        lines.append(f"  {names}: {field.description} (default {field.default})")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chimera", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="run the benchmark-report flow",
        epilog=_environment_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("sources", nargs="+", type=Path, help="folders of benchmark files")
    run.add_argument("--out", required=True, type=Path, help="output folder")
    run.add_argument("--backend", choices=BACKENDS, default="auto")
    run.add_argument("--model", help="Ollama model, embedded model name or path to a GGUF file")
    run.add_argument(
        "--scenario",
        default="baseline_vs_chimera",
        choices=SCENARIOS,
    )
    run.add_argument(
        "--runs",
        type=_between(*RUNS),
        default=1,
        help="how many times the agents run (%(default)s)",
    )
    run.add_argument("--config", type=Path, help="TOML file of per-scenario agent options")
    run.add_argument(
        "--max-retries",
        type=_between(*MAX_RETRIES),
        default=2,
        help="guard retries per draft (%(default)s)",
    )
    run.add_argument("--json", action="store_true", help="print the run's summary as JSON")
    run.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    run.add_argument(
        "--force",
        action="store_true",
        help="move aside tables/, quality/ and reports/ in --out that chimera did not write",
    )
    run.add_argument(
        "--agents",
        choices=AGENTS_WHEN,
        default="now",
        help="now (default): the agents run; follow-up: publish the tables and a report whose "
        "agent sections come from the findings, without asking a model (in the on-new-files "
        "deployment a trigger then starts a run that does); off: no model at all",
    )
    run.add_argument(
        "--measure-concurrency",
        action="store_true",
        help="also run A then B sequentially, to measure the speedup",
    )

    sample = commands.add_parser("sample", help="write the built-in sample benchmark corpus")
    sample.add_argument("dest", type=Path)
    sample.add_argument("--copies", type=int, default=1)
    sample.add_argument("--seed", type=int, default=0)

    add_watch_parser(commands)
    add_lineage_parser(commands)
    add_history_parser(commands)
    add_server_parser(commands)
    return parser


def _run(args: argparse.Namespace) -> int:
    from tasks.agents.backends import BackendError, check_backend
    from tasks.agents.backends.base import ModelChoiceError
    from tasks.ingest.discover import SourceError, check_sources
    from tasks.orphan_servers import mark_run, stop_orphaned_servers
    from tasks.out_dir import OutDirError, check_out_dir

    stopped = stop_orphaned_servers()
    if stopped:
        print(
            f"chimera: stopped {len(stopped)} temporary Prefect server(s) left running by a "
            f"killed run (pid {', '.join(map(str, stopped))})",
            file=sys.stderr,
        )
    mark_run()  # so that the next run can do the same for this one's server
    try:
        check_sources(args.sources)
        check_out_dir(args.sources, args.out)
        if args.agents == "now":  # before any work: a wrong model or no server says so at once
            check_backend(args.backend, args.model)
    except (SourceError, OutDirError, ModelChoiceError) as error:
        print(f"chimera: {error}", file=sys.stderr)
        return 2
    except BackendError as error:
        print(f"chimera: {error}", file=sys.stderr)
        return 1
    api = _prefect_api()  # a temporary server starts while the flow's modules are imported
    from flows.benchmark_report import benchmark_report

    _stop_if_terminated()

    try:
        with api, _progress_display():
            summary = benchmark_report(
                sources=[str(s) for s in args.sources],
                out_dir=str(args.out),
                backend=args.backend,
                model=args.model,
                scenario=args.scenario,
                runs=args.runs,
                config_file=str(args.config) if args.config else None,
                max_retries=args.max_retries,
                measure_concurrency=args.measure_concurrency,
                force=args.force,
                agents=args.agents,
            )
    except Exception as error:
        if args.debug:
            raise
        reason = " ".join(str(error).split()) or type(error).__name__
        print(f"chimera: the run failed: {reason} (--debug shows the traceback)", file=sys.stderr)
        return 1
    print(summary.model_dump_json(indent=2) if args.json else _in_words(summary))
    return 0


def _prefect_api() -> AbstractContextManager[object]:
    """The Prefect API the run reports to: PREFECT_API_URL when set; else the local server
    `chimera server start` left running, when it answers; else Prefect's temporary server,
    started now in a thread and waited for when the run begins."""
    from prefect.settings import PREFECT_API_URL

    from tasks.local_server import running_server_url
    from tasks.settings import settings

    if PREFECT_API_URL.value():
        return nullcontext()
    url = running_server_url() if settings().local_server else None
    if url is not None:
        print(f"chimera: reporting to the local Prefect server at {url}", file=sys.stderr)
        return _reporting_to(lambda: url)
    return _reporting_to(_start_temporary_server())


def _start_temporary_server() -> Callable[[], str]:
    """Start Prefect's temporary server now (tasks.temporary_server), so that its process
    starts while the flow's modules are imported; a function that waits until it answers and
    gives its API address. It is stopped when this process exits."""
    from tasks.temporary_server import TemporaryServer

    server = TemporaryServer()

    def wait() -> str:
        url = server.api_url()
        print(
            f"chimera: reporting to a temporary Prefect server at {url}, stopped when "
            "the run ends (`chimera server start` keeps one running: a faster start)",
            file=sys.stderr,
        )
        return url

    return wait


@contextmanager
def _reporting_to(api_url: Callable[[], str]) -> Iterator[None]:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url()}):
        yield


def _progress_display() -> AbstractContextManager[object]:
    """A live display of the run's progress on a terminal; elsewhere Prefect's log lines."""
    from flows.progress_view import is_interactive, live_progress

    if not is_interactive():
        return nullcontext()
    from rich.console import Console

    return live_progress(Console())


def _agents_in_words(summary: RunSummary) -> str:
    if summary.agents == "off":
        return "agents: off; their sections are rendered from the findings"
    if summary.agents == "follow-up" and summary.follow_up_by:
        return (
            f"agents: deferred to a follow-up run, started by the automation "
            f"{summary.follow_up_by!r}; their sections are rendered from the findings"
        )
    if summary.agents == "follow-up":
        return (
            "agents: deferred, and no follow-up run comes (run again with --agents now); "
            "their sections are rendered from the findings"
        )
    if summary.agents_unavailable:
        return f"agents: {summary.backend} model unavailable: {summary.agents_unavailable}"
    asked = summary.agent_calls - summary.agent_calls_cached
    cached = summary.agent_calls_cached
    reused = f" ({cached} reused from an earlier run)" if cached else ""
    return (
        f"agents: {summary.backend} {summary.model}: {asked} model calls{reused}, "
        f"{summary.claims_published} claims published"
    )


def _in_words(summary: RunSummary) -> str:
    """The run in a few lines: what was read, where the reports are, what to read first."""
    import polars as pl

    from tasks.tables import FINDINGS_TABLE

    out = Path(summary.out_dir)
    lines = [
        f"{summary.files:,} files ({summary.files_parsed:,} parsed this run), "
        f"{summary.metrics:,} measurements ({summary.quarantined:,} quarantined), "
        f"{summary.findings:,} findings",
        _agents_in_words(summary),
        "reports: " + ", ".join(summary.reports),
        "in a browser: " + ", ".join(str(Path(r).with_name(HTML_REPORT)) for r in summary.reports),
        f"tables: {out / 'tables'}; data quality: {out / 'quality' / 'data_quality.md'}",
    ]
    findings = pl.read_parquet(FINDINGS_TABLE.path(out))
    leading = findings.filter(pl.col("kind").is_in(["ranking", "effect"])).sort("rank").head(3)
    lines += ["leading findings:"] + [f"- {s}" for s in leading["statement"]]
    changed = findings.filter(pl.col("kind").is_in(["regression", "improvement"])).sort("rank")
    if changed.height:  # what changed since the last run (tasks.history)
        lines += ["what changed since the last run:"]
        lines += [f"- {s}" for s in changed["statement"].head(5)]
        if changed.height > 5:
            lines += [f"- and {changed.height - 5} more; `chimera history {out}` lists them"]
    return "\n".join(lines)


def _sample(args: argparse.Namespace) -> int:
    from tasks.samples.corpus import write_sample_corpus

    paths = write_sample_corpus(args.dest, copies=args.copies, seed=args.seed)
    print(f"wrote {len(paths)} sample benchmark files under {args.dest}")
    return 0


_TERMINATED: list[int] = []  # the signal that stopped the run, once one has


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    # SystemExit unwinds the run and runs the atexit handlers, among them the one that stops
    # the temporary Prefect server; the default SIGTERM would leave that server running. Noted
    # as well: code between here and the exit may swallow the SystemExit (a library's bare
    # `except` while a module imports) or turn it into another error, and the run must still
    # stop, and exit 128 + the signal.
    _TERMINATED.append(signum)
    raise SystemExit(128 + signum)


def _stop_if_terminated() -> None:
    if _TERMINATED:
        raise SystemExit(128 + _TERMINATED[0])


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    for key, value in OFFLINE_DEFAULTS.items():
        os.environ.setdefault(key, value)
    handler = getattr(args, "handler", None) or {"run": _run, "sample": _sample}[args.command]
    return handler(args)


def entry() -> None:
    """The `chimera` command as a process: main(), then an exit that skips the interpreter's
    teardown of its modules. That teardown (Great Expectations', Prefect's and pydantic's
    objects freed one by one) took 1.3-1.5 s of an 8 s run against a running server on 2 cores,
    after the run had finished; every exit handler (the temporary server's stop, the log
    handlers' flush) still runs first, since this one is registered before all of them."""
    code = 1

    def leave() -> None:  # the last exit handler to run
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + _TERMINATED[0] if _TERMINATED else code)

    atexit.register(leave)
    try:
        code = main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        raise
    except KeyboardInterrupt:
        code = 130
        raise
    sys.exit(code)


if __name__ == "__main__":
    entry()
