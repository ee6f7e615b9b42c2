"""GuideLLM benchmark reports (benchmarks.json; the same document as YAML).

In: a Document. Out: per benchmark (one load level of a sweep) a record of the successful
requests' statistics: TTFT, ITL, TPOT and request latency in ms, request rate, output and total
tokens/s of the server, each as mean, median, std, min, max and percentiles; the error rate from
the request totals; and, where the report keeps them, one record per successful request (its
TTFT, ITL, TPOT, latency, tokens and output tokens/s: per-request samples). GuideLLM's TPOT
counts the first token, vLLM's does not: the raw name is kept beside the canonical one.
Dimensions: the model, the strategy (synchronous, concurrent, throughput, constant, poisson)
and its rate in `extra`, its concurrency, the benchmark's index and start time.
Version: metadata.guidellm_version.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    E2E_LATENCY,
    E2E_PER_TOKEN,
    E2E_THROUGHPUT,
    ERROR_RATE,
    ITL,
    OUTPUT_TOKENS,
    PROMPT_TOKENS,
    REQUEST_THROUGHPUT,
    SERVER_THROUGHPUT,
    TOTAL_TOKEN_THROUGHPUT,
    TTFT,
    Document,
    ToolReader,
    ToolWriter,
)

# metric key -> (canonical metric, scale to its unit)
_METRICS = {
    "time_to_first_token_ms": (TTFT, 1.0),
    "inter_token_latency_ms": (ITL, 1.0),
    "time_per_output_token_ms": (E2E_PER_TOKEN, 1.0),  # request latency / output tokens
    "request_latency": (E2E_LATENCY, 1e3),  # seconds
    "requests_per_second": (REQUEST_THROUGHPUT, 1.0),
    "output_tokens_per_second": (SERVER_THROUGHPUT, 1.0),
    "tokens_per_second": (TOTAL_TOKEN_THROUGHPUT, 1.0),
}
# A successful request's own fields -> (canonical metric, scale)
_REQUEST_FIELDS = {
    "time_to_first_token_ms": (TTFT, 1.0),
    "inter_token_latency_ms": (ITL, 1.0),
    "time_per_output_token_ms": (E2E_PER_TOKEN, 1.0),  # request latency / output tokens
    "request_latency": (E2E_LATENCY, 1e3),
    "output_tokens_per_second": (E2E_THROUGHPUT, 1.0),  # output tokens / request latency
    "prompt_tokens": (PROMPT_TOKENS, 1.0),
    "output_tokens": (OUTPUT_TOKENS, 1.0),
}


def _benchmarks(document: Document) -> list[Mapping[str, Any]]:
    benchmarks = _data(document).get("benchmarks")
    if not isinstance(benchmarks, list):
        return []
    return [
        b for b in benchmarks if isinstance(b, Mapping) and isinstance(b.get("metrics"), Mapping)
    ]


def _data(document: Document) -> Mapping[str, Any]:
    """The report as JSON, or as YAML for a text file."""
    data = document.json
    if data is None and document.format == "text" and "benchmarks:" in document.text:
        data = document.yaml
    return data if isinstance(data, Mapping) else {}


def detect(document: Document) -> str | None:
    benchmarks = _benchmarks(document)
    if not benchmarks or not any("time_to_first_token_ms" in b["metrics"] for b in benchmarks):
        return None
    metadata = _data(document).get("metadata")
    version = metadata.get("guidellm_version") if isinstance(metadata, Mapping) else None
    return str(version) if version else ""


def read(document: Document, sink: MetricSink) -> None:
    data = _data(document)
    args = data.get("args") if isinstance(data.get("args"), Mapping) else {}
    writer = ToolWriter(sink)
    for index, benchmark in enumerate(data.get("benchmarks") or []):
        if not isinstance(benchmark, Mapping) or not isinstance(benchmark.get("metrics"), Mapping):
            continue
        locator = f"/benchmarks/{index}"
        dims = _dimensions(benchmark, args, index)
        record = writer.record(locator, dims)
        metrics = benchmark["metrics"]
        for key, (metric, scale) in _METRICS.items():
            split = metrics.get(key)
            successful = split.get("successful") if isinstance(split, Mapping) else None
            if isinstance(successful, Mapping):
                writer.statistics(record, metric, f"{key}.successful", successful, scale=scale)
        totals = metrics.get("request_totals")
        if isinstance(totals, Mapping) and totals.get("total"):
            errored = totals.get("errored") or 0
            writer.value(
                record,
                ERROR_RATE,
                "request_totals.errored / total",
                100.0 * errored / totals["total"],
            )
        requests = benchmark.get("requests")
        successful = requests.get("successful") if isinstance(requests, Mapping) else None
        if isinstance(successful, list):
            for number, request in enumerate(successful):
                if not isinstance(request, Mapping):
                    continue
                sample = writer.record(f"{locator}/requests/successful/{number}", dims)
                for key, (metric, scale) in _REQUEST_FIELDS.items():
                    writer.value(sample, metric, key, request.get(key), scale=scale)


def _dimensions(benchmark: Mapping[str, Any], args: Mapping[str, Any], index: int) -> dict:
    config = benchmark.get("config") if isinstance(benchmark.get("config"), Mapping) else {}
    strategy = config.get("strategy") if isinstance(config.get("strategy"), Mapping) else {}
    if not strategy and isinstance(benchmark.get("args"), Mapping):  # 0.2/0.3 reports
        strategy = benchmark["args"].get("strategy") or {}
    kind = strategy.get("type_") or strategy.get("type")
    concurrency = strategy.get("max_concurrency") or strategy.get("streams")
    if kind == "synchronous":
        concurrency = 1
    start = benchmark.get("start_time")
    return {
        "model": args.get("model") or _model_of_requests(benchmark),
        "backend": args.get("backend"),
        "concurrency": concurrency,
        "run_index": index + 1,
        "timestamp": datetime.fromtimestamp(start, tz=UTC).isoformat()
        if isinstance(start, int | float) and start > 1e9
        else None,
        "extra": {"strategy": kind, "rate": strategy.get("rate")},
    }


def _model_of_requests(benchmark: Mapping[str, Any]) -> str | None:
    worker = benchmark.get("worker")
    if isinstance(worker, Mapping) and isinstance(worker.get("backend_model"), str):
        return worker["backend_model"]
    return None


READERS = (ToolReader("guidellm benchmarks", detect, read),)
