"""vLLM's benchmarks: `vllm bench serve --save-result` (and benchmark_serving.py before it), a
sweep's per-run files and its summary.json (a list of runs), `bench throughput` and
`bench latency` results.

In: a Document. Out: one record per run: request and token throughput of the server, each
latency (TTFT, TPOT, ITL, end-to-end) per statistic (mean, median, std, pNN), completed and
failed requests, and where an older serving file keeps per-request lists (ttfts, itls), one
record per request. Dimensions: model_id, concurrency, the API backend, the run's date
("20260818-021333"), run_number, and request rate, prompts, sweep settings and --metadata pairs
in `extra`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    COMPLETED_REQUESTS,
    DURATION,
    E2E_LATENCY,
    FAILED_REQUESTS,
    GOODPUT,
    ITL,
    REQUEST_THROUGHPUT,
    SERVER_THROUGHPUT,
    TOTAL_TOKEN_THROUGHPUT,
    TPOT,
    TTFT,
    Document,
    ToolReader,
    ToolWriter,
    all_dicts,
    statistic_name,
)

_LATENCY = re.compile(r"^(?P<stat>mean|median|std|p\d+(?:\.\d+)?)_(?P<name>ttft|tpot|itl|e2el)_ms$")
_LATENCY_METRICS = {"ttft": TTFT, "tpot": TPOT, "itl": ITL, "e2el": E2E_LATENCY}
_SCALARS = (
    ("request_throughput", REQUEST_THROUGHPUT, 1.0),
    ("request_goodput", GOODPUT, 1.0),
    ("output_throughput", SERVER_THROUGHPUT, 1.0),
    ("total_token_throughput", TOTAL_TOKEN_THROUGHPUT, 1.0),
    ("completed", COMPLETED_REQUESTS, 1.0),
    ("failed", FAILED_REQUESTS, 1.0),
    ("duration", DURATION, 1e3),
)
# Keys that are results or per-request lists; every other scalar is a setting for `extra`.
_NOT_SETTINGS = frozenset(
    {k for k, _, _ in _SCALARS}
    | {
        "date",
        "model_id",
        "tokenizer_id",
        "max_concurrency",
        "backend",
        "endpoint_type",
        "run_number",
        "total_input_tokens",
        "total_output_tokens",
        "max_output_tokens_per_s",
        "max_concurrent_requests",
        "rtfx",
        "input_lens",
        "output_lens",
        "ttfts",
        "itls",
        "generated_texts",
        "errors",
        "start_times",
    }
)
_PER_REQUEST = (("ttfts", TTFT, 1e3),)


def _is_serve_run(item: Any) -> bool:
    return isinstance(item, Mapping) and (
        ("output_throughput" in item and "request_throughput" in item)
        or ("model_id" in item and any(isinstance(k, str) and _LATENCY.match(k) for k in item))
    )


def _is_offline(item: Any) -> bool:
    """`bench throughput` / `bench latency` results."""
    return isinstance(item, Mapping) and (
        {"elapsed_time", "requests_per_second", "tokens_per_second"} <= item.keys()
        or {"avg_latency", "latencies", "percentiles"} <= item.keys()
    )


def _runs(document: Document) -> list[tuple[str, Mapping[str, Any]]]:
    data = document.json
    if _is_serve_run(data) or _is_offline(data):
        return [("/", data)]
    if all_dicts(data) and all(_is_serve_run(item) for item in data):
        return [(f"/{i}", item) for i, item in enumerate(data)]
    return []


def detect(document: Document) -> str | None:
    runs = _runs(document)
    if not runs:
        return None
    version = runs[0][1].get("vllm_version") or runs[0][1].get("version")
    return str(version) if version else ""


def read(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink, runtime="vllm")
    for locator, run in _runs(document):
        if _is_offline(run):
            _add_offline(writer, locator, run)
        else:
            _add_serve_run(writer, locator, run)


def _dimensions(run: Mapping[str, Any]) -> dict[str, Any]:
    settings = {
        key: value
        for key, value in run.items()
        if key not in _NOT_SETTINGS
        and not _LATENCY.match(key)
        and isinstance(value, str | int | float | bool)
    }
    return {
        "model": run.get("model_id") or run.get("model"),
        "concurrency": run.get("max_concurrency"),
        "backend": run.get("backend"),
        "timestamp": run.get("date"),
        "run_index": run.get("run_number"),
        "extra": settings,
    }


def _add_serve_run(writer: ToolWriter, locator: str, run: Mapping[str, Any]) -> None:
    dims = _dimensions(run)
    record = writer.record(locator, dims)
    before = writer.count
    for key, metric, scale in _SCALARS:
        writer.value(record, metric, key, run.get(key), scale=scale)
    for key, value in run.items():
        match = _LATENCY.match(key)
        if match:
            statistic = statistic_name(match["stat"])
            writer.value(record, _LATENCY_METRICS[match["name"]], key, value, statistic=statistic)
    writer.finish_record(record, before)
    for key, metric, scale in _PER_REQUEST:
        values = run.get(key)
        if isinstance(values, list):
            for index, value in enumerate(values):
                request = writer.record(f"{locator}/{key}/{index}", dims)
                writer.value(request, metric, key, value, scale=scale)


def _add_offline(writer: ToolWriter, locator: str, run: Mapping[str, Any]) -> None:
    record = writer.record(locator, {"model": run.get("model")})
    writer.value(record, REQUEST_THROUGHPUT, "requests_per_second", run.get("requests_per_second"))
    writer.value(record, TOTAL_TOKEN_THROUGHPUT, "tokens_per_second", run.get("tokens_per_second"))
    writer.value(record, DURATION, "elapsed_time", run.get("elapsed_time"), scale=1e3)
    writer.value(
        record, E2E_LATENCY, "avg_latency", run.get("avg_latency"), scale=1e3, statistic="mean"
    )
    percentiles = run.get("percentiles")
    if isinstance(percentiles, Mapping):
        for key, value in percentiles.items():
            writer.value(
                record,
                E2E_LATENCY,
                f"percentiles.{key}",
                value,
                scale=1e3,
                statistic=f"p{key}",
            )
    latencies = run.get("latencies")
    if isinstance(latencies, list):
        for index, value in enumerate(latencies):
            sample = writer.record(
                f"{locator}/latencies/{index}", {"model": run.get("model"), "run_index": index + 1}
            )
            writer.value(sample, E2E_LATENCY, "latencies", value, scale=1e3)


READERS = (ToolReader("vllm bench", detect, read),)
