"""The operations subcommands of `chimera`, for a team running a Prefect server:

    chimera watch FOLDER [FOLDER ...] [--state-dir DIR] [--quiet SECONDS] [--poll]
        announce each new or changed benchmark file (CSV, JSON, Markdown) to the server as a
        `chimera.benchmark.file.created` event; the on-new-files deployment reacts to it.
    chimera lineage REPORT [--json]
        list the tables and source files behind a report, from the server's asset events.

Both talk to the server named by PREFECT_API_URL (and PREFECT_API_AUTH_STRING when it has one).
`add_watch_parser` and `add_lineage_parser` register them on the main parser; each sets a
`handler` default that takes the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

DEFAULT_STATE_DIR = Path("~/.chimera/watch")


def add_watch_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    watch = subparsers.add_parser(
        "watch", help="emit an event to the Prefect server for each new benchmark file"
    )
    watch.add_argument("folders", nargs="+", type=Path, help="benchmark folders to watch")
    watch.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE_DIR,
        help="where unsent events and announced hashes are kept (default: %(default)s)",
    )
    watch.add_argument(
        "--quiet",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="announce a folder's files once it has had no change for this long",
    )
    watch.add_argument(
        "--poll", action="store_true", help="poll instead of OS notifications (network shares)"
    )
    watch.set_defaults(handler=run_watch)
    return watch


def add_lineage_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    lineage = subparsers.add_parser(
        "lineage", help="list the tables and source files behind a report"
    )
    lineage.add_argument("report", help="a report path, e.g. out/reports/combined.md, or its key")
    lineage.add_argument("--json", action="store_true", help="print JSON instead of text")
    lineage.set_defaults(handler=run_lineage)
    return lineage


def run_watch(args: argparse.Namespace) -> int:
    from tasks.watch import EventPoster, FolderWatcher, WatchOptions

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for chatty in ("watchfiles", "httpx"):  # one line per notice or request is noise here
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        poster = EventPoster.from_prefect_settings()
        watcher = FolderWatcher(
            folders=args.folders,
            state_dir=args.state_dir.expanduser(),
            poster=poster,
            options=WatchOptions(quiet_s=args.quiet, force_polling=args.poll),
        )
    except ValueError as error:
        print(f"chimera watch: {error}", file=sys.stderr)
        return 2
    watcher.run()
    return 0


def run_lineage(args: argparse.Namespace) -> int:
    from tasks.lineage.keys import path_of
    from tasks.lineage.query import read_lineage

    lineage = read_lineage(args.report)
    if lineage is None:
        print(
            f"chimera lineage: no materialization of {args.report} on the server "
            "(was it written by a flow run against this server, within the event retention?)",
            file=sys.stderr,
        )
        return 1
    tables = [path_of(key) for key in lineage.tables]
    sources = [path_of(key) for key in lineage.sources]
    if args.json:
        print(
            json.dumps(
                {
                    "report": path_of(lineage.report),
                    "flow_run_id": lineage.flow_run_id,
                    "materialized_at": lineage.materialized_at.isoformat(),
                    "tables": tables,
                    "sources": sources,
                },
                indent=2,
            )
        )
        return 0
    print(f"report: {path_of(lineage.report)}")
    print(f"written by flow run {lineage.flow_run_id} at {lineage.materialized_at.isoformat()}")
    print(f"tables ({len(tables)}):")
    print("".join(f"  {path}\n" for path in tables), end="")
    print(f"source files ({len(sources)}):")
    print("".join(f"  {path}\n" for path in sources), end="")
    return 0
