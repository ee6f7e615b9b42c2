"""The integration tests' server, shared by their modules: one per database, for the session.

`database` runs every test that uses the server on SQLite, then on PostgreSQL (a module may pin
one with `pytest.mark.parametrize("database", [...], indirect=True)`); pytest orders the tests
so that each server starts once and is stopped, with everything started beside it, before the
next one starts, or when a test fails.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import missing_part
from tests.integration.postgres import PostgresServer, postgres_bin_dir, start_postgres
from tests.integration.processes import free_port
from tests.integration.servers import (
    DATABASES,
    Deployed,
    Server,
    deploy,
    server_processes,
    start_server,
)


@pytest.fixture(scope="session", params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    return request.param


def postgres_binaries() -> Path:
    """PostgreSQL's server binaries, or a skip that says how to install them."""
    found = postgres_bin_dir()
    if found is None:
        missing_part(
            "needs PostgreSQL's server (apt-get install postgresql); .ci/run installs it",
            "CHIMERA_REQUIRE_POSTGRESQL",
        )
    return found


@pytest.fixture(scope="session")
def server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    postgres_bin = postgres_binaries() if database == "postgresql" else None
    root = tmp_path_factory.mktemp(f"prefect_server_{database}")
    port = free_port()
    processes = server_processes(root, port, f"chimera:{secrets.token_hex(8)}")
    postgres: PostgresServer | None = None
    try:
        if postgres_bin is not None:
            postgres = start_postgres(processes, postgres_bin)
        yield start_server(database, processes, port, postgres.url if postgres else None)
    finally:
        processes.stop_all()  # newest first: workers and the server before PostgreSQL
        if postgres is not None:
            postgres.remove()


@pytest.fixture(scope="session")
def deployed(server: Server) -> Deployed:
    return deploy(server)
