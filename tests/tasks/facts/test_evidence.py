"""Which metric rows count (tasks.facts.evidence.analysable): each rule, on one small pile."""

from __future__ import annotations

import polars as pl

from tasks.facts.evidence import analysable
from tasks.facts.measurements import performance_rows
from tests.tasks.facts.builders import metrics_frame


def row(path: str, locator: str, metric: str, value: float, **columns) -> dict:
    columns.setdefault("model", "m")
    return {
        "source_path": path,
        "locator": locator,
        "format": "markdown" if path.endswith(".md") else "json",
        "metric": metric,
        "value": value,
        "model_id": columns["model"],
        "role": "measurement",
        "status": "passed",
        **columns,
    }


PILE = metrics_frame(
    [
        # a data file's samples, and its own mean of them: the samples count
        row("run.json", "/0", "ttft_ms", 10.0),
        row("run.json", "/1", "ttft_ms", 12.0),
        row("run.json", "/mean", "ttft_ms", 11.0, statistic="mean"),
        # a tool's summary without samples: the mean, else the median; never a p99
        row("tool.json", "/a", "ttft_ms", 5.0, statistic="mean", model="t"),
        row("tool.json", "/a", "ttft_ms", 6.0, statistic="median", model="t"),
        row("tool.json", "/b", "ttft_ms", 7.0, statistic="median", model="t"),
        row("tool.json", "/c", "ttft_ms", 9.0, statistic="p99", model="t"),
        # rows that never count
        row("run.json", "/2", "ttft_ms", -1.0, status="quarantined"),
        row("copy.json", "/0", "ttft_ms", 10.0, role="copy", copy_of="run.json /0"),
        row("run.json", "/3", "ttft_ms", 50.0, role="target"),
        # a summary: only for a model and metric no data file measures
        row("summary.json", "/0", "ttft_ms", 11.5, role="aggregate"),
        row("summary.json", "/1", "throughput_tok_s", 80.0, role="aggregate", unit="tok/s"),
        # a report's table: only where neither does, and one number quoted twice counts once
        row("report.md", "table 1 row 1", "ttft_ms", 11.0),
        row("report.md", "table 1 row 2", "throughput_tok_s", 81.0, unit="tok/s"),
        row("report.md", "table 1 row 3", "eval_ms", 400.0, model="r"),
        row("other.md", "table 2 row 1", "eval_ms", 400.0, model="r"),
    ]
)


def test_each_measurement_counts_once_data_files_first():
    counted = analysable(PILE)
    assert counted.select("source_path", "locator", "statistic").rows() == [
        ("run.json", "/0", None),
        ("run.json", "/1", None),
        ("tool.json", "/a", "mean"),
        ("tool.json", "/b", "median"),
        ("summary.json", "/1", None),
        ("report.md", "table 1 row 3", None),
    ]
    assert counted.columns == [*PILE.columns, "raw_model"]


def test_a_table_of_an_older_run_without_roles_counts_its_rows_as_measurements():
    older = PILE.filter(pl.col("role") == "measurement").drop("role", "copy_of")
    counted = analysable(older)
    assert counted.select("source_path", "locator").rows() == [
        ("run.json", "/0"),
        ("run.json", "/1"),
        ("tool.json", "/a"),
        ("tool.json", "/b"),
        ("report.md", "table 1 row 2"),  # no summary measures its throughput now
        ("report.md", "table 1 row 3"),
    ]
    assert set(counted["role"]) == {"measurement"}
    compared = performance_rows(older)
    assert compared.select("source_path", "locator", "direction").rows() == [
        ("run.json", "/0", "lower"),
        ("run.json", "/1", "lower"),
        ("tool.json", "/a", "lower"),
        ("tool.json", "/b", "lower"),
        ("report.md", "table 1 row 2", "higher"),
    ]
