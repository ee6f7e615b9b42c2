"""LLM backends behind one interface: an Ollama server, or a GGUF model embedded in-process.

In: which backend ("auto" | "ollama" | "embedded" | "replay"), a model name (for replay, the
file of recorded replies), an Ollama host. Out: a
ChatBackend whose chat() returns a Completion. "auto" takes Ollama when it answers at the host
and the embedded model otherwise, so the pipeline runs on a laptop with nothing installed.
"""

from __future__ import annotations

import logging

from tasks.agents.backends.base import BackendError, ChatBackend, Completion, ModelChoiceError
from tasks.agents.backends.embedded import EmbeddedBackend
from tasks.agents.backends.models import DEFAULT_EMBEDDED_MODEL, resolve_model
from tasks.agents.backends.ollama_backend import (
    DEFAULT_OLLAMA_MODEL,
    OllamaBackend,
    default_host,
    normalize_host,
    ollama_models,
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
    "check_backend",
    "Completion",
    "EmbeddedBackend",
    "OllamaBackend",
    "ollama_reachable",
    "select_backend",
]

logger = logging.getLogger(__name__)


def check_backend(kind: BackendKind = "auto", model: str | None = None) -> None:
    """Before any work: BackendError, in one line, when the backend or model cannot be had (an
    unknown embedded model, with the choices; no Ollama at the host; a model Ollama lacks, with
    the ones it has; no replay file). Loads no model."""
    if kind == "replay":
        select_backend("replay", model)  # reads the file
        return
    host = default_host()
    if kind == "auto":
        kind = "ollama" if ollama_reachable(host) else "embedded"
    if kind == "embedded":
        resolve_model(model or DEFAULT_EMBEDDED_MODEL)
        return
    wanted = model or DEFAULT_OLLAMA_MODEL
    have = ollama_models(host)
    if wanted not in have and f"{wanted}:latest" not in have:
        raise ModelChoiceError(
            f"Ollama at {host} has no model {wanted!r} (it has: {', '.join(have) or 'none'}); "
            f"pull it with `ollama pull {wanted}`"
        )


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
            raise ModelChoiceError("--backend replay needs --model FILE: the recorded replies")
        return ReplayBackend(model)
    if kind == "ollama":
        chosen: ChatBackend = OllamaBackend(model or DEFAULT_OLLAMA_MODEL, host=base_url)
    elif kind == "embedded":
        chosen = EmbeddedBackend(model or DEFAULT_EMBEDDED_MODEL)
    else:
        raise ValueError(f"unknown backend kind {kind!r}: choose one of {', '.join(BACKENDS)}")
    recording = settings().record_replies
    return RecordingBackend(chosen, recording) if recording else chosen
