"""`chimera server start|stop|status`: a local Prefect server that later runs reuse.

    chimera server start [--port 4200]   start it in the background (or find it running)
    chimera server status                say whether it answers, and where
    chimera server stop                  stop it

A run without PREFECT_API_URL uses this server when it answers (tasks/local_server.py says why:
it saves the temporary server's start, about 3 s of each run), and its flow runs stay in the
server's UI. `add_server_parser` registers the command on the main parser.
"""

from __future__ import annotations

import argparse
import sys

from tasks.local_server import DEFAULT_PORT


def add_server_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    server = subparsers.add_parser(
        "server",
        help="start, stop or check a local Prefect server that runs reuse (a faster start)",
        description="Prefect's background server on 127.0.0.1, left running between runs: a run "
        "without PREFECT_API_URL reports to it when it answers, instead of starting a temporary "
        "server of its own (about 3 s faster), and its flow runs stay in the server's UI at the "
        "address `start` prints.",
    )
    actions = server.add_subparsers(dest="action", required=True)
    start = actions.add_parser("start", help="start the local server in the background")
    start.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port on 127.0.0.1 (default: %(default)s)"
    )
    actions.add_parser("stop", help="stop the local server")
    actions.add_parser("status", help="say whether the local server answers")
    server.set_defaults(handler=run_server)
    return server


def run_server(args: argparse.Namespace) -> int:
    from tasks.local_server import (
        LocalServerError,
        recorded_url,
        running_server_url,
        start_local_server,
        stop_local_server,
    )

    try:
        if args.action == "start":
            url = start_local_server(args.port)
            print(
                f"chimera: Prefect server running at {url.removesuffix('/api')}; runs without "
                "PREFECT_API_URL use it (stop it with `chimera server stop`)"
            )
        elif args.action == "stop":
            noted = stop_local_server()
            print("chimera: local Prefect server stopped" if noted else "chimera: none was noted")
        else:
            url = running_server_url()
            if url:
                print(f"chimera: local Prefect server answers at {url}")
            else:
                noted = recorded_url()
                print(
                    f"chimera: no local Prefect server answers"
                    f"{f' at {noted}' if noted else ''}; runs start a temporary one"
                )
                return 1
    except LocalServerError as error:
        print(f"chimera: {error}", file=sys.stderr)
        return 1
    return 0
