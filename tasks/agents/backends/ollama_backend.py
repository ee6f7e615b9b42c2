"""Ollama backend: chat over HTTP with a running Ollama server, through the official client.

In: chat messages, ModelOptions (sent as Ollama's `options`, set fields only), optionally a JSON
schema sent as `format`. Out: a Completion with the time to the first streamed text measured here
and the server's nanosecond durations from the final chunk in milliseconds, or a BackendError
naming the host, the model and the cause (not reachable, model not pulled, server error).
"""

from __future__ import annotations

from time import perf_counter
from urllib.parse import urlsplit

import httpx
import ollama

from tasks.agents.backends.base import BackendError, Completion, tokens_per_second
from tasks.agents.options import ModelOptions
from tasks.settings import DEFAULT_OLLAMA_HOST, settings

DEFAULT_OLLAMA_MODEL = "gemma3:270m"
_NS_PER_MS = 1_000_000


def normalize_host(host: str) -> str:
    """An Ollama host as a base URL, filled in the way Ollama's client reads OLLAMA_HOST.

    "1.2.3.4" -> http://1.2.3.4:11434, ":8080" -> http://127.0.0.1:8080,
    "http://example.com" -> http://example.com:80, "https://example.com" -> ...:443.
    """
    scheme, separator, rest = host.strip().partition("://")
    if not separator:
        scheme, rest = "http", host.strip()
        default_port = 11434
    else:
        default_port = {"http": 80, "https": 443}.get(scheme, 11434)
    parts = urlsplit(f"{scheme}://{rest}")
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port is not None else parts.netloc
    netloc = netloc or "127.0.0.1"
    return f"{scheme}://{netloc}:{parts.port or default_port}{parts.path.rstrip('/')}"


def default_host() -> str:
    """OLLAMA_HOST when set (as the ollama CLI reads it), else the local default."""
    return normalize_host(settings().ollama_host or DEFAULT_OLLAMA_HOST)


def ollama_reachable(host: str, timeout_s: float = 1.0) -> bool:
    """Whether an Ollama server answers GET /api/version at host within timeout_s."""
    try:
        response = httpx.get(f"{normalize_host(host)}/api/version", timeout=timeout_s)
        return response.status_code == 200 and "version" in response.json()
    except (httpx.HTTPError, ValueError):
        return False


def ollama_models(host: str, timeout_s: float = 5.0) -> list[str]:
    """The model tags an Ollama server has (GET /api/tags); BackendError naming the host and
    OLLAMA_HOST when it does not answer."""
    host = normalize_host(host)
    try:
        response = httpx.get(f"{host}/api/tags", timeout=timeout_s)
        response.raise_for_status()
        return sorted(m.get("model") or m["name"] for m in response.json().get("models", []))
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
        raise BackendError(
            f"no Ollama server answers at {host} ({type(error).__name__}); start one, or point "
            "OLLAMA_HOST at it, or use --backend embedded",
            retryable=False,
        ) from None


def _ms(nanoseconds: int | None) -> float:
    return (nanoseconds or 0) / _NS_PER_MS


class OllamaBackend:
    """One model on one Ollama server; each chat() streams one /api/chat request."""

    name = "ollama"

    def __init__(self, model: str, host: str | None = None, timeout_s: float | None = None) -> None:
        self.model = model
        # The agent budget is how long one agent may wait on the server in all, over its
        # retried requests (the agent task tries three times): a server that never answers
        # costs that, not half an hour.
        timeout_s = settings().agent_budget_s / 3 if timeout_s is None else timeout_s
        self.host = normalize_host(host) if host else default_host()
        # Connecting should be quick; a long reply from a large model may not be.
        timeout = httpx.Timeout(timeout_s, connect=5.0)
        self._client = ollama.Client(host=self.host, timeout=timeout)

    def _fail(self, cause: str, retryable: bool = True) -> BackendError:
        message = f"Ollama at {self.host}, model {self.model!r}: {cause}"
        return BackendError(message, retryable=retryable)

    def chat(
        self,
        messages: list[dict[str, str]],
        options: ModelOptions,
        json_schema: dict | None = None,
    ) -> Completion:
        sent = options.to_ollama()
        started = perf_counter()
        first_text_at: float | None = None
        pieces: list[str] = []
        final: ollama.ChatResponse | None = None
        try:
            for chunk in self._client.chat(
                model=self.model,
                messages=messages,
                options=sent,
                format=json_schema,
                stream=True,
            ):
                content = chunk.message.content
                if content:
                    first_text_at = first_text_at or perf_counter()
                    pieces.append(content)
                if chunk.done:
                    final = chunk
        except ollama.ResponseError as error:
            if error.status_code == 404:
                raise self._fail(
                    f"model not found on the server (ollama pull {self.model}): {error.error}",
                    retryable=False,
                ) from error
            # 4xx other than 404: the request itself is wrong (a bad option or schema).
            retryable = not 400 <= error.status_code < 500
            cause = f"server error {error.status_code}: {error.error}"
            raise self._fail(cause, retryable=retryable) from error
        except (ConnectionError, httpx.HTTPError) as error:
            cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise self._fail(f"server not reachable or connection lost: {cause}") from error
        finished = perf_counter()
        if final is None:
            raise self._fail("the reply stream ended without a final (done) chunk")

        eval_count = final.eval_count or 0
        eval_ms = _ms(final.eval_duration)
        return Completion(
            text="".join(pieces),
            backend=self.name,
            model=self.model,
            options=sent,
            ttft_ms=((first_text_at or finished) - started) * 1000.0,
            tokens_per_s=tokens_per_second(eval_count, eval_ms),
            eval_count=eval_count,
            prompt_eval_count=final.prompt_eval_count or 0,
            load_ms=_ms(final.load_duration),
            prompt_eval_ms=_ms(final.prompt_eval_duration),
            eval_ms=eval_ms,
            total_ms=_ms(final.total_duration),
            done_reason=final.done_reason or "stop",
        )
