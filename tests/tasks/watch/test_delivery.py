"""The outbox and its delivery: nothing is lost while the server is down, nothing blocks forever."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tasks.watch.delivery import (
    DeliveryError,
    EventPoster,
    api_headers,
    deliver,
    retry_delay,
)
from tasks.watch.outbox import Outbox, load_ledger, save_ledger


class ScriptedPoster:
    """Answers each post with the next scripted status (or raises DeliveryError for None)."""

    def __init__(self, *answers: int | None):
        self.answers = list(answers)
        self.batches: list[list[dict]] = []

    def post(self, events: list[dict]) -> int:
        answer = self.answers.pop(0) if self.answers else 204
        if answer is None:
            raise DeliveryError("ConnectError: connection refused")
        self.batches.append(events)
        return answer


def _events(n: int) -> list[dict]:
    return [{"id": f"00000000-0000-0000-0000-{i:012d}", "event": "x"} for i in range(n)]


def test_the_outbox_keeps_events_in_order_across_restarts(tmp_path):
    first = Outbox(tmp_path)
    for event in _events(3):
        first.put(event)

    reopened = Outbox(tmp_path)

    assert [reopened.read(p)["id"] for p in reopened.pending()] == [e["id"] for e in _events(3)]


def test_events_stay_queued_while_the_server_is_down_and_go_out_when_it_is_back(tmp_path):
    outbox = Outbox(tmp_path)
    for event in _events(3):
        outbox.put(event)
    poster = ScriptedPoster(None, 503, 204)

    with pytest.raises(DeliveryError):
        deliver(outbox, poster)  # unreachable
    with pytest.raises(DeliveryError, match="503"):
        deliver(outbox, poster)  # up but unavailable
    assert len(outbox.pending()) == 3

    report = deliver(outbox, poster)

    assert report.sent == 3 and outbox.pending() == []
    assert [e["id"] for e in poster.batches[-1]] == [e["id"] for e in _events(3)]


def test_a_malformed_batch_is_set_aside_so_later_events_still_go_out(tmp_path):
    outbox = Outbox(tmp_path)
    for event in _events(3):
        outbox.put(event)
    poster = ScriptedPoster(422, 204)

    report = deliver(outbox, poster, batch=2)

    assert report.rejected == 2 and report.sent == 1
    assert outbox.pending() == []
    assert len(list(outbox.rejected_folder.glob("*.json"))) == 2


def test_an_unreadable_queued_event_is_set_aside(tmp_path):
    outbox = Outbox(tmp_path)
    outbox.put(_events(1)[0])
    (outbox.folder / "00000000000000000000-broken.json").write_text("{not json")

    report = deliver(outbox, ScriptedPoster(204))

    assert report.rejected == 1 and report.sent == 1


def test_the_ledger_is_none_before_first_use_and_round_trips(tmp_path):
    assert load_ledger(tmp_path) is None
    save_ledger(tmp_path, {"/data/a.csv": "aa"})
    assert load_ledger(tmp_path) == {"/data/a.csv": "aa"}


def test_retry_delays_double_up_to_a_cap():
    assert [retry_delay(n, base_s=1.0, cap_s=30.0) for n in range(8)] == [
        0.0,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
    ]


def test_auth_headers_follow_prefects_client():
    basic = api_headers(auth_string="admin:secret")
    assert basic == {"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()}
    assert api_headers(api_key="pnu_x") == {"Authorization": "Bearer pnu_x"}
    assert api_headers() == {}


@pytest.fixture
def events_endpoint():
    """A stand-in for the server's POST /api/events that records what it was sent."""
    received: list[tuple[dict, list]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((dict(self.headers), body, self.path))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/api", received
    server.shutdown()


def test_the_poster_sends_events_with_auth_and_a_send_time(events_endpoint):
    url, received = events_endpoint
    poster = EventPoster(api_url=url, headers=api_headers(auth_string="u:p"))

    status = poster.post(_events(2))

    assert status == 204
    headers, body, path = received[0]
    assert path == "/api/events"
    assert headers["Authorization"].startswith("Basic ")
    assert [e["id"] for e in body] == [e["id"] for e in _events(2)]
    assert all(e["occurred"] for e in body)


def test_the_poster_reports_an_unreachable_server_as_a_delivery_error():
    poster = EventPoster(api_url="http://127.0.0.1:9/api", headers={}, timeout_s=2)

    with pytest.raises(DeliveryError):
        poster.post(_events(1))


def test_refused_credentials_keep_the_events_and_name_the_setting(tmp_path):
    outbox = Outbox(tmp_path)
    outbox.put(_events(1)[0])

    with pytest.raises(DeliveryError, match="PREFECT_API_AUTH_STRING"):
        deliver(outbox, ScriptedPoster(401))

    assert len(outbox.pending()) == 1
