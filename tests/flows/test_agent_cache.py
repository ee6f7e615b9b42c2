"""A re-run on unchanged inputs asks no model: the agents' results come from Prefect's cache,
keyed by what determines them, and their calls say so."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from flows.benchmark_report import benchmark_report
from tasks.samples.corpus import write_sample_corpus

RECORDING = Path(__file__).parents[1] / "fixtures" / "sample_replies.jsonl"
# Four whole runs of the flow; the one fast end-to-end run is tests/flows/test_replay.py.
pytestmark = pytest.mark.slow


def _run(sources: Path, out: Path, **parameters):
    return benchmark_report(
        sources=[str(sources)],
        out_dir=str(out),
        backend="replay",
        model=str(RECORDING),
        **parameters,
    )


def _calls(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "tables" / "agent_calls.parquet")


def test_a_rerun_on_unchanged_inputs_reuses_the_agents_results(tmp_path, prefect_server):
    sources, out = tmp_path / "bench", tmp_path / "out"
    write_sample_corpus(sources)

    first = _run(sources, out)
    first_calls = _calls(out)
    first_claims = pl.read_parquet(out / "tables" / "claims.parquet")
    second = _run(sources, out)

    assert first_calls.height > 0 and not first_calls["cached"].any()
    assert second.files_parsed == 0
    assert _calls(out)["cached"].all()  # no model call in the second run
    assert second.agent_calls_cached == second.agent_calls == first.agent_calls
    assert _calls(out).drop("cached").equals(first_calls.drop("cached"))
    assert pl.read_parquet(out / "tables" / "claims.parquet").equals(first_claims)
    assert first.claims_published == second.claims_published
    for report in ("agent_a.md", "agent_b.md", "combined.md"):
        assert "reused from an earlier run" in (out / "reports" / report).read_text(), report


def test_measuring_the_concurrency_never_reuses_a_result(tmp_path, prefect_server):
    sources, out = tmp_path / "bench", tmp_path / "out"
    write_sample_corpus(sources)

    _run(sources, out)
    _run(sources, out, measure_concurrency=True)

    assert not _calls(out)["cached"].any()


def test_a_change_of_code_asks_the_model_again(tmp_path, prefect_server, monkeypatch):
    """A result cached by other code (an upgrade, an edit of the guard) is never reused: its
    pickled classes may not load into today's, and today's guard may reject what it published."""
    import tasks.prefect_tasks

    sources, out = tmp_path / "bench", tmp_path / "out"
    write_sample_corpus(sources)
    _run(sources, out)
    monkeypatch.setattr(tasks.prefect_tasks, "code_sha256", lambda: "other code")

    _run(sources, out)

    assert not _calls(out)["cached"].any()
