"""The watch loop: folders in, one `chimera.benchmark.file.created` event per new or changed
benchmark file out, delivered to the Prefect server at least once.

1. On start, compare the files on disk with the ledger of announced hashes and queue what changed
   while the watcher was not running (the very first start only records what is there).
2. Collect file notices from watchfiles per watched folder until the folder has been quiet for a
   moment (a burst of copies becomes one group of events). Once the watches are up, and every
   few minutes after, rescan the folders too: that catches files written before the watches
   existed and notices the OS dropped.
3. Hash each file of the burst; queue an event for new content only (a touch is not news).
4. Send the outbox; when the server is down, keep the events and retry with backoff.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import watchfiles

from tasks.watch.changes import ContentLedger, Debouncer, is_benchmark_file, watched_folder_of
from tasks.watch.delivery import DeliveryError, Poster, deliver, retry_delay
from tasks.watch.events import describe_file, file_created_event
from tasks.watch.outbox import Outbox, load_ledger, save_ledger

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchOptions:
    quiet_s: float = 2.0  # a folder is announced once it has had no change for this long
    max_wait_s: float = 20.0  # ... or this long after its first pending change
    cooldown_s: float = 15.0  # and at least this long after its previous burst (see Debouncer)
    rescan_s: float = 300.0  # how often the folders are rescanned for missed notices
    tick_ms: int = 500  # how often the loop wakes without changes, to flush and retry
    force_polling: bool = False  # for network shares, where inotify sees nothing


def _benchmark_files(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            path = Path(root, name)
            if is_benchmark_file(path):
                yield path


class FolderWatcher:
    """Owns the outbox, the ledger and the debouncer for a set of watched folders."""

    def __init__(
        self,
        folders: list[Path],
        state_dir: Path,
        poster: Poster,
        options: WatchOptions = WatchOptions(),
        clock: Callable[[], float] = time.monotonic,
    ):
        self.folders = [Path(folder).resolve() for folder in folders]
        for folder in self.folders:
            if not folder.is_dir():
                raise ValueError(f"not a folder: {folder}")
        self.state_dir = Path(state_dir)
        self.poster = poster
        self.options = options
        self.clock = clock
        self.outbox = Outbox(self.state_dir)
        known = load_ledger(self.state_dir)
        self.first_start = known is None
        self.ledger = ContentLedger(known or {})
        self.debouncer = Debouncer(options.quiet_s, options.max_wait_s, options.cooldown_s)
        self._stats: dict[Path, tuple[int, int]] = {}  # size and mtime at the last scan
        self._last_scan = -math.inf
        self._failures = 0
        self._next_attempt = 0.0

    def queue_changed(self, folder: Path, paths: Iterable[Path], announce: bool = True) -> int:
        """Hash the files; queue an event for each whose content is new. Returns how many."""
        queued = 0
        for path in paths:
            try:
                file = describe_file(path, folder)
            except OSError as error:
                # Gone again (a temp file renamed away) or unreadable: nothing to announce.
                log.info("skipped %s: %s", path, error.strerror or error)
                continue
            if not self.ledger.is_new_content(path, file.sha256):
                continue
            if announce:
                event = file_created_event(file, event_id=uuid.uuid4(), seen_at=datetime.now(UTC))
                self.outbox.put(event)  # queued before the ledger moves: a crash re-announces
                queued += 1
                log.info("queued %s (%s)", path, file.sha256[:12])
            self.ledger.record(path, file.sha256)
        save_ledger(self.state_dir, self.ledger.hashes)
        return queued

    def scan(self) -> dict[Path, list[Path]]:
        """Per folder, the files whose size or mtime changed since the last scan (all, at first)."""
        found: dict[Path, list[Path]] = {}
        for folder in self.folders:
            for path in sorted(_benchmark_files(folder)):
                try:
                    stat = path.stat()
                except OSError:
                    continue
                if self._stats.get(path) != (stat.st_size, stat.st_mtime_ns):
                    self._stats[path] = (stat.st_size, stat.st_mtime_ns)
                    found.setdefault(folder, []).append(path)
        self._last_scan = self.clock()
        return found

    def catch_up(self) -> int:
        """Queue what changed while no watcher ran; the very first start records a baseline."""
        queued = sum(
            self.queue_changed(folder, paths, announce=not self.first_start)
            for folder, paths in self.scan().items()
        )
        if self.first_start:
            log.info("first start: recorded %d existing files as seen", len(self.ledger.hashes))
        return queued

    def notice(self, changes: Iterable[tuple[watchfiles.Change, str]]) -> None:
        now = self.clock()
        for change, raw in changes:
            if change == watchfiles.Change.deleted:
                continue
            path = Path(raw)
            folder = watched_folder_of(path, self.folders)
            if folder is None:
                continue
            # Files written into a new folder before its watch existed sent no notice of their
            # own: look inside the folder instead.
            for file in _benchmark_files(path) if path.is_dir() else [path]:
                if is_benchmark_file(file):
                    self.debouncer.note(file, folder, now)

    def rescan(self) -> None:
        now = self.clock()
        for folder, paths in self.scan().items():
            for path in paths:
                self.debouncer.note(path, folder, now)

    def flush(self) -> None:
        """Queue finished bursts, then send the outbox unless a retry is not due yet."""
        now = self.clock()
        for folder, paths in self.debouncer.due(now).items():
            self.queue_changed(folder, paths)
        if not self.outbox.pending() or now < self._next_attempt:
            return
        try:
            report = deliver(self.outbox, self.poster)
        except DeliveryError as error:
            self._failures += 1
            delay = retry_delay(self._failures)
            self._next_attempt = now + delay
            log.warning(
                "server not reachable (%s); %d events queued, retry in %.0f s",
                error,
                len(self.outbox.pending()),
                delay,
            )
            return
        if report.sent:
            log.info("sent %d events", report.sent)
        self._failures = 0
        self._next_attempt = 0.0

    def run(self, stop_event: threading.Event | None = None) -> None:
        """Watch until stop_event is set (or Ctrl-C)."""
        self.catch_up()
        self.flush()
        log.info("watching %s", ", ".join(str(f) for f in self.folders))
        watching = False
        for changes in watchfiles.watch(
            *self.folders,
            stop_event=stop_event,
            rust_timeout=self.options.tick_ms,
            yield_on_timeout=True,
            force_polling=self.options.force_polling or None,
            raise_interrupt=False,
        ):
            self.notice(changes)
            if not watching or self.clock() - self._last_scan >= self.options.rescan_s:
                watching = True  # the first yield means the watches are in place
                self.rescan()
            self.flush()
        # Queue a burst that was still settling; the outbox keeps it for the next start.
        self.debouncer.cooldown_s = 0.0
        for folder, paths in self.debouncer.due(math.inf).items():
            self.queue_changed(folder, paths)
