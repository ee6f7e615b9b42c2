"""Record a run's lineage as Prefect asset materializations.

In: the output folder, the run's files table and the report paths it wrote. Out: asset events on
the Prefect server (the open-source server keeps assets as events only):

    source files  -> each table made from them (tasks.tables.TABLES: files, metrics)
    its upstream  -> each other table (quarantine <- metrics, findings <- files + metrics, ...)
    every table the reports read -> every report (agent_a.md, combined.md, ...)

Each arrow is a `@materialize` task run with the upstream assets as `asset_deps` (the first
arrow one run per 64 source files: an event holds at most 100 related resources), so Prefect
emits `prefect.asset.materialization.succeeded` for each output with the inputs as related
resources, tied to the flow run. The tables were already written by the flow; these tasks only
describe them (rows, bytes, sha256) and cannot change them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from prefect import get_run_logger
from prefect.assets import Asset, add_asset_metadata, materialize
from prefect.cache_policies import NO_CACHE

from tasks.lineage.keys import asset_key, file_asset
from tasks.tables import TABLES

MATERIALIZED_BY = "chimera-flows"
# A Prefect event holds at most 100 related resources, and the run context adds its own (flow
# run, task run, flow, deployment, work pool, tags). 64 upstream files per event leaves room.
SOURCES_PER_EVENT = 64
# Past this many source files, each folder of them stands in as one upstream asset: thousands of
# per-file events would cost more than the lineage is worth.
MAX_SOURCE_FILES = 2_000

# The reports render every table but the agents' call log (their timings go in summary.md).
REPORT_INPUTS = tuple(name for name in TABLES if name != "agent_calls")


@dataclass(frozen=True)
class LineagePlan:
    """What to record: pure data, built from the run's outputs."""

    sources: list[str]  # upstream paths of the source tables: files, or folders past the limit
    tables: dict[str, str]  # table name -> path
    reports: list[str]


def plan_lineage(out_dir: Path, files: pl.DataFrame, report_paths: Sequence[str]) -> LineagePlan:
    """The sources behind the tables are the files that yielded metric rows."""
    parsed = files.filter(pl.col("status") == "parsed").sort("path")
    sources = parsed["path"].to_list()
    if len(sources) > MAX_SOURCE_FILES:
        sources = sorted({str(Path(path).parent) for path in sources})
    tables = {name: str(table.path(out_dir)) for name, table in TABLES.items()}
    return LineagePlan(sources=sources, tables=tables, reports=[str(p) for p in report_paths])


def chunks(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def file_metadata(path: Path) -> dict:
    """Metadata shown with a materialization: size, content hash, rows for Parquet."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    meta: dict = {"path": str(path), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}
    if path.suffix == ".parquet":
        meta["rows"] = pq.read_metadata(path).num_rows
    return meta


@materialize(
    "file:///chimera-flows/lineage", by=MATERIALIZED_BY, name="lineage", cache_policy=NO_CACHE
)
def _attach_metadata(metadata: dict[str, dict]) -> int:
    # The assets are set per call with with_options; the body only attaches their metadata.
    for path, meta in metadata.items():
        add_asset_metadata(asset_key(path), meta)
    return len(metadata)


def _materialize(
    outputs: list[str], upstream: list[str], label: str, metadata: dict[str, dict]
) -> None:
    existing = [path for path in outputs if path in metadata]
    if not existing:
        return
    _attach_metadata.with_options(
        assets=[file_asset(path) for path in existing],
        asset_deps=[Asset(key=asset_key(path)) for path in upstream],
        task_run_name=f"lineage-{label}",
    )({path: metadata[path] for path in existing})


def record_lineage(
    out_dir: str | Path, files: pl.DataFrame, report_paths: Sequence[str]
) -> LineagePlan:
    """Record the run's lineage on the Prefect server; returns what was recorded.

    Call it from inside a flow run, after the tables and reports are written.
    """
    plan = plan_lineage(Path(out_dir), files, report_paths)
    tables = plan.tables
    # combined.md sits beside agent_a.md and agent_b.md; all three read the same tables.
    report_groups = [
        [report, *(str(Path(report).with_name(n)) for n in ("agent_a.md", "agent_b.md"))]
        for report in plan.reports
    ]
    outputs = [*tables.values(), *(path for group in report_groups for path in group)]
    # Described once, however many events carry them; a missing output is left out.
    metadata = {path: file_metadata(Path(path)) for path in outputs if Path(path).exists()}

    source_tables = [tables[name] for name, table in TABLES.items() if not table.upstream]
    for number, chunk in enumerate(chunks(plan.sources, SOURCES_PER_EVENT) or [[]], start=1):
        _materialize(source_tables, chunk, f"sources-{number}", metadata)
    for name, table in TABLES.items():
        if table.upstream:
            upstream = [tables[parent] for parent in table.upstream]
            _materialize([tables[name]], upstream, name, metadata)
    report_inputs = [tables[name] for name in REPORT_INPUTS]
    for number, group in enumerate(report_groups, start=1):
        _materialize(group, report_inputs, f"reports-{number}", metadata)
    get_run_logger().info(
        "lineage: %d source files or folders -> %d tables -> %d reports",
        len(plan.sources),
        len(tables),
        len(plan.reports) * 3,
    )
    return plan
