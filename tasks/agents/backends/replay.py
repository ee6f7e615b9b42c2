"""Record a backend's replies, and replay them without a model.

`RecordingBackend` wraps a real backend and appends each call to a JSON Lines file: the
request's key, the reply's text and its measured timings. `ReplayBackend` answers a request
from such a file by the same key, so the same findings, persona and options get the same reply
with no model loaded: the whole pipeline (prompts, claim checks, fallback, reports) runs in
seconds, which is what the end-to-end tests do (`--backend replay --model FILE`). A request the
file does not hold (the prompt or the findings changed since it was recorded) is a BackendError
that says so, never a made-up reply. The timings replayed are those measured when recording,
and the calls say backend "replay", so they are never taken for this run's measurements.
Record with CHIMERA_RECORD_REPLIES=FILE on any run.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, replace
from pathlib import Path

from tasks.agents.backends.base import BackendError, ChatBackend, Completion, ModelChoiceError
from tasks.agents.options import ModelOptions


def request_key(
    messages: list[dict[str, str]], options: ModelOptions, json_schema: dict | None
) -> str:
    """What determines a reply: the messages, the options sent and the schema."""
    request = {"messages": messages, "options": options.to_ollama(), "schema": json_schema}
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


class RecordingBackend:
    """A backend whose every reply is also appended to `path`."""

    _lock = threading.Lock()  # agents A and B call concurrently

    def __init__(self, inner: ChatBackend, path: Path | str) -> None:
        self.inner, self.path = inner, Path(path)
        self.name, self.model = inner.name, inner.model

    def chat(
        self,
        messages: list[dict[str, str]],
        options: ModelOptions,
        json_schema: dict | None = None,
    ) -> Completion:
        completion = self.inner.chat(messages, options, json_schema)
        line = {"key": request_key(messages, options, json_schema), **asdict(completion)}
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")
        return completion


class ReplayBackend:
    """Answers each request with the reply recorded for it in `path`."""

    name = "replay"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ModelChoiceError(f"replay: cannot read {self.path}: {error.strerror}") from None
        self._replies: dict[str, dict] = {}
        for number, line in enumerate(lines, start=1):
            try:
                record = json.loads(line)
                self._replies[record.pop("key")] = record
            except (ValueError, KeyError, AttributeError):
                raise BackendError(
                    f"replay: {self.path} line {number} is not a recorded reply", retryable=False
                ) from None
        self.model = str(self.path)  # what answers; each call keeps the model that was recorded

    def chat(
        self,
        messages: list[dict[str, str]],
        options: ModelOptions,
        json_schema: dict | None = None,
    ) -> Completion:
        record = self._replies.get(request_key(messages, options, json_schema))
        if record is None:
            raise BackendError(
                f"replay: {self.path} holds no reply for this request (the prompt, options or "
                "findings changed since it was recorded; record again with "
                "CHIMERA_RECORD_REPLIES)",
                retryable=False,
            )
        return replace(Completion(**record), backend=self.name)
