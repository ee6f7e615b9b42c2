"""Options under Ollama's names, host handling, and which backend select_backend picks."""

from __future__ import annotations

import socket

import pydantic
import pytest

from tasks.agents.backends import (
    DEFAULT_EMBEDDED_MODEL,
    ChatBackend,
    EmbeddedBackend,
    OllamaBackend,
    ollama_reachable,
    select_backend,
)
from tasks.agents.backends.ollama_backend import normalize_host
from tasks.agents.options import ModelOptions
from tests.ollama_server import FakeOllamaServer


@pytest.fixture
def closed_port_host() -> str:
    """A local address with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_to_ollama_keeps_only_set_options_including_zero():
    options = ModelOptions(temperature=0.0, seed=42, num_ctx=1024)

    assert options.to_ollama() == {"temperature": 0.0, "seed": 42, "num_ctx": 1024}
    assert ModelOptions().to_ollama() == {}


def test_model_options_reject_unknown_names_and_bad_values():
    with pytest.raises(pydantic.ValidationError, match="num_thread"):
        ModelOptions(num_thread=4)
    with pytest.raises(pydantic.ValidationError, match="top_p"):
        ModelOptions(top_p=1.5)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1", "http://127.0.0.1:11434"),
        (":8080", "http://127.0.0.1:8080"),
        ("gpu-box:11434/", "http://gpu-box:11434"),
        ("https://ollama.example.org", "https://ollama.example.org:443"),
        ("http://[::1]:5000", "http://[::1]:5000"),
    ],
)
def test_normalize_host_fills_scheme_and_port_like_ollama(given, expected):
    assert normalize_host(given) == expected


def test_ollama_reachable_answers_true_only_when_a_server_answers(closed_port_host):
    with FakeOllamaServer() as server:
        assert ollama_reachable(server.host)
    assert not ollama_reachable(closed_port_host, timeout_s=0.5)


def test_auto_picks_ollama_when_it_answers():
    with FakeOllamaServer() as server:
        backend = select_backend("auto", model="smollm2:135m", host=server.host)

    assert isinstance(backend, OllamaBackend)
    assert (backend.name, backend.model, backend.host) == ("ollama", "smollm2:135m", server.host)


def test_auto_falls_back_to_embedded_when_nothing_listens(closed_port_host):
    backend = select_backend("auto", host=closed_port_host)

    assert isinstance(backend, EmbeddedBackend)
    assert isinstance(backend, ChatBackend)
    assert (backend.name, backend.model) == ("embedded", DEFAULT_EMBEDDED_MODEL)


def test_auto_reads_ollama_host_from_the_environment(monkeypatch, closed_port_host):
    with FakeOllamaServer() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host.removeprefix("http://"))
        assert isinstance(select_backend("auto"), OllamaBackend)
    monkeypatch.setenv("OLLAMA_HOST", closed_port_host)
    assert isinstance(select_backend("auto"), EmbeddedBackend)


def test_explicit_kind_is_obeyed_and_unknown_kind_refused(closed_port_host):
    with FakeOllamaServer() as server:
        assert isinstance(select_backend("embedded", host=server.host), EmbeddedBackend)
    # Asking for Ollama by name gives Ollama even when it is down: the call will say why.
    assert isinstance(select_backend("ollama", host=closed_port_host), OllamaBackend)
    with pytest.raises(ValueError, match="unknown backend kind 'vllm'"):
        select_backend("vllm")
