"""The watch loop on real folders (watchfiles), with a stand-in for the Prefect server."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest

from tasks.watch.delivery import DeliveryError
from tasks.watch.watcher import FolderWatcher, WatchOptions

FAST = WatchOptions(quiet_s=0.3, max_wait_s=5.0, cooldown_s=0.0, tick_ms=100)


class FakeServer:
    """Accepts events while `up`; refuses the connection otherwise."""

    def __init__(self, up: bool = True):
        self.up = up
        self.events: list[dict] = []
        self.batches = 0

    def post(self, events: list[dict]) -> int:
        if not self.up:
            raise DeliveryError("ConnectError: connection refused")
        self.events.extend(events)
        self.batches += 1
        return 204

    def paths(self) -> list[str]:
        return sorted(event["resource"]["chimera.path"] for event in self.events)


class RunningWatcher:
    def __init__(self, watcher: FolderWatcher):
        self.watcher = watcher
        self.stop = threading.Event()
        self.thread = threading.Thread(target=watcher.run, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        time.sleep(0.5)  # let watchfiles set up its watches
        return self.watcher

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)


def wait_for(condition, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "bench"
    folder.mkdir()
    (folder / "existing.csv").write_text("model,tokens_s\na,1\n")
    return folder


def test_new_benchmark_files_are_announced_once_each_with_their_hash(tmp_path, folder):
    server = FakeServer()
    with RunningWatcher(FolderWatcher([folder], tmp_path / "state", server, FAST)):
        (folder / "sub").mkdir()
        (folder / "sub" / "new.json").write_text('{"tokens_s": 2}')
        (folder / "new.md").write_text("| a |\n|---|\n| 1 |\n")
        (folder / "notes.txt").write_text("not a benchmark file")
        assert wait_for(lambda: len(server.events) >= 2)
        time.sleep(0.5)

    assert server.paths() == [str(folder / "new.md"), str(folder / "sub" / "new.json")]
    by_path = {e["resource"]["chimera.path"]: e for e in server.events}
    sha = hashlib.sha256(b'{"tokens_s": 2}').hexdigest()
    assert by_path[str(folder / "sub" / "new.json")]["resource"]["chimera.sha256"] == sha
    assert all(e["resource"]["chimera.folder"] == str(folder) for e in server.events)


def test_a_burst_of_files_goes_out_as_one_batch(tmp_path, folder):
    server = FakeServer()
    with RunningWatcher(FolderWatcher([folder], tmp_path / "state", server, FAST)):
        for i in range(5):
            (folder / f"burst_{i}.csv").write_text(f"model,tokens_s\nm,{i}\n")
        assert wait_for(lambda: len(server.events) >= 5)

    assert server.batches == 1


def test_a_touch_or_same_bytes_rewrite_is_not_news_but_new_content_is(tmp_path, folder):
    server = FakeServer()
    existing = folder / "existing.csv"
    with RunningWatcher(FolderWatcher([folder], tmp_path / "state", server, FAST)):
        existing.touch()
        existing.write_text(existing.read_text())
        time.sleep(1.0)
        assert server.events == []
        existing.write_text("model,tokens_s\na,2\n")
        assert wait_for(lambda: len(server.events) == 1)


def test_files_seen_while_the_server_is_down_are_sent_when_it_is_back(tmp_path, folder):
    server = FakeServer(up=False)
    watcher = FolderWatcher([folder], tmp_path / "state", server, FAST)
    with RunningWatcher(watcher):
        (folder / "while_down.csv").write_text("model,tokens_s\nm,1\n")
        assert wait_for(lambda: len(watcher.outbox.pending()) == 1)
        time.sleep(0.5)
        assert server.events == []
        server.up = True
        # The first retry comes after the backoff (1 s, then 2 s, ...).
        assert wait_for(lambda: len(server.events) == 1, timeout_s=15)

    assert server.paths() == [str(folder / "while_down.csv")]
    assert watcher.outbox.pending() == []


def test_a_queued_event_survives_a_restart_of_the_watcher(tmp_path, folder):
    down = FakeServer(up=False)
    with RunningWatcher(FolderWatcher([folder], tmp_path / "state", down, FAST)) as watcher:
        (folder / "queued.csv").write_text("model,tokens_s\nm,1\n")
        assert wait_for(lambda: len(watcher.outbox.pending()) == 1)

    up = FakeServer()
    with RunningWatcher(FolderWatcher([folder], tmp_path / "state", up, FAST)):
        assert wait_for(lambda: len(up.events) == 1)

    assert up.paths() == [str(folder / "queued.csv")]


def test_files_that_landed_while_no_watcher_ran_are_announced_on_start(tmp_path, folder):
    state = tmp_path / "state"
    first = FakeServer()
    with RunningWatcher(FolderWatcher([folder], state, first, FAST)):
        time.sleep(0.3)
    assert first.events == []  # the first start only records what is already there

    (folder / "landed_offline.csv").write_text("model,tokens_s\nm,3\n")
    second = FakeServer()
    with RunningWatcher(FolderWatcher([folder], state, second, FAST)):
        assert wait_for(lambda: len(second.events) == 1)

    assert second.paths() == [str(folder / "landed_offline.csv")]


def test_a_missing_folder_is_refused_up_front(tmp_path):
    with pytest.raises(ValueError, match="not a folder"):
        FolderWatcher([tmp_path / "nope"], tmp_path / "state", FakeServer(), FAST)
