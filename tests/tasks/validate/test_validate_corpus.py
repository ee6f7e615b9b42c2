"""Validation of the real Chimeraforge corpus, parsed by tasks.parse: what must be quarantined."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import polars as pl
import pytest

import tasks.parse as parse
from tasks.validate import ValidationResult, validate_metrics

OLLAMA = "outputs/reports/ollama"
FAILED_SUITES = [
    f"{OLLAMA}/20251002-{run}/prompt_suite_runs.csv"
    for run in ("151204", "151446", "151527", "151615")
]
FAILED_BENCHMARKS = [
    f"{OLLAMA}/20251008-122701/gemma3_benchmark_runs.csv",
    f"{OLLAMA}/20251008-122714/llama3_q4_benchmark_runs.csv",
    f"{OLLAMA}/20251008-122728/llama3_q5_benchmark_runs.csv",
]
TIMED_OUT = "outputs/reports/gemma3/gemma3_270m_param_tuning.csv"
CONTRADICTORY = "data/csv/baseline_test_results_1759186372.json"
CLEAN = [
    f"{OLLAMA}/20251002-151824/prompt_suite_runs.csv",
    f"{OLLAMA}/20251008-122911/gemma3_benchmark_fixed_runs.csv",
    f"{OLLAMA}/20251008-122955/llama3_q4_benchmark_fixed_runs.csv",
    "outputs/reports/gemma3/gemma3_270m_baseline.csv",
    "outputs/reports/gemma3/gemma3_1b-it-qat_baseline.csv",
]


@pytest.fixture(scope="module")
def validated(corpus_dir: Path) -> ValidationResult:
    """Every parseable corpus file, parsed in one batch and validated in one call."""
    todo = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        fmt, reason = parse.sniff_format(path.name, data[:8192])
        if reason is None:
            relative = path.relative_to(corpus_dir).as_posix()
            todo.append(
                parse.FileToParse(str(path), relative, hashlib.sha256(data).hexdigest(), fmt)
            )
    metrics, _ = parse.parse_batch(todo)
    return validate_metrics(metrics)


def csv_errors(corpus_dir: Path, relative: str) -> list[str]:
    """The error column of a CSV, one entry per data row, as the file writes it."""
    with (corpus_dir / relative).open(newline="", encoding="utf-8") as handle:
        return [row["error"] for row in csv.DictReader(handle)]


def records(metrics: pl.DataFrame, source_path: str) -> pl.DataFrame:
    """One row per record of a file: its statuses and whether all of it is quarantined."""
    return (
        metrics.filter(pl.col("source_path") == source_path)
        .group_by("locator")
        .agg(all_quarantined=(pl.col("status") == "quarantined").all())
    )


def record_reasons(quarantine: pl.DataFrame, source_path: str) -> set[str]:
    rows = quarantine.filter(pl.col("source_path") == source_path)
    return set(rows["reasons"].explode().to_list())


@pytest.mark.parametrize("source_path", FAILED_SUITES + FAILED_BENCHMARKS)
def test_every_record_of_a_failed_run_is_quarantined_with_its_error(
    validated, corpus_dir, source_path
):
    errors = csv_errors(corpus_dir, source_path)
    found = records(validated.metrics, source_path)
    assert found.height == len(errors)
    assert found["all_quarantined"].all()
    assert record_reasons(validated.quarantine, source_path) == {
        f"record has an error: {error}" for error in errors
    }


def test_the_failed_runs_hold_75_records_and_three_connection_errors(validated, corpus_dir):
    suites = sum(records(validated.metrics, path).height for path in FAILED_SUITES)
    benchmarks = sum(records(validated.metrics, path).height for path in FAILED_BENCHMARKS)
    assert (suites, benchmarks) == (60, 15)
    assert len({e for path in FAILED_SUITES for e in csv_errors(corpus_dir, path)}) == 3
    assert {e for path in FAILED_BENCHMARKS for e in csv_errors(corpus_dir, path)} == {
        "[WinError 10049] The requested address is not valid in its context"
    }


def test_only_the_timed_out_configurations_of_the_sweep_are_quarantined(validated, corpus_dir):
    timed_out = [error for error in csv_errors(corpus_dir, TIMED_OUT) if error]
    assert timed_out == ["timed out", "timed out"]
    quarantined = records(validated.metrics, TIMED_OUT).filter("all_quarantined")
    assert quarantined.height == 2
    assert record_reasons(validated.quarantine, TIMED_OUT) == {"record has an error: timed out"}
    partly = validated.metrics.filter(
        (pl.col("source_path") == TIMED_OUT) & (pl.col("status") == "quarantined")
    )
    assert set(partly["locator"]) == set(quarantined["locator"])


def test_successful_results_with_an_error_text_are_quarantined_as_contradictory(
    validated, corpus_dir
):
    written = json.loads((corpus_dir / CONTRADICTORY).read_text(encoding="utf-8"))["results"]
    assert all(result["success"] for result in written)
    results = records(validated.metrics, CONTRADICTORY).filter(
        pl.col("locator").str.starts_with("/results/")
    )
    assert results.height == len(written)
    assert results["all_quarantined"].all()
    reasons = record_reasons(validated.quarantine, CONTRADICTORY)
    assert {f"record has an error: {r['banter_text']}" for r in written} <= reasons
    assert any("marked successful but carries an error message" in r for r in reasons)


@pytest.mark.parametrize("source_path", CLEAN)
def test_clean_runs_are_not_quarantined(validated, source_path):
    rows = validated.metrics.filter(pl.col("source_path") == source_path)
    assert rows.height > 0
    assert rows.filter(pl.col("status") == "quarantined").is_empty()
