"""Sending queued events to the Prefect server: the outbox in, events accepted (or kept) out.

Events go to `POST {PREFECT_API_URL}/events`, which answers 204 once the server has taken them;
only then is an event deleted from the outbox. A server that is down, slow or overloaded leaves
the events queued and the watcher retries with a capped exponential backoff; an event the server
refuses as malformed is set aside so it cannot block the ones behind it.

Plain httpx rather than Prefect's client: that client retries a lost connection on its own for a
long while, which would stall the watcher; here the outbox is the retry.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import httpx

from tasks.watch.outbox import Outbox

log = logging.getLogger(__name__)

BATCH_EVENTS = 50
# Statuses that mean "try again later" rather than "this event is bad".
RETRYABLE_STATUSES = frozenset({401, 403, 404, 408, 409, 425, 429})


class DeliveryError(RuntimeError):
    """The server could not take the events now; they stay queued."""


def retry_delay(failures: int, base_s: float = 1.0, cap_s: float = 30.0) -> float:
    """Seconds to wait after `failures` failed attempts in a row: 1, 2, 4, ... capped."""
    if failures <= 0:
        return 0.0
    return min(cap_s, base_s * 2 ** (failures - 1))


def api_headers(auth_string: str | None = None, api_key: str | None = None) -> dict[str, str]:
    """Authorization as Prefect's own client sends it: basic auth string first, else API key."""
    if auth_string:
        token = base64.b64encode(auth_string.encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if api_key:
        return {"Authorization": f"Bearer {api_key}"}
    return {}


class Poster(Protocol):
    def post(self, events: list[dict]) -> int: ...


@dataclass
class EventPoster:
    """POSTs batches of events to one Prefect API."""

    api_url: str
    headers: dict[str, str]
    timeout_s: float = 10.0

    @classmethod
    def from_prefect_settings(cls) -> EventPoster:
        from prefect.settings import get_current_settings

        api = get_current_settings().api
        if not api.url:
            raise ValueError("PREFECT_API_URL is not set: point it at the Prefect server's /api")
        secret = api.auth_string.get_secret_value() if api.auth_string else None
        key = api.key.get_secret_value() if api.key else None
        return cls(api_url=api.url.rstrip("/"), headers=api_headers(secret, key))

    def post(self, events: list[dict]) -> int:
        """Send events; return the HTTP status. Raises DeliveryError when nothing answered."""
        now = datetime.now(UTC).isoformat()
        body = [{**event, "occurred": event.get("occurred") or now} for event in events]
        try:
            response = httpx.post(
                f"{self.api_url}/events", json=body, headers=self.headers, timeout=self.timeout_s
            )
        except httpx.HTTPError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}") from error
        return response.status_code


@dataclass
class DeliveryReport:
    sent: int = 0
    rejected: int = 0
    left: int = 0


def deliver(outbox: Outbox, poster: Poster, batch: int = BATCH_EVENTS) -> DeliveryReport:
    """Send the outbox oldest first, batch by batch; stop at the first batch the server can't take.

    Raises DeliveryError (with the events still queued) when the server is unreachable or asks
    to be retried; returns what was sent otherwise.
    """
    report = DeliveryReport()
    pending = outbox.pending()
    while pending:
        chunk, pending = pending[:batch], pending[batch:]
        events = []
        for path in chunk:
            try:
                events.append(outbox.read(path))
            except (OSError, ValueError) as error:
                log.error("set aside unreadable queued event %s: %s", path.name, error)
                outbox.reject(path)
                report.rejected += 1
        if not events:
            continue
        status = poster.post(events)
        if status < 300:
            for path in chunk:
                outbox.done(path)
            report.sent += len(events)
        elif status >= 500 or status in RETRYABLE_STATUSES:
            report.left = len(chunk) + len(pending)
            hint = (
                " (check PREFECT_API_AUTH_STRING or PREFECT_API_KEY)"
                if status in (401, 403)
                else ""
            )
            raise DeliveryError(f"server answered HTTP {status}{hint}; {report.left} events kept")
        else:
            # 400/422: the batch itself is bad. Set it aside rather than retry it forever.
            log.error(
                "server refused %d events with HTTP %d; moved to %s",
                len(chunk),
                status,
                outbox.rejected_folder,
            )
            for path in chunk:
                outbox.reject(path)
            report.rejected += len(chunk)
    return report
