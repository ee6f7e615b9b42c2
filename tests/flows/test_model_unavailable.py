"""A backend that fails after its retries costs the agents' prose, never the run's report.

Three ways, each over real HTTP on 127.0.0.1: no server listening, a server answering HTTP 500,
and one that accepts the request and never answers (bounded by CHIMERA_AGENT_BUDGET_S).
"""

from __future__ import annotations

import socket

import polars as pl
import pytest

from flows.benchmark_report import benchmark_report
from tasks.samples.corpus import write_sample_corpus
from tests.ollama_server import FakeOllamaServer

MODEL = "smollm2:135m"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.slow
@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        ("down", "connect"),
        ("http 500", "out of memory"),
        ("hang", "timed out"),
    ],
)
def test_a_failing_server_leaves_a_complete_report_that_says_why(
    tmp_path, prefect_server, monkeypatch, failure, reason
):
    sources = tmp_path / "bench"
    write_sample_corpus(sources)
    monkeypatch.setenv("CHIMERA_AGENT_BUDGET_S", "3")  # one request may wait 1 s
    server = FakeOllamaServer(
        failing={MODEL: "out of memory"} if failure == "http 500" else None,
        hanging=[MODEL] if failure == "hang" else (),
    )
    with server:
        host = f"http://127.0.0.1:{_closed_port()}" if failure == "down" else server.host
        monkeypatch.setenv("OLLAMA_HOST", host)
        result = benchmark_report(
            sources=[str(sources)],
            out_dir=str(tmp_path / "out"),
            backend="ollama",
            model=MODEL,
            max_retries=0,
        )

    assert reason in result.agents_unavailable.lower()
    assert result.agent_calls == 0
    for report in ("agent_a.md", "agent_b.md", "combined.md"):
        text = (tmp_path / "out" / "reports" / report).read_text()
        assert "_Rendered from the findings by code: model unavailable: " in text, report
        assert "follow-up run" not in text, report  # no later run is coming
    claims = pl.read_parquet(tmp_path / "out" / "tables" / "claims.parquet")
    assert claims.height > 0 and set(claims["written_by"]) == {"findings"}
