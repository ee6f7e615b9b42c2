"""The `chimera.benchmark.file.created` event: a benchmark file on disk in, a Prefect event out.

The event names the file three ways a trigger or a person may want it: the resource labels
`chimera.path`, `chimera.folder` (the watched folder, which is what a flow run is pointed at),
`chimera.folder.name` and `chimera.sha256`; the payload repeats them with the size and when the
watcher saw the file. Deployment triggers template their parameters from these labels.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

FILE_CREATED = "chimera.benchmark.file.created"
RESOURCE_PREFIX = "chimera.benchmark.file."


@dataclass(frozen=True)
class BenchmarkFile:
    path: Path  # absolute
    folder: Path  # the watched folder it lies under
    sha256: str
    size_bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_file(path: Path, folder: Path) -> BenchmarkFile:
    """Hash a file as it is now; raises OSError when it vanished or cannot be read."""
    return BenchmarkFile(
        path=path, folder=folder, sha256=sha256_of(path), size_bytes=path.stat().st_size
    )


def file_created_event(file: BenchmarkFile, *, event_id: UUID, seen_at: datetime) -> dict:
    """The event as JSON for Prefect's `POST /api/events`.

    `occurred` is left to the moment of sending (see delivery): the server's triggers bucket
    events by `occurred`, and an event held back while the server was down must still count as
    new when it finally arrives. The id is fixed when the event is queued, so a resend after an
    unclear failure is recognised by the server as the same event.
    """
    labels = {
        "chimera.path": str(file.path),
        "chimera.folder": str(file.folder),
        "chimera.folder.name": file.folder.name,
        "chimera.sha256": file.sha256,
    }
    return {
        "id": str(event_id),
        "event": FILE_CREATED,
        "resource": {
            "prefect.resource.id": f"{RESOURCE_PREFIX}{file.path}",
            "prefect.resource.name": file.path.name,
            **labels,
        },
        "related": [],
        "payload": {
            "path": str(file.path),
            "folder": str(file.folder),
            "sha256": file.sha256,
            "size_bytes": file.size_bytes,
            "seen_at": seen_at.isoformat(),
        },
    }
