"""The `chimera.regression.detected` event: one per regression a run brings, for automations.

The resource is the series (`chimera.series.<id>`, with its model, metric and configuration as
labels, so a trigger can match on any of them); the payload holds the change's size, its
confidence and p, the medians, and the runs before and after it (history run ids, and the
files of the runs on either side). The event id is derived from the change itself (series and
the first point after it), so a run repeated after a crash sends the same event again and the
server keeps one. Only a run that brings the news emits: a re-render of unchanged files tells
the news in its report but does not alert twice.
"""

from __future__ import annotations

import uuid

import polars as pl

REGRESSION_DETECTED = "chimera.regression.detected"
RESOURCE_PREFIX = "chimera.series."
_NAMESPACE = uuid.UUID("4f0f5c2e-7d35-4c35-9b8f-2a6c0e2c1d19")  # fixed: ids stable across runs


def regression_events(changes: pl.DataFrame, out_dir: str, report: str | None) -> list[dict]:
    """The events of the news regressions among CHANGES rows, as emit_event's arguments."""
    events = []
    news = changes.filter(pl.col("new") & (pl.col("kind") == "regression"))
    for change in news.iter_rows(named=True):
        series_id = change["series_id"]
        event_id = uuid.uuid5(_NAMESPACE, f"{series_id}|{change['after_point']}")
        events.append(
            {
                "event": REGRESSION_DETECTED,
                "id": event_id,
                "resource": {
                    "prefect.resource.id": f"{RESOURCE_PREFIX}{series_id}",
                    "prefect.resource.name": f"{change['model']} {change['metric']}",
                    "chimera.series": series_id,
                    "chimera.model": change["model"],
                    "chimera.metric": change["metric"],
                    "chimera.config": change["config"],
                },
                "payload": {
                    "magnitude_pct": round(change["change_pct"], 3),
                    "confidence": round(change["confidence"], 6),
                    "p_value": change["p_value"],
                    "method": change["method"],
                    "before_median": change["before_median"],
                    "after_median": change["after_median"],
                    "unit": change["unit"],
                    "runs_before": change["runs_before"],
                    "runs_after": change["runs_after"],
                    "before_source": change["before_source"],
                    "after_source": change["after_source"],
                    "finding_id": change["finding_id"],
                    "out_dir": out_dir,
                    "report": report,
                },
            }
        )
    return events


def emit_regression_events(events: list[dict]) -> int:
    """Send the events to the Prefect server of the current run; how many were sent."""
    from prefect.events import emit_event

    sent = 0
    for event in events:
        if emit_event(**event) is not None:
            sent += 1
    return sent
