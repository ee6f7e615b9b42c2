"""Shared fixtures: the real corpus (skipped when absent) and an offline Prefect environment."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "chimeraforge"

# Offline hygiene for every test process: no telemetry, and a patient ephemeral server.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# Never the developer's local server (`chimera server start`): each test run starts its own.
os.environ["CHIMERA_LOCAL_SERVER"] = "false"
# Cached task results (the agents') in a folder of this test session, never the user's: a test
# must not answer from a result an earlier session stored. Removed when the session ends.
_RESULTS_FOLDER: str | None = None
if "PREFECT_LOCAL_STORAGE_PATH" not in os.environ:
    _RESULTS_FOLDER = tempfile.mkdtemp(prefix="chimera-test-results-")
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = _RESULTS_FOLDER


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real Chimeraforge corpus in ../shared, read in place; skip when it is not there."""
    if not CORPUS.is_dir():
        pytest.skip(f"real corpus not found at {CORPUS} (it lives in ../shared beside the repo)")
    return CORPUS


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect server (and database) for every test that runs flows in process."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RESULTS_FOLDER is not None:
        shutil.rmtree(_RESULTS_FOLDER, ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the integration module first, before anything starts the in-process test server.

    That module starts a Prefect server, two workers and a watcher of its own; the in-process
    server lives until the session ends, and its background services would share the two cores
    with them.
    """

    def is_integration(item: pytest.Item) -> bool:
        return item.nodeid.startswith("tests/integration/")

    items[:] = [i for i in items if is_integration(i)] + [i for i in items if not is_integration(i)]
