"""`chimera run` twice into one --out, the second time with one benchmark file 15% slower, on a
real Prefect server; and a run killed half-way through its history append, then run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from tasks.crash_points import CRASH_AT
from tasks.history.events import REGRESSION_DETECTED
from tasks.history.store import PENDING_PREFIX, read_history
from tasks.samples.corpus import write_sample_corpus
from tests.tasks.history.piles import SLOWER, slow_down

pytestmark = pytest.mark.slow
SUITE = Path("outputs/reports/ollama")


def _changed_file(sources: Path) -> Path:
    """The sample's good prompt-suite run: three models, five prompts each."""
    suites = sorted((sources / SUITE).glob("*/prompt_suite_runs.csv"))
    return next(s for s in suites if "Connection" not in s.read_text() and "WinError" not in
                s.read_text())  # fmt: skip


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("two_runs")
    sources, out = root / "bench", root / "out"
    write_sample_corpus(sources)
    started = datetime.now(UTC)
    first = main(["run", str(sources), "--out", str(out), "--agents", "off"])
    slow_down(_changed_file(sources), SLOWER)
    second = main(["run", str(sources), "--out", str(out), "--agents", "off"])
    return first, second, out, started


def test_the_second_report_names_the_regression_with_its_size_and_a_chart(two_runs):
    first, second, out, _ = two_runs

    combined = (out / "reports" / "combined.md").read_text()
    section = combined.split("## What changed since the last run")[1].split("\n## ")[0]
    findings = pl.read_parquet(out / "tables" / "findings.parquet")
    changes = pl.read_parquet(out / "tables" / "changes.parquet").filter(pl.col("new"))

    assert first == 0 and second == 0
    assert combined.index("## What changed since the last run") < combined.index("## Top findings")
    regressions = findings.filter(pl.col("kind") == "regression")
    assert regressions.height >= 1
    for finding_id, statement in regressions.select("finding_id", "statement").iter_rows():
        assert "throughput" in statement and "fell 15.0%" in statement
        assert f"({finding_id})" in section
    for series_id in changes["series_id"]:
        chart = out / "reports" / "charts" / "history" / f"{series_id}.png"
        assert chart.read_bytes()[:4] == b"\x89PNG"
        assert f"](charts/history/{series_id}.png)" in section


def test_the_history_holds_both_runs_once(two_runs):
    _, _, out, _ = two_runs

    history = read_history(out / "history")

    assert history.runs.height == 2
    assert history.measurements["measurement_key"].is_duplicated().sum() == 0
    assert history.runs["regressions"].to_list()[1] >= 1
    assert not [p for p in (out / "history").iterdir() if p.name.startswith(PENDING_PREFIX)]


def test_the_regression_event_is_visible_through_the_prefect_api(two_runs):
    from prefect.client.orchestration import get_client
    from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

    _, _, out, started = two_runs
    expected = pl.read_parquet(out / "tables" / "changes.parquet").filter(
        pl.col("new") & (pl.col("kind") == "regression")
    )
    found = []
    deadline = time.monotonic() + 60  # the server stores events as it processes them
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and len(found) < expected.height:
            page = client.read_events(
                filter=EventFilter(
                    event=EventNameFilter(name=[REGRESSION_DETECTED]),
                    occurred=EventOccurredFilter(
                        since=started, until=datetime.now(UTC) + timedelta(minutes=5)
                    ),
                ),
                limit=50,
            )
            found = [e for e in page.events if e.payload.get("out_dir") == str(out)]
            time.sleep(1)

    assert len(found) == expected.height
    by_series = {e.resource["chimera.series"]: e for e in found}
    for change in expected.iter_rows(named=True):
        event = by_series[change["series_id"]]
        assert event.resource.id == f"chimera.series.{change['series_id']}"
        assert event.payload["magnitude_pct"] == pytest.approx(change["change_pct"], abs=0.001)
        assert event.payload["confidence"] == pytest.approx(change["confidence"], abs=1e-6)
        assert event.payload["runs_after"] == change["runs_after"]


def _chimera_run(sources: Path, out: Path, crash_at: str | None = None) -> int:
    """`chimera run` in its own process, with its own temporary server (none named)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    environment.pop(CRASH_AT, None)
    if crash_at:
        environment[CRASH_AT] = crash_at
    with tempfile.TemporaryFile("w+") as log:
        return subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", str(sources), "--out", str(out),
             "--agents", "off"],
            env=environment, stdout=log, stderr=subprocess.STDOUT, timeout=300,
        ).returncode  # fmt: skip


def test_a_run_killed_mid_append_then_run_again_leaves_the_history_consistent(tmp_path):
    sources, out = tmp_path / "bench", tmp_path / "out"
    write_sample_corpus(sources)
    assert _chimera_run(sources, out) == 0
    slow_down(_changed_file(sources), SLOWER)
    before = read_history(out / "history")

    killed = _chimera_run(sources, out, crash_at="history-append")

    assert killed == -signal.SIGKILL
    pending = [p for p in (out / "history").iterdir() if p.name.startswith(PENDING_PREFIX)]
    assert pending  # written, never renamed in
    after_kill = read_history(out / "history")
    assert after_kill.runs["run_id"].to_list() == before.runs["run_id"].to_list()
    assert after_kill.measurements.height == before.measurements.height
    published = pl.read_parquet(out / "tables" / "findings.parquet")

    assert _chimera_run(sources, out) == 0

    history = read_history(out / "history")
    assert history.runs.height == 2  # the first run and the re-run; the killed one never landed
    assert history.measurements["measurement_key"].is_duplicated().sum() == 0
    assert not [p for p in (out / "history").iterdir() if p.name.startswith(PENDING_PREFIX)]
    rerun = pl.read_parquet(out / "tables" / "findings.parquet")
    told = pl.col("kind").is_in(["regression", "improvement"])
    assert (
        rerun.filter(told)["statement"].to_list() == published.filter(told)["statement"].to_list()
    )
    assert history.runs["regressions"].to_list()[1] >= 1
