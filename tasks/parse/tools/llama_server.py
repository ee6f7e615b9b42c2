"""llama.cpp server (`llama-server`) /completion responses with their `timings` object.

In: a Document: one response, a list of them, or JSON lines (a stream's last chunk holds the
timings). Out: one record per response: generation and prompt tokens/s as the server measured
them (predicted_per_second, prompt_per_second), prompt and generation time in ms, token counts,
tokens served from the cache in `extra`. Dimensions: the model file, and the sampling options
of generation_settings (temperature, top_p, top_k, n_ctx).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    EVAL,
    OUTPUT_TOKENS,
    PROMPT_EVAL,
    PROMPT_THROUGHPUT,
    PROMPT_TOKENS,
    THROUGHPUT,
    Document,
    ToolReader,
    ToolWriter,
    all_dicts,
)

_TIMINGS = (
    ("predicted_per_second", THROUGHPUT),
    ("prompt_per_second", PROMPT_THROUGHPUT),
    ("predicted_ms", EVAL),
    ("prompt_ms", PROMPT_EVAL),
    ("predicted_n", OUTPUT_TOKENS),
    ("prompt_n", PROMPT_TOKENS),
)


def _has_timings(item: Any) -> bool:
    return (
        isinstance(item, Mapping)
        and isinstance(item.get("timings"), Mapping)
        and "predicted_per_second" in item["timings"]
    )


def _responses(document: Document) -> list[tuple[str, Mapping[str, Any]]]:
    data = document.json
    if _has_timings(data):
        return [("/", data)]
    if all_dicts(data) and any(_has_timings(item) for item in data):
        return [(f"/{i}", item) for i, item in enumerate(data) if _has_timings(item)]
    lines = document.json_lines if data is None else None
    if lines and any(_has_timings(line) for line in lines):
        return [(f"line {i + 1}", line) for i, line in enumerate(lines) if _has_timings(line)]
    return []


def detect(document: Document) -> str | None:
    responses = _responses(document)
    if not responses:
        return None
    build = responses[0][1].get("system_fingerprint")
    return build if isinstance(build, str) else ""


def read(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink, runtime="llama.cpp")
    for locator, response in _responses(document):
        settings = response.get("generation_settings")
        settings = settings if isinstance(settings, Mapping) else {}
        timings = response["timings"]
        dims = {
            "model": response.get("model") or settings.get("model"),
            "temperature": settings.get("temperature"),
            "top_p": settings.get("top_p"),
            "top_k": settings.get("top_k"),
            "num_ctx": settings.get("n_ctx"),
            "extra": {"cache_n": timings.get("cache_n"), "stop_type": response.get("stop_type")},
        }
        record = writer.record(locator, dims)
        for key, metric in _TIMINGS:
            writer.value(record, metric, f"timings.{key}", timings.get(key))


READERS = (ToolReader("llama.cpp server timings", detect, read),)
