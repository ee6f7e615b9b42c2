"""The flow is a recipe of tasks: the Prefect API shows a task run for each stage."""

from __future__ import annotations

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from flows.benchmark_report import RunSummary, benchmark_report
from tasks.samples.corpus import write_sample_corpus

STAGES = {
    "discover",
    "parse-batch",
    "validate",
    "analyse",
    "write-tables",
    "write-reports",
    "write-summary",
    "publish",
}


@pytest.mark.slow
def test_each_stage_is_a_task_run_of_the_flow_run(tmp_path, prefect_server):
    sources = tmp_path / "bench"
    write_sample_corpus(sources)

    state = benchmark_report(
        sources=[str(sources)],
        out_dir=str(tmp_path / "out"),
        backend="embedded",
        agents="follow-up",
        return_state=True,
    )

    assert isinstance(state.result(), RunSummary)
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=[state.state_details.flow_run_id])
            )
        )
    names = {run.name.rsplit("-", 1)[0] for run in task_runs}
    assert names >= STAGES, STAGES - names
    assert all(run.state and run.state.is_completed() for run in task_runs)
