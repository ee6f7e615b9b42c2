"""A run's outputs replace the last run's all at once, or not at all."""

from __future__ import annotations

import pytest

import flows.stages as report_stages
from flows.benchmark_report import benchmark_report
from tasks.out_dir import STATE
from tasks.samples.corpus import write_sample_corpus


def _run(sources, out, **parameters) -> dict:
    return benchmark_report(
        sources=[str(sources)],
        out_dir=str(out),
        backend="embedded",
        agents="follow-up",  # no model call: these tests are about the outputs
        **parameters,
    )


@pytest.mark.slow
def test_a_run_that_fails_leaves_the_last_runs_tables_and_reports(
    tmp_path, prefect_server, monkeypatch
):
    sources, out = tmp_path / "bench", tmp_path / "out"
    write_sample_corpus(sources)
    _run(sources, out)
    before = {
        path.relative_to(out): path.read_bytes()
        for name in ("tables", "reports")
        for path in (out / name).rglob("*")
        if path.is_file()
    }
    (sources / "new.csv").write_text("model,tokens_per_s\nm-new,12.5\n")

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(report_stages, "write_charts", broken)
    with pytest.raises(OSError, match="disk full"):
        _run(sources, out)

    after = {
        path.relative_to(out): path.read_bytes()
        for name in ("tables", "reports")
        for path in (out / name).rglob("*")
        if path.is_file()
    }
    assert after == before
    monkeypatch.undo()
    result = _run(sources, out)  # the next run clears the failed one's folder and goes on
    assert result.files_parsed == 1
    runs = [p.name for p in (out / STATE).iterdir() if p.name.startswith("run-")]
    assert len(runs) == 1
