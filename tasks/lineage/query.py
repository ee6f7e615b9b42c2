"""Ask the Prefect server for a report's lineage: a report path (or asset key) in, Lineage out.

Two event queries against `POST /api/events/filter`: the report's latest materialization (which
names the flow run that wrote it), then every materialization of that flow run. The tracing is
tasks.lineage.trace. The same query by hand:

    POST $PREFECT_API_URL/events/filter
    {"filter": {"event": {"name": ["prefect.asset.materialization.succeeded"]},
                "related": {"id": ["prefect.flow-run.<flow run id>"]},
                "occurred": {"since": "2000-01-01T00:00:00Z"}},
     "limit": 50}

The server keeps events for PREFECT_SERVER_EVENTS_RETENTION_PERIOD (7 days by default); a report
older than that has no lineage left to show.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventOrder,
    EventRelatedFilter,
    EventResourceFilter,
)

from tasks.lineage.keys import asset_key, is_file_key
from tasks.lineage.trace import MATERIALIZED, Lineage, trace_report

PAGE_SIZE = 50  # the most the server returns per page
LOOKBACK = timedelta(days=366)


def report_key(report: str | Path) -> str:
    """A report given as a path (relative or absolute) or already as a file:// asset key."""
    text = str(report)
    return text if is_file_key(text) else asset_key(Path(text))


def _materializations(client, **filters) -> Iterator:
    now = datetime.now(UTC)
    page = client.read_events(
        filter=EventFilter(
            occurred=EventOccurredFilter(since=now - LOOKBACK, until=now + timedelta(minutes=5)),
            event=EventNameFilter(name=[MATERIALIZED]),
            order=EventOrder.DESC,
            **filters,
        ),
        limit=PAGE_SIZE,
    )
    while True:
        yield from page.events
        if not page.next_page:
            return
        page = client.read_events_page(page.next_page)


def read_lineage(report: str | Path) -> Lineage | None:
    """The tables and source files behind a report, from the server's events; None if unknown."""
    key = report_key(report)
    with get_client(sync_client=True) as client:
        latest = next(_materializations(client, resource=EventResourceFilter(id=[key])), None)
        if latest is None:
            return None
        flow_runs = [r.id for r in latest.related if r.role == "flow-run"]
        if not flow_runs:
            return trace_report(key, [latest])
        events = list(_materializations(client, related=EventRelatedFilter(id=flow_runs[:1])))
    return trace_report(key, events)
