"""The whole pipeline end to end in seconds: the agents answered from recorded replies.

tests/fixtures/sample_replies.jsonl holds the embedded model's replies on the sample corpus,
recorded by tests/fixtures/record_sample_replies.py; `--backend replay` answers each request
with the reply recorded for it, with no model loaded.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from flows.benchmark_report import benchmark_report
from tasks.agents.backends import select_backend
from tasks.agents.backends.base import BackendError
from tasks.agents.options import ModelOptions
from tasks.samples.corpus import write_sample_corpus

RECORDING = Path(__file__).parents[1] / "fixtures" / "sample_replies.jsonl"
RECORD = "python tests/fixtures/record_sample_replies.py"


def test_the_pipeline_runs_end_to_end_on_recorded_replies(tmp_path, prefect_server):
    sources, out = tmp_path / "bench", tmp_path / "out"
    write_sample_corpus(sources)

    result = benchmark_report(
        sources=[str(sources)], out_dir=str(out), backend="replay", model=str(RECORDING)
    )

    assert result.agents_unavailable is None, f"stale recording? run {RECORD}"
    calls = pl.read_parquet(out / "tables" / "agent_calls.parquet")
    assert calls.height == result.agent_calls > 0
    assert set(calls["backend"]) == {"replay"}
    assert set(calls["agent"]) == {"A", "B"}
    claims = pl.read_parquet(out / "tables" / "claims.parquet")
    published = claims.filter(pl.col("published"))
    assert published.height == result.claims_published > 0
    assert (published["written_by"] == "model").any()  # replayed model claims pass the checks
    combined = (out / "reports" / "combined.md").read_text()
    for finding_id in published["finding_id"].to_list():
        assert finding_id in combined


def test_a_request_the_recording_does_not_hold_is_an_error_that_says_so(tmp_path):
    replay = select_backend("replay", str(RECORDING))

    with pytest.raises(BackendError, match="holds no reply for this request"):
        replay.chat([{"role": "user", "content": "a prompt nobody recorded"}], ModelOptions())
