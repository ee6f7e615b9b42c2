"""The Ollama backend over real HTTP, against tests/ollama_server.py (replies from a real model).

Checks what goes on the wire to /api/chat, how the streamed reply and the server's nanosecond
durations are read back, and that every failure names the host or the model.
"""

from __future__ import annotations

import json
import socket

import pytest

from tasks.agents.backends import BackendError, EmbeddedBackend, OllamaBackend
from tasks.agents.options import ModelOptions
from tests.ollama_server import FakeOllamaServer

MESSAGES = [
    {"role": "system", "content": "You are brief."},
    {"role": "user", "content": "Name one planet."},
]


@pytest.fixture(scope="module")
def server():
    with FakeOllamaServer(
        models={"smollm2:135m": "smollm2-135m"},
        failing={"broken:1b": "llama runner process has terminated"},
    ) as running:
        yield running


@pytest.mark.slow
def test_options_go_out_under_ollamas_names_and_the_stream_is_joined(server):
    options = ModelOptions(temperature=0.0, seed=42, num_predict=16, num_ctx=1024, top_k=20)
    backend = OllamaBackend("smollm2:135m", host=server.host)

    reply = backend.chat(MESSAGES, options)

    sent = server.chat_requests[-1]
    assert sent["model"] == "smollm2:135m"
    assert sent["messages"] == MESSAGES
    assert sent["stream"] is True
    assert sent["options"] == {
        "temperature": 0.0,
        "seed": 42,
        "num_predict": 16,
        "num_ctx": 1024,
        "top_k": 20,
    }
    assert "format" not in sent
    # The server streamed the embedded model's reply in pieces; the client joins them back.
    assert reply.text == EmbeddedBackend("smollm2-135m").chat(MESSAGES, options).text
    assert (reply.backend, reply.model, reply.options) == (
        "ollama",
        "smollm2:135m",
        sent["options"],
    )


@pytest.mark.slow
def test_nanosecond_durations_become_milliseconds(server):
    backend = OllamaBackend("smollm2:135m", host=server.host)

    reply = backend.chat(MESSAGES, ModelOptions(temperature=0.0, seed=42, num_predict=8))

    final = server.final_chunks[-1]
    assert reply.load_ms == pytest.approx(final["load_duration"] / 1e6)
    assert reply.prompt_eval_ms == pytest.approx(final["prompt_eval_duration"] / 1e6)
    assert reply.eval_ms == pytest.approx(final["eval_duration"] / 1e6)
    assert reply.total_ms == pytest.approx(final["total_duration"] / 1e6)
    assert (reply.eval_count, reply.prompt_eval_count) == (
        final["eval_count"],
        final["prompt_eval_count"],
    )
    assert reply.tokens_per_s == pytest.approx(final["eval_count"] / (final["eval_duration"] / 1e9))
    assert reply.done_reason == final["done_reason"]
    assert reply.ttft_ms > 0


@pytest.mark.slow
def test_json_schema_is_sent_as_format(server):
    schema = {
        "type": "object",
        "properties": {"planet": {"enum": ["Mars", "Venus", "Jupiter"]}},
        "required": ["planet"],
    }
    backend = OllamaBackend("smollm2:135m", host=server.host)

    reply = backend.chat(MESSAGES, ModelOptions(temperature=0.0, num_predict=24), schema)

    assert server.chat_requests[-1]["format"] == schema
    assert json.loads(reply.text)["planet"] in {"Mars", "Venus", "Jupiter"}


def test_server_down_names_the_host():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        host = f"http://127.0.0.1:{probe.getsockname()[1]}"  # closed again: nothing listens
    backend = OllamaBackend("smollm2:135m", host=host)

    with pytest.raises(BackendError, match=f"Ollama at {host}.*not reachable") as raised:
        backend.chat(MESSAGES, ModelOptions())
    assert raised.value.retryable  # a server that is down may come up


def test_missing_model_names_the_model(server):
    backend = OllamaBackend("llama3.1:8b", host=server.host)

    with pytest.raises(
        BackendError, match="model 'llama3.1:8b': model not found.*ollama pull"
    ) as raised:
        backend.chat(MESSAGES, ModelOptions())
    assert not raised.value.retryable


def test_server_error_carries_status_and_reason(server):
    backend = OllamaBackend("broken:1b", host=server.host)

    with pytest.raises(
        BackendError, match="server error 500: llama runner process has terminated"
    ) as raised:
        backend.chat(MESSAGES, ModelOptions())
    assert raised.value.retryable
