"""The flow on the real Chimeraforge corpus (../shared), through `chimera run`, embedded model."""

from __future__ import annotations

import polars as pl
import pytest

from flows.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_run(corpus_dir, tmp_path_factory, prefect_server):
    out = tmp_path_factory.mktemp("corpus_run") / "out"
    code = main(
        ["run", str(corpus_dir), "--out", str(out), "--backend", "embedded", "--max-retries", "1"]
    )
    return code, out


def test_every_file_is_inventoried_and_metrics_come_from_contents(corpus_run, corpus_dir):
    code, out = corpus_run
    files = pl.read_parquet(out / "tables" / "files.parquet")
    metrics = pl.read_parquet(out / "tables" / "metrics.parquet")

    assert code == 0
    assert files.height == sum(1 for p in corpus_dir.rglob("*") if p.is_file()) == 107
    assert files.filter(pl.col("status") != "parsed")["reason"].null_count() == 0
    first = metrics.filter(
        pl.col("source_path").str.ends_with("gemma3/gemma3_270m_baseline.csv")
        & (pl.col("locator") == "row 1")
    )
    by_metric = dict(zip(first["metric"], first["value"], strict=True))
    assert by_metric["throughput_tok_s"] == pytest.approx(238.2392918763841)
    assert by_metric["ttft_ms"] == pytest.approx(7836.6299)


def test_failed_runs_are_quarantined_and_never_reach_facts(corpus_run):
    _, out = corpus_run
    metrics = pl.read_parquet(out / "tables" / "metrics.parquet")
    facts = pl.read_parquet(out / "tables" / "facts.parquet")

    failed = metrics.filter(
        pl.col("source_path").str.ends_with("20251002-151204/prompt_suite_runs.csv")
    )
    assert failed.height > 0 and (failed["status"] == "quarantined").all()
    throughput_facts = facts.filter(pl.col("statement").str.contains("mean throughput"))
    assert throughput_facts.height > 0
    assert (throughput_facts["value"] > 0).all()


def test_agents_a_and_b_ran_with_positive_speed(corpus_run):
    _, out = corpus_run
    calls = pl.read_parquet(out / "tables" / "agent_calls.parquet")

    assert set(calls["agent"]) == {"A", "B"}
    assert (calls["tokens_per_s"] > 0).all() and (calls["ttft_ms"] > 0).all()
    for report in ("agent_a.md", "agent_b.md", "combined.md", "summary.md"):
        assert (out / "reports" / report).is_file()
