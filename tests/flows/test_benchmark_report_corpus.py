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


def test_failed_runs_are_quarantined_and_reach_findings_only_as_failures(corpus_run):
    _, out = corpus_run
    metrics = pl.read_parquet(out / "tables" / "metrics.parquet")
    findings = pl.read_parquet(out / "tables" / "findings.parquet")

    failed_file = "20251002-151204/prompt_suite_runs.csv"
    failed = metrics.filter(pl.col("source_path").str.ends_with(failed_file))
    assert failed.height > 0 and (failed["status"] == "quarantined").all()
    cited = findings.explode("source_rows").filter(
        pl.col("source_rows").str.contains(failed_file, literal=True)
    )
    assert set(cited["kind"]) == {"failure_cause"}
    assert "Failed to connect to Ollama" in cited["statement"][0]


def test_the_corpus_report_leads_with_what_an_analyst_leads_with(corpus_run):
    _, out = corpus_run
    findings = pl.read_parquet(out / "tables" / "findings.parquet")
    top = findings.sort("rank").head(12)

    assert not top.filter(
        (pl.col("kind") == "ranking") & (pl.col("metric") == "throughput_tok_s")
    ).is_empty()
    # Models are ranked within one setup as the files state it: the sweeps under ollama/ say
    # their runtime, the gemma3 sweeps say none; gemma3:270m leads the ranking it is in.
    rankings = findings.filter(
        (pl.col("kind") == "ranking") & (pl.col("metric") == "throughput_tok_s")
    ).filter(pl.col("levels").list.contains("gemma3:270m-instruct"))
    assert rankings.height == 1
    assert rankings["verdict"][0] == "significant"
    assert rankings["levels"][0][0] == "gemma3:270m-instruct"
    # quantization of llama3.1:8b costs throughput, tested within one file
    assert top.filter(pl.col("subject") == "quantization")["levels"][0][0].endswith("q4_0")
    # TTFT in these sweeps measures the model load
    assert top.filter(pl.col("subject") == "load share")["value"][0] > 50
    # options within noise are said to make no measurable difference, never a "best"
    same = findings.filter(
        (pl.col("subject") == "num_gpu") & (pl.col("metric") == "throughput_tok_s")
    )
    assert "no measurable difference" in set(same["verdict"])
    assert "significant" not in set(same["verdict"])


def test_agents_a_and_b_ran_with_positive_speed(corpus_run):
    _, out = corpus_run
    calls = pl.read_parquet(out / "tables" / "agent_calls.parquet")

    assert set(calls["agent"]) == {"A", "B"}
    assert (calls["tokens_per_s"] > 0).all() and (calls["ttft_ms"] > 0).all()
    for report in ("agent_a.md", "agent_b.md", "combined.md", "summary.md"):
        assert (out / "reports" / report).is_file()
