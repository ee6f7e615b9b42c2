"""A backend that fails after its retries costs the agents' prose, never the run's report."""

from __future__ import annotations

import polars as pl
import pytest

from flows.benchmark_report import benchmark_report
from tasks.samples.corpus import write_sample_corpus
from tests.ollama_server import FakeOllamaServer


@pytest.mark.slow
def test_a_failing_server_leaves_a_complete_report_that_says_why(
    tmp_path, prefect_server, monkeypatch
):
    sources = tmp_path / "bench"
    write_sample_corpus(sources)
    with FakeOllamaServer(failing={"smollm2:135m": "out of memory"}) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        result = benchmark_report(
            sources=[str(sources)],
            out_dir=str(tmp_path / "out"),
            backend="ollama",
            model="smollm2:135m",
            max_retries=0,
        )

    assert "out of memory" in result["agents_unavailable"]
    assert result["agent_calls"] == 0
    for report in ("agent_a.md", "agent_b.md", "combined.md"):
        text = (tmp_path / "out" / "reports" / report).read_text()
        assert "_Rendered from the findings by code: model unavailable: " in text, report
    claims = pl.read_parquet(tmp_path / "out" / "tables" / "claims.parquet")
    assert claims.height > 0 and set(claims["written_by"]) == {"findings"}
