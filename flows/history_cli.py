"""The `chimera history` subcommand: the run history of an output folder, series by series.

    chimera history OUT [--all] [--json]
        each series with two runs or more (--all: every series): its latest value, trend and
        stability, its runs in the data's time order, and its change points.

OUT is an output folder (its history is OUT/history, or CHIMERA_HISTORY_DIR when that is set)
or a history folder itself. `add_history_parser` registers it on the main parser; its handler
takes the parsed arguments and returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_history_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    history = subparsers.add_parser(
        "history", help="list the series of the run history: latest value, trend, change points"
    )
    history.add_argument("out", type=Path, help="an output folder of chimera run, or a history")
    history.add_argument(
        "--all", action="store_true", help="also the series with a single run so far"
    )
    history.add_argument("--json", action="store_true", help="print JSON instead of text")
    history.set_defaults(handler=run_history)
    return history


def _location(out: Path) -> Path:
    from tasks.history.store import PARTITION, history_dir

    if any(entry.name.startswith(f"{PARTITION}=") for entry in out.glob("*")):
        return out  # a history folder itself
    return history_dir(out)


def run_history(args: argparse.Namespace) -> int:
    from tasks.history.listing import list_series, render_listing
    from tasks.history.store import HistoryError, read_history

    location = _location(args.out.expanduser())
    if not location.is_dir():
        print(f"chimera history: no history at {location} (run chimera run first)",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        history = read_history(location)
        listed = list_series(history, everything=args.all)
        total = history.measurements["series_id"].n_unique()
    except HistoryError as error:
        print(f"chimera history: {error}", file=sys.stderr)
        return 1
    if args.json:
        document = {
            "history": str(location),
            "runs": history.runs.height,
            "series_total": total,
            "series": listed,
        }
        print(json.dumps(document, indent=2, default=str))
    else:
        print(render_listing(str(location), history, listed, total))
    return 0
