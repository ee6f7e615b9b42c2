"""agents="follow-up": a quick refresh that publishes at once and leaves the analysis to a
follow-up run, started by the deployment's trigger on the run's completion (prefect.yaml; tested
against a real server in tests/integration)."""

from __future__ import annotations

import polars as pl
import pytest

from flows.benchmark_report import benchmark_report
from tasks.report.render import NO_CALL
from tasks.samples.corpus import write_sample_corpus


@pytest.mark.slow
def test_deferred_agents_publish_sections_from_findings_without_a_model_call(
    tmp_path, prefect_server
):
    sources = tmp_path / "bench"
    write_sample_corpus(sources)

    result = benchmark_report(
        sources=[str(sources)],
        out_dir=str(tmp_path / "out"),
        backend="embedded",
        agents="follow-up",
    )

    # Not a deployment's run: no trigger starts a follow-up, and the run says so with None.
    assert result.follow_up_by is None
    assert result.agent_calls == 0
    calls = pl.read_parquet(tmp_path / "out" / "tables" / "agent_calls.parquet")
    assert calls.is_empty()
    combined = (tmp_path / "out" / "reports" / "combined.md").read_text()
    assert NO_CALL in combined
    for report in ("agent_a.md", "agent_b.md"):
        text = (tmp_path / "out" / "reports" / report).read_text()
        assert "the agents' analysis follows in the next run" in text
        assert "Sentences by the model" not in text
    assert "## Benchmark findings" in combined and "## Data quality" in combined


@pytest.mark.slow
def test_agents_off_asks_no_model_and_promises_no_follow_up(tmp_path, prefect_server):
    sources = tmp_path / "bench"
    write_sample_corpus(sources)

    result = benchmark_report(
        sources=[str(sources)], out_dir=str(tmp_path / "out"), backend="ollama", agents="off"
    )

    # No Ollama runs here: with the agents off, the backend is never asked for.
    assert result.agents == "off" and result.agents_unavailable is None
    assert result.agent_calls == 0 and result.follow_up_by is None
    for report in ("agent_a.md", "agent_b.md", "combined.md"):
        text = (tmp_path / "out" / "reports" / report).read_text()
        assert "the agents were off" in text, report
        assert "follow" not in text, report
