"""The event announcing a benchmark file: what a trigger and an operator can read from it."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from prefect.events import Event

from tasks.watch.events import FILE_CREATED, describe_file, file_created_event


def test_the_event_names_the_file_its_folder_and_its_content_hash(tmp_path):
    folder = tmp_path / "team-a"
    (folder / "gemma3").mkdir(parents=True)
    path = folder / "gemma3" / "run.csv"
    content = b"model,tokens_s\ngemma3:270m,280.5\n"
    path.write_bytes(content)
    event_id = uuid.uuid4()

    event = file_created_event(
        describe_file(path, folder), event_id=event_id, seen_at=datetime(2026, 1, 2, tzinfo=UTC)
    )

    assert event["event"] == FILE_CREATED
    assert event["id"] == str(event_id)
    resource = event["resource"]
    assert resource["chimera.path"] == str(path)
    assert resource["chimera.folder"] == str(folder)
    assert resource["chimera.folder.name"] == "team-a"
    assert resource["chimera.sha256"] == hashlib.sha256(content).hexdigest()
    assert resource["prefect.resource.id"].startswith("chimera.benchmark.file.")
    assert event["payload"]["size_bytes"] == len(content)
    assert event["payload"]["seen_at"].startswith("2026-01-02")


def test_the_event_is_a_valid_prefect_event_once_it_has_a_time(tmp_path):
    path = tmp_path / "run.json"
    path.write_text('{"tokens_s": 1}')
    event = file_created_event(
        describe_file(path, tmp_path), event_id=uuid.uuid4(), seen_at=datetime.now(UTC)
    )

    parsed = Event.model_validate({**event, "occurred": datetime.now(UTC).isoformat()})

    assert parsed.resource["chimera.folder"] == str(tmp_path)
    assert parsed.resource.id == f"chimera.benchmark.file.{path}"
