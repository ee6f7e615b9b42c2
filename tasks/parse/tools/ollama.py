"""Ollama: /api/generate and /api/chat responses (one object, a list, or a stream's JSON lines,
where only the final chunk, "done": true, holds the timings) and `ollama run --verbose` output.

In: a Document. Out: one record per response or per verbose block, with load, prompt eval,
eval and total durations in ms, the token counts, and the two rates Ollama itself reports:
eval rate (throughput_tok_s, eval_count / eval_duration) and prompt eval rate (prompt_tok_s).
Nothing Ollama does not measure is made up: its output has no time to first token.
Dimensions: the model (the response's "model", or a "model_name = x" / "ollama run x" line
before a verbose block), the options of an /api request echoed beside it, the time created.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tasks.parse import dimensions as dim
from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    EVAL,
    LOAD,
    OUTPUT_TOKENS,
    PROMPT_EVAL,
    PROMPT_THROUGHPUT,
    PROMPT_TOKENS,
    THROUGHPUT,
    TOTAL,
    Document,
    ToolReader,
    ToolWriter,
    all_dicts,
    as_number,
)

_NS_TO_MS = 1e-6
_DURATIONS = (
    ("load_duration", LOAD),
    ("prompt_eval_duration", PROMPT_EVAL),
    ("eval_duration", EVAL),
    ("total_duration", TOTAL),
)


def _is_response(item: Mapping[str, Any]) -> bool:
    return "eval_count" in item and "eval_duration" in item and item.get("done", True) is not False


# --- API responses ----------------------------------------------------------------------------


def _responses(document: Document) -> list[tuple[str, Mapping[str, Any]]]:
    data = document.json
    if isinstance(data, dict) and _is_response(data):
        return [("/", data)]
    if all_dicts(data) and any(_is_response(item) for item in data):
        return [(f"/{i}", item) for i, item in enumerate(data) if _is_response(item)]
    lines = document.json_lines if data is None else None
    if lines and all(
        "model" in line and ("response" in line or "message" in line) for line in lines
    ):
        return [(f"line {i + 1}", line) for i, line in enumerate(lines) if _is_response(line)]
    return []


def detect_api(document: Document) -> str | None:
    return "" if _responses(document) else None


def read_api(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink, runtime="ollama")
    for locator, response in _responses(document):
        dims: dict[str, Any] = {
            "model": response.get("model"),
            "timestamp": response.get("created_at"),
        }
        options = response.get("options")
        if isinstance(options, Mapping):
            dims.update(dim.decode_options(options))
        record = writer.record(locator, dims)
        for key, metric in _DURATIONS:
            writer.value(record, metric, key, response.get(key), scale=_NS_TO_MS)
        writer.value(record, PROMPT_TOKENS, "prompt_eval_count", response.get("prompt_eval_count"))
        writer.value(record, OUTPUT_TOKENS, "eval_count", response.get("eval_count"))
        _rate(writer, record, THROUGHPUT, "eval_count / eval_duration", response, "eval")
        _rate(
            writer,
            record,
            PROMPT_THROUGHPUT,
            "prompt_eval_count / prompt_eval_duration",
            response,
            "prompt_eval",
        )


def _rate(
    writer: ToolWriter, record: int, metric: str, raw: str, response: Mapping[str, Any], key: str
) -> None:
    count = as_number(response.get(f"{key}_count"))
    nanoseconds = as_number(response.get(f"{key}_duration"))
    if count is not None and nanoseconds:
        writer.value(record, metric, raw, count / (nanoseconds / 1e9))


# --- `ollama run --verbose` -------------------------------------------------------------------

_VERBOSE_LINE = re.compile(
    r"^\s*(?P<label>total duration|load duration|prompt eval count|prompt eval duration|"
    r"prompt eval rate|eval count|eval duration|eval rate):\s*(?P<value>\S+)",
    re.MULTILINE,
)
_MODEL_LINE = re.compile(
    r"(?:^|\s)(?:model(?:_name)?\s*[=:]\s*|ollama\s+run\s+)(?P<model>[A-Za-z0-9][\w.\-/]*(?::[\w.\-]+)?)",
    re.IGNORECASE,
)
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m(?!s)|s|ms|µs|us|ns)")
_GO_UNITS_MS = {"h": 3.6e6, "m": 6e4, "s": 1e3, "ms": 1.0, "µs": 1e-3, "us": 1e-3, "ns": 1e-6}
_VERBOSE_METRICS = {
    "total duration": TOTAL,
    "load duration": LOAD,
    "prompt eval duration": PROMPT_EVAL,
    "eval duration": EVAL,
    "prompt eval count": PROMPT_TOKENS,
    "eval count": OUTPUT_TOKENS,
    "prompt eval rate": PROMPT_THROUGHPUT,
    "eval rate": THROUGHPUT,
}


def go_duration_ms(text: str) -> float | None:
    """A Go duration ("1m13.924423459s", "17.6s", "7.518167ms") in milliseconds."""
    parts = _GO_DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(float(number) * _GO_UNITS_MS[unit] for number, unit in parts)


def detect_verbose(document: Document) -> str | None:
    text = document.plain_text
    if "eval rate:" not in text or "total duration:" not in text:
        return None
    return ""  # the verbose output states no version


def read_verbose(document: Document, sink: MetricSink) -> None:
    text = document.plain_text
    writer = ToolWriter(sink, runtime="ollama")
    models = [(m.start(), m["model"]) for m in _MODEL_LINE.finditer(text)]
    block: dict[str, str] = {}
    block_line = 0
    runs_per_model: dict[str | None, int] = {}

    def flush() -> None:
        if not block:
            return
        model = next((name for at, name in reversed(models) if at < block_start), None)
        runs_per_model[model] = runs_per_model.get(model, 0) + 1
        record = writer.record(
            f"line {block_line}", {"model": model, "run_index": runs_per_model[model]}
        )
        for label, value in block.items():
            metric = _VERBOSE_METRICS[label]
            if label.endswith("duration"):
                writer.value(record, metric, label, go_duration_ms(value))
            else:
                writer.value(record, metric, label, value)

    block_start = 0
    for match in _VERBOSE_LINE.finditer(text):
        label = match["label"]
        if label == "total duration" or label in block:
            flush()
            block = {}
            block_start = match.start()
            # the label's own line: the match starts with the blank lines before it
            block_line = text.count("\n", 0, match.start("label")) + 1
        block[label] = match["value"]
    flush()


READERS = (
    ToolReader("ollama api", detect_api, read_api),
    ToolReader("ollama run --verbose", detect_verbose, read_verbose),
)
