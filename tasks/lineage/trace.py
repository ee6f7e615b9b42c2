"""Trace a report back to its tables and source files, from asset materialization events.

In: materialization events (as the Prefect API returns them) and a report's asset key. Out: the
flow run that wrote the report, the tables it read (directly or through other tables) and the
source files at the bottom. Pure: the server query lives in tasks.lineage.query.

Only materializations of the same flow run count, so a table rewritten by a later run never
leaks into an older report's lineage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

MATERIALIZED = "prefect.asset.materialization.succeeded"
FLOW_RUN_PREFIX = "prefect.flow-run."


@dataclass(frozen=True)
class Materialization:
    asset: str
    upstream: frozenset[str]
    flow_run_id: str | None
    occurred: datetime


@dataclass(frozen=True)
class Lineage:
    report: str  # asset key
    flow_run_id: str | None
    materialized_at: datetime
    tables: list[str]  # asset keys of everything the run materialized upstream of the report
    sources: list[str]  # asset keys at the bottom: read, never written, by that run


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name)


def _resource_id(resource: Any) -> str:
    if isinstance(resource, Mapping):
        return resource["prefect.resource.id"]
    return resource.id


def _role(resource: Any) -> str | None:
    if isinstance(resource, Mapping):
        return resource.get("prefect.resource.role")
    return resource.role


def as_materialization(event: Any) -> Materialization | None:
    """Read one event (a Prefect Event or its JSON); None for anything but a materialization."""
    if _get(event, "event") != MATERIALIZED:
        return None
    related = _get(event, "related") or []
    upstream = frozenset(_resource_id(r) for r in related if _role(r) == "asset")
    flow_runs = [
        _resource_id(r).removeprefix(FLOW_RUN_PREFIX) for r in related if _role(r) == "flow-run"
    ]
    occurred = _get(event, "occurred")
    if isinstance(occurred, str):
        occurred = datetime.fromisoformat(occurred)
    return Materialization(
        asset=_resource_id(_get(event, "resource")),
        upstream=upstream,
        flow_run_id=flow_runs[0] if flow_runs else None,
        occurred=occurred,
    )


def trace_report(report_key: str, events: Iterable[Any]) -> Lineage | None:
    """The lineage of the latest materialization of `report_key`, or None if it has none."""
    found = [m for m in map(as_materialization, events) if m is not None]
    of_report = [m for m in found if m.asset == report_key]
    if not of_report:
        return None
    latest = max(of_report, key=lambda m: m.occurred)
    same_run = [m for m in found if m.flow_run_id == latest.flow_run_id]
    upstream_of: dict[str, set[str]] = {}
    for m in same_run:
        upstream_of.setdefault(m.asset, set()).update(m.upstream)

    tables: list[str] = []
    sources: list[str] = []
    seen = {report_key}
    frontier = sorted(upstream_of.get(report_key, ()))
    while frontier:
        asset = frontier.pop(0)
        if asset in seen:
            continue
        seen.add(asset)
        if asset in upstream_of:
            tables.append(asset)
            frontier.extend(sorted(upstream_of[asset] - seen))
        else:
            sources.append(asset)
    return Lineage(
        report=report_key,
        flow_run_id=latest.flow_run_id,
        materialized_at=latest.occurred,
        tables=sorted(tables),
        sources=sorted(sources),
    )
