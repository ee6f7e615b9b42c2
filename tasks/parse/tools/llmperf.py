"""LLMPerf (ray-project/llmperf): a run's summary and its individual responses.

In: a Document. Summary (`*_summary.json`, "version": "2023-08-31"): flat keys
results_<metric>_<statistic> (quantiles_p25 .. p99, mean, min, max, stddev; some written as
strings), times in seconds. Individual responses: a list of per-request objects. Out: the
summary as one record of statistics (TTFT, ITL, end-to-end latency in ms, one request's output
tokens/s, token counts), the overall output throughput of the run, completed requests and the
error rate in %; the individual file as one record per request (a failed request carries its
error). Dimensions: model, the API that served it (`framework`, as the leaderboard writes it)
as backend, concurrency, mean input and output lengths, the run's time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    COMPLETED_REQUESTS,
    E2E_LATENCY,
    E2E_PER_TOKEN,
    E2E_THROUGHPUT,
    ERROR_RATE,
    FAILED_REQUESTS,
    OUTPUT_TOKENS,
    PROMPT_TOKENS,
    REQUEST_THROUGHPUT,
    SERVER_THROUGHPUT,
    TTFT,
    Document,
    ToolReader,
    ToolWriter,
    all_dicts,
    statistic_name,
)

# LLMPerf's metric names -> (canonical metric, scale to its unit)
_METRICS = {
    "ttft_s": (TTFT, 1e3),
    # The sum of a request's token gaps, first token included, over its output tokens
    # (token_benchmark_ray.py): whole request time per token, not the gap between tokens.
    "inter_token_latency_s": (E2E_PER_TOKEN, 1e3),
    "end_to_end_latency_s": (E2E_LATENCY, 1e3),
    "request_output_throughput_token_per_s": (E2E_THROUGHPUT, 1.0),  # over the whole request
    "number_input_tokens": (PROMPT_TOKENS, 1.0),
    "number_output_tokens": (OUTPUT_TOKENS, 1.0),
}
_SUMMARY_KEY = re.compile(
    r"^results_(?P<name>" + "|".join(_METRICS) + r")_(?P<stat>quantiles_p\d+|mean|min|max|stddev)$"
)


def detect_summary(document: Document) -> str | None:
    data = document.json
    if not isinstance(data, Mapping) or not any(_SUMMARY_KEY.match(k) for k in data):
        return None
    return str(data.get("version") or "")


def read_summary(document: Document, sink: MetricSink) -> None:
    data = document.json
    writer = ToolWriter(sink)
    record = writer.record(
        "/",
        {
            "model": data.get("model"),
            # The API the requests went to (the leaderboard's "groq", "bedrock"): which
            # service served the model, so runs of different services are not ranked together.
            "backend": data.get("framework"),
            "concurrency": data.get("num_concurrent_requests"),
            "input_tokens": data.get("mean_input_tokens"),
            "output_tokens": data.get("mean_output_tokens"),
            "timestamp": data.get("timestamp"),
        },
    )
    for key, value in data.items():
        match = _SUMMARY_KEY.match(key)
        if match:
            metric, scale = _METRICS[match["name"]]
            statistic = statistic_name(match["stat"])
            writer.value(record, metric, key, value, scale=scale, statistic=statistic)
    writer.value(
        record,
        SERVER_THROUGHPUT,
        "results_mean_output_throughput_token_per_s",
        data.get("results_mean_output_throughput_token_per_s"),
    )
    writer.value(
        record,
        COMPLETED_REQUESTS,
        "results_num_completed_requests",
        data.get("results_num_completed_requests"),
    )
    writer.value(
        record,
        REQUEST_THROUGHPUT,
        "results_num_completed_requests_per_min",
        data.get("results_num_completed_requests_per_min"),
        scale=1 / 60,
    )
    writer.value(
        record, FAILED_REQUESTS, "results_number_errors", data.get("results_number_errors")
    )
    writer.value(
        record, ERROR_RATE, "results_error_rate", data.get("results_error_rate"), scale=100.0
    )


def _is_response(item: Mapping[str, Any]) -> bool:
    return "ttft_s" in item and "request_output_throughput_token_per_s" in item


def detect_individual(document: Document) -> str | None:
    data = document.json
    if all_dicts(data) and all(_is_response(item) for item in data):
        return ""
    return None


def read_individual(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink)
    for index, response in enumerate(document.json):
        error = response.get("error_msg") or None
        code = response.get("error_code")
        if code is not None and not error:
            error = f"error code {code}"
        record = writer.record(f"/{index}", {"error": error, "run_index": index + 1})
        before = writer.count
        for key, (metric, scale) in _METRICS.items():
            writer.value(record, metric, key, response.get(key), scale=scale)
        writer.finish_record(record, before, "error_msg")


READERS = (
    ToolReader("llmperf summary", detect_summary, read_summary),
    ToolReader("llmperf individual responses", detect_individual, read_individual),
)
