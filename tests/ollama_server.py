"""A small fake Ollama server for tests: real HTTP on 127.0.0.1, replies from the embedded model.

In: the Ollama tags it serves, mapped to embedded model names (default smollm2:135m ->
smollm2-135m). Out, while running: /api/version, /api/tags and /api/chat (streamed NDJSON, or
one JSON object with "stream": false) as Ollama writes them, 404 {"error": "model 'x' not
found"} for other models, and 500 for the tags listed in `failing`. It keeps every /api/chat
request body in `chat_requests` and every final chunk it sent in `final_chunks`, so tests can
check what the client sent and how it read the reply.

    with FakeOllamaServer() as server:
        backend = OllamaBackend("smollm2:135m", host=server.host)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tasks.agents.backends.base import Completion
from tasks.agents.backends.embedded import EmbeddedBackend
from tasks.agents.options import ModelOptions

FAKE_VERSION = "0.0.0-fake"
_NS_PER_MS = 1_000_000


def _pieces(text: str) -> list[str]:
    """The reply cut into word-sized pieces that join back to the exact text, as a stream."""
    pieces, current = [], ""
    for character in text:
        if character.isspace() and current.strip():
            pieces.append(current)
            current = ""
        current += character
    return [*pieces, current] if current else pieces


def _final_fields(completion: Completion) -> dict:
    return {
        "done": True,
        "done_reason": completion.done_reason,
        "total_duration": round(completion.total_ms * _NS_PER_MS),
        "load_duration": round(completion.load_ms * _NS_PER_MS),
        "prompt_eval_count": completion.prompt_eval_count,
        "prompt_eval_duration": round(completion.prompt_eval_ms * _NS_PER_MS),
        "eval_count": completion.eval_count,
        "eval_duration": round(completion.eval_ms * _NS_PER_MS),
    }


class FakeOllamaServer:
    """Context manager running the fake server on a free port; `host` is its base URL."""

    def __init__(
        self,
        models: Mapping[str, str] | None = None,
        failing: Mapping[str, str] | None = None,
        hanging: Sequence[str] = (),
    ) -> None:
        self.models = dict(models or {"smollm2:135m": "smollm2-135m"})
        self.failing = dict(failing or {})  # tag -> error text answered with HTTP 500
        self.hanging = set(hanging)  # tags whose chat requests are never answered
        self._closing = threading.Event()
        self.chat_requests: list[dict] = []
        self.final_chunks: list[dict] = []
        self._backends: dict[str, EmbeddedBackend] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.host = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeOllamaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()  # lets the hanging requests' threads end
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _backend(self, tag: str) -> EmbeddedBackend:
        if tag not in self._backends:
            self._backends[tag] = EmbeddedBackend(self.models[tag])
        return self._backends[tag]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
                pass

            def _send_json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/api/version":
                    self._send_json(200, {"version": FAKE_VERSION})
                elif self.path == "/api/tags":
                    tags = [{"name": tag, "model": tag} for tag in server.models]
                    self._send_json(200, {"models": tags})
                else:
                    self._send_json(404, {"error": f"no route {self.path}"})

            def do_POST(self) -> None:
                if self.path != "/api/chat":
                    self._send_json(404, {"error": f"no route {self.path}"})
                    return
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.chat_requests.append(body)
                tag = body.get("model", "")
                if tag in server.hanging:
                    server._closing.wait()  # a server that accepted the request and froze
                elif tag in server.failing:
                    self._send_json(500, {"error": server.failing[tag]})
                elif tag not in server.models:
                    self._send_json(404, {"error": f"model '{tag}' not found"})
                else:
                    self._chat(tag, body)

            def _chat(self, tag: str, body: dict) -> None:
                schema = body.get("format")
                try:
                    completion = server._backend(tag).chat(
                        body.get("messages", []),
                        ModelOptions(**body.get("options", {})),
                        json_schema=schema if isinstance(schema, dict) else None,
                    )
                except Exception as error:  # answer as Ollama does, with the reason
                    self._send_json(500, {"error": str(error)})
                    return
                created_at = datetime.now(UTC).isoformat()

                def chunk(content: str) -> dict:
                    message = {"role": "assistant", "content": content}
                    return {"model": tag, "created_at": created_at, "message": message}

                final = {**chunk(""), **_final_fields(completion)}
                server.final_chunks.append(final)
                if body.get("stream", True) is False:
                    self._send_json(200, {**final, **chunk(completion.text)})
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for line in [
                    *({**chunk(p), "done": False} for p in _pieces(completion.text)),
                    final,
                ]:
                    data = (json.dumps(line) + "\n").encode()
                    self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

        return Handler
