"""Tracing a report to its tables and source files, from events shaped as Prefect stores them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tasks.lineage.trace import MATERIALIZED, trace_report

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
REPORT = "file:///out/reports/combined.md"
FILES, METRICS, FACTS = (f"file:///out/tables/{n}.parquet" for n in ("files", "metrics", "facts"))


def materialized(asset: str, upstream: list[str], run: str, minute: int = 0) -> dict:
    """A materialization event as the events API returns it (JSON)."""
    related = [{"prefect.resource.id": key, "prefect.resource.role": "asset"} for key in upstream]
    related += [
        {"prefect.resource.id": "chimera-flows", "prefect.resource.role": "asset-materialized-by"},
        {"prefect.resource.id": f"prefect.flow-run.{run}", "prefect.resource.role": "flow-run"},
        {"prefect.resource.id": "prefect.task-run.t1", "prefect.resource.role": "task-run"},
    ]
    return {
        "event": MATERIALIZED,
        "occurred": (T0 + timedelta(minutes=minute)).isoformat(),
        "resource": {"prefect.resource.id": asset},
        "related": related,
    }


def run_events(run: str, sources: list[str], minute: int = 0) -> list[dict]:
    half = len(sources) // 2
    return [
        # the source tables are recorded in chunks of sources: two events for one table
        materialized(FILES, sources[:half], run, minute),
        materialized(FILES, sources[half:], run, minute),
        materialized(METRICS, sources, run, minute),
        materialized(FACTS, [FILES, METRICS], run, minute),
        materialized(REPORT, [FACTS, METRICS, FILES], run, minute),
    ]


def test_a_report_traces_through_its_tables_to_every_source_file():
    sources = [f"file:///bench/{name}" for name in ("a.csv", "b.json", "c.md", "d.csv")]

    lineage = trace_report(REPORT, run_events("run-1", sources))

    assert lineage.flow_run_id == "run-1"
    assert lineage.tables == sorted([FILES, METRICS, FACTS])
    assert lineage.sources == sorted(sources)


def test_only_the_run_that_wrote_the_latest_report_counts():
    old = run_events("run-1", ["file:///bench/old.csv", "file:///bench/a.csv"], minute=0)
    new = run_events("run-2", ["file:///bench/a.csv", "file:///bench/new.csv"], minute=30)
    later_table_only = [materialized(FILES, ["file:///bench/other.csv"], "run-3", minute=60)]

    lineage = trace_report(REPORT, old + new + later_table_only)

    assert lineage.flow_run_id == "run-2"
    assert lineage.sources == ["file:///bench/a.csv", "file:///bench/new.csv"]


def test_other_events_are_ignored_and_an_unknown_report_has_no_lineage():
    noise = {
        "event": "prefect.asset.referenced",
        "resource": {"prefect.resource.id": REPORT},
        "related": [],
        "occurred": T0.isoformat(),
    }

    assert trace_report(REPORT, [noise]) is None
    assert trace_report("file:///elsewhere.md", run_events("r", ["file:///a.csv"])) is None
