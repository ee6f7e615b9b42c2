"""The watcher's state on disk: events not yet accepted by the server, and hashes announced.

In: events to send and file hashes to remember. Out: the same, after a restart.

    STATE/outbox/<sequence>-<event id>.json   one event each, oldest first, until the server
                                              accepts it (then the file is deleted)
    STATE/rejected/                           events the server refused as malformed, kept
                                              for a person to read instead of blocking the queue
    STATE/ledger.json                         {path: sha256} of every file announced

Every write is a temporary file renamed into place, so a watcher killed mid-write leaves either
the old state or the new one, never half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Outbox:
    """A folder of queued events: a small persistent FIFO that survives restarts."""

    def __init__(self, state_dir: Path):
        self.folder = Path(state_dir) / "outbox"
        self.rejected_folder = Path(state_dir) / "rejected"
        self.folder.mkdir(parents=True, exist_ok=True)

    def put(self, event: dict) -> Path:
        # time_ns keeps FIFO order across restarts; the event id keeps names unique.
        path = self.folder / f"{time.time_ns():020d}-{event['id']}.json"
        _write_atomically(path, json.dumps(event))
        return path

    def pending(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("*.json") if not p.name.startswith("."))

    def read(self, path: Path) -> dict:
        return json.loads(path.read_text(encoding="utf-8"))

    def done(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def reject(self, path: Path) -> None:
        self.rejected_folder.mkdir(parents=True, exist_ok=True)
        os.replace(path, self.rejected_folder / path.name)


def load_ledger(state_dir: Path) -> dict[str, str] | None:
    """The announced hashes, or None when this state folder has never been used."""
    path = Path(state_dir) / "ledger.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def save_ledger(state_dir: Path, hashes: dict[str, str]) -> None:
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    _write_atomically(Path(state_dir) / "ledger.json", json.dumps(hashes, sort_keys=True))
