"""The flow is a recipe of tasks: the Prefect API shows a task run for each stage."""

from __future__ import annotations

import time

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
    # Task runs reach the server as events, a moment after the flow returns: wait for them.
    deadline = time.monotonic() + 30
    while True:
        task_runs = _task_runs(state.state_details.flow_run_id)
        names = {run.name.rsplit("-", 1)[0] for run in task_runs}
        done = all(run.state and run.state.is_final() for run in task_runs)
        if (names >= STAGES and done) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert names >= STAGES, STAGES - names
    assert all(run.state and run.state.is_completed() for run in task_runs), [
        (run.name, run.state and run.state.name) for run in task_runs
    ]


def _task_runs(flow_run_id) -> list:
    with get_client(sync_client=True) as client:
        return client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
