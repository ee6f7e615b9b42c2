"""prefect.yaml: every deployment that writes an output folder runs one run at a time."""

from __future__ import annotations

from pathlib import Path

import yaml

PREFECT_YAML = Path(__file__).resolve().parents[2] / "prefect.yaml"
REPORT_FLOW = "flows/benchmark_report.py:benchmark_report"


def test_every_deployment_of_the_report_queues_its_runs_one_at_a_time():
    # Two runs into one out_dir: the flow's lock refuses the second; the deployment's limit makes
    # it wait its turn instead (a schedule, a form or a burst of new files may start one).
    deployments = yaml.safe_load(PREFECT_YAML.read_text(encoding="utf-8"))["deployments"]
    writers = [d for d in deployments if d["entrypoint"] == REPORT_FLOW]
    assert {d["name"] for d in writers} >= {"nightly", "manual", "on-new-files"}
    for deployment in writers:
        limit = deployment.get("concurrency_limit")
        assert limit == {"limit": 1, "collision_strategy": "ENQUEUE"}, deployment["name"]
