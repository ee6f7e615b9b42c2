"""LLM backends behind one interface: an Ollama server, or a GGUF model embedded in-process.

In: which backend ("auto" | "ollama" | "embedded" | "replay"), a model name (for replay, the
file of recorded replies), an Ollama host. Out: a
ChatBackend whose chat() returns a Completion. "auto" takes Ollama when it answers at the host
and the embedded model otherwise, so the pipeline runs on a laptop with nothing installed.
"""

from __future__ import annotations

import logging

from tasks.agents.backends.base import BackendError, ChatBackend, Completion
from tasks.agents.backends.embedded import EmbeddedBackend
from tasks.agents.backends.models import DEFAULT_EMBEDDED_MODEL
from tasks.agents.backends.ollama_backend import (
    DEFAULT_OLLAMA_MODEL,
    OllamaBackend,
    default_host,
    normalize_host,
    ollama_reachable,
)
from tasks.agents.backends.replay import RecordingBackend, ReplayBackend
from tasks.choices import BACKENDS, BackendKind
from tasks.settings import settings

__all__ = [
    "DEFAULT_EMBEDDED_MODEL",
    "DEFAULT_OLLAMA_MODEL",
    "BackendError",
    "ChatBackend",
    "Completion",
    "EmbeddedBackend",
    "OllamaBackend",
    "ollama_reachable",
    "select_backend",
]

logger = logging.getLogger(__name__)


def select_backend(
    kind: BackendKind = "auto",
    model: str | None = None,
    host: str | None = None,
) -> ChatBackend:
    """The backend to run agents on; model None means that backend's default model.

    host defaults to OLLAMA_HOST, else http://127.0.0.1:11434. With "auto", a quick GET of
    /api/version decides; the model name is passed to whichever backend is chosen (the embedded
    backend also accepts the Ollama tags "smollm2:135m" and "gemma3:270m").
    """
    base_url = normalize_host(host) if host else default_host()
    if kind == "auto":
        kind = "ollama" if ollama_reachable(base_url) else "embedded"
        logger.info("backend auto: %s (Ollama checked at %s)", kind, base_url)
    if kind == "replay":
        if not model:
            raise BackendError("--backend replay needs --model FILE: the recorded replies")
        return ReplayBackend(model)
    if kind == "ollama":
        chosen: ChatBackend = OllamaBackend(model or DEFAULT_OLLAMA_MODEL, host=base_url)
    elif kind == "embedded":
        chosen = EmbeddedBackend(model or DEFAULT_EMBEDDED_MODEL)
    else:
        raise ValueError(f"unknown backend kind {kind!r}: choose one of {', '.join(BACKENDS)}")
    recording = settings().record_replies
    return RecordingBackend(chosen, recording) if recording else chosen
