"""The history store: appends land whole or not at all, once, and two at a time stay whole."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from tasks.history.schemas import (
    CHANGES,
    HISTORY_MEASUREMENTS,
    PRESENT,
    not_in_history,
    with_measurement_keys,
)
from tasks.history.store import (
    PENDING_PREFIX,
    append_run,
    committed_runs,
    read_findings,
    read_history,
)
from tasks.schemas import FINDINGS, conform


def measurements(keys: list[str], series: str = "s1") -> pl.DataFrame:
    rows = [
        {
            "measurement_key": key,
            "series_id": series,
            "metric": "throughput_tok_s",
            "model": "m1",
            "value": 70.0 + i,
            "sha256": key.split("|")[0],
            "source_path": "bench/a.csv",
            "locator": f"row {i}",
            "seen_at": datetime(2026, 1, 1, tzinfo=UTC),
        }
        for i, key in enumerate(keys)
    ]
    return conform(pl.DataFrame(rows), HISTORY_MEASUREMENTS)


def findings(statement: str) -> pl.DataFrame:
    return conform(
        pl.DataFrame({"finding_id": ["F001"], "kind": ["inventory"], "statement": [statement]}),
        FINDINGS,
    )


def run_row(run_id: str) -> dict:
    return {"run_id": run_id, "pile_key": "p1", "started_at": datetime.now(UTC)}


def append(history: Path, run_id: str, keys: list[str]) -> int:
    return append_run(
        history,
        run_row(run_id),
        measurements(keys),
        findings(f"findings of {run_id}"),
        pl.DataFrame(schema=CHANGES),
        conform(pl.DataFrame({"series_id": ["s1"], "measurements": [len(keys)]}), PRESENT),
    )


def test_a_run_is_readable_whole_by_any_parquet_reader(tmp_path):
    history = tmp_path / "history"

    added = append(history, "20260101T000000-1", ["a|row 1", "a|row 2"])

    assert added == 2
    assert committed_runs(history) == ["20260101T000000-1"]
    read = read_history(history)
    assert read.measurements.height == 2
    assert read.runs["measurements_added"].to_list() == [2]
    assert read_findings(history, "20260101T000000-1")["statement"].to_list() == [
        "findings of 20260101T000000-1"
    ]
    # The layout is a hive dataset: Polars alone reads it, run id from the folder name.
    scanned = pl.scan_parquet(
        history / "run_id=*" / "measurements.parquet", hive_partitioning=True
    ).collect()
    assert scanned["run_id"].unique().to_list() == ["20260101T000000-1"]


def test_unchanged_measurements_are_added_once_and_a_run_is_appended_once(tmp_path):
    history = tmp_path / "history"
    append(history, "20260101T000000-1", ["a|row 1", "a|row 2"])

    again = append(history, "20260101T000000-1", ["a|row 1", "a|row 2", "a|row 3"])
    rerun = append(history, "20260102T000000-2", ["a|row 1", "a|row 2", "b|row 1"])

    read = read_history(history)
    assert again == 0  # the same run id: left as it was
    assert rerun == 1  # only b|row 1 is new
    assert read.runs.height == 2
    assert read.measurements["measurement_key"].is_duplicated().sum() == 0
    assert sorted(read.measurements["measurement_key"]) == ["a|row 1", "a|row 2", "b|row 1"]


def test_a_run_killed_mid_append_leaves_the_history_as_it_was_and_the_next_append_is_whole(
    tmp_path,
):
    history = tmp_path / "history"
    append(history, "20260101T000000-1", ["a|row 1"])
    script = textwrap.dedent(
        f"""
        from tests.tasks.history.test_store import append
        from pathlib import Path
        append(Path({str(history)!r}), "20260102T000000-2", ["b|row 1", "b|row 2"])
        """
    )
    environment = {**os.environ, "CHIMERA_CRASH_AT": "history-append"}

    killed = subprocess.run(
        [sys.executable, "-c", script], env=environment, cwd=Path(__file__).parents[3]
    )

    assert killed.returncode == -signal.SIGKILL
    assert [p.name for p in history.iterdir() if p.name.startswith(PENDING_PREFIX)]
    before = read_history(history)
    assert committed_runs(history) == ["20260101T000000-1"]
    assert before.measurements["measurement_key"].to_list() == ["a|row 1"]

    added = append(history, "20260102T000000-2", ["b|row 1", "b|row 2"])

    after = read_history(history)
    assert added == 2
    assert committed_runs(history) == ["20260101T000000-1", "20260102T000000-2"]
    assert not [p for p in history.iterdir() if p.name.startswith(PENDING_PREFIX)]
    assert after.measurements["measurement_key"].is_duplicated().sum() == 0


def _append_in_process(history: str, run_id: str, keys: list[str], start) -> None:
    start.wait()
    append(Path(history), run_id, keys)


def test_two_runs_appending_at_once_both_land_and_share_no_measurement(tmp_path):
    history = tmp_path / "history"
    shared = [f"s|row {i}" for i in range(200)]
    start = multiprocessing.get_context("spawn").Event()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_append_in_process,
            args=(str(history), f"2026010{n}T000000-{n}", [*shared, f"{n}|own"], start),
        )
        for n in (1, 2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(60)

    assert [w.exitcode for w in workers] == [0, 0]
    read = read_history(history)
    assert read.runs.height == 2
    assert read.measurements["measurement_key"].is_duplicated().sum() == 0
    assert read.measurements.height == 202
    assert sorted(read.runs["measurements_added"].to_list()) == [1, 201]


def test_the_history_lives_under_out_unless_a_setting_points_elsewhere(tmp_path, monkeypatch):
    from tasks.history.store import history_dir

    monkeypatch.delenv("CHIMERA_HISTORY_DIR", raising=False)
    assert history_dir(tmp_path / "out") == tmp_path / "out" / "history"
    monkeypatch.setenv("CHIMERA_HISTORY_DIR", str(tmp_path / "team-history"))
    assert history_dir(tmp_path / "out") == tmp_path / "team-history"


def test_a_run_s_measurements_new_to_the_history_are_told_by_their_keys_made_from_parts():
    # A run's own measurements come without keys written out: they are made from the parts.
    run = measurements(["a|row 1", "a|row 2", "b|row 1"]).with_columns(
        pl.lit(None, dtype=pl.Utf8).alias("measurement_key"),
        pl.Series("locator", ["row 1", "row 2", "row 1"]),
        pl.Series("sha256", ["a", "a", "b"]),
    )
    known = with_measurement_keys(run.head(1))["measurement_key"]

    assert not_in_history(run, known)["sha256"].to_list() == ["a", "b"]
    assert not_in_history(run, known.head(0)).height == 3  # a history's first run: all new
