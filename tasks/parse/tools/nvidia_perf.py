"""NVIDIA GenAI-Perf and its successor AIPerf: profile exports, JSON and CSV.

In: a Document. JSON: metric objects {unit, avg, p99, ..., min, max, std} at the top level
(GenAI-Perf) or under "records"/"metrics" (AIPerf), with input_config or aiperf's settings
beside them. CSV (CRLF, values of 1,000 and more quoted with separators): a statistics section
`Metric,avg,min,max,...` and a `Metric,Value` section (GPU telemetry sections are left out: no
per-GPU dimension of ours fits them yet). Units come in the metric name: "(ms)",
"(tokens/sec/user)". Out: one record per section, values per statistic. Output token throughput
is the server's; "per user" and "per request" throughput is one request's. Dimensions: model,
concurrency, input and output lengths, the API backend, from the JSON's settings; a CSV states
none, so its path does (tasks.parse.pile).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    DURATION,
    E2E_LATENCY,
    E2E_THROUGHPUT,
    GOODPUT,
    ITL,
    OUTPUT_TOKENS,
    PROMPT_THROUGHPUT,
    PROMPT_TOKENS,
    REQUEST_THROUGHPUT,
    SERVER_THROUGHPUT,
    THROUGHPUT,
    TOTAL_TOKEN_THROUGHPUT,
    TTFT,
    Document,
    ToolReader,
    ToolWriter,
    statistic_name,
)
from tasks.parse.vocabulary import snake_case

# snake_case name without its unit -> canonical metric. Names not here keep their own.
_METRICS = {
    "time_to_first_token": TTFT,
    "inter_token_latency": ITL,
    "request_latency": E2E_LATENCY,
    "request_throughput": REQUEST_THROUGHPUT,
    "output_token_throughput": SERVER_THROUGHPUT,
    "total_token_throughput": TOTAL_TOKEN_THROUGHPUT,
    "output_token_throughput_per_request": E2E_THROUGHPUT,  # over the whole request
    # A user's decode rate (1 / inter-token latency). AIPerf also writes "E2E Output Token
    # Throughput" per user (output tokens over the whole request, first token included) beside
    # it: taken as the same, each record held two throughputs and validation quarantined both.
    "output_token_throughput_per_user": THROUGHPUT,
    "e2e_output_token_throughput": E2E_THROUGHPUT,
    "prefill_throughput_per_user": PROMPT_THROUGHPUT,
    "output_sequence_length": OUTPUT_TOKENS,
    "input_sequence_length": PROMPT_TOKENS,
    "goodput": GOODPUT,
    "benchmark_duration": DURATION,
}
_UNIT_SCALES = {"ms": 1.0, "sec": 1e3, "s": 1e3, "ns": 1e-6, "us": 1e-3}
_NAME_UNIT = re.compile(r"^(?P<name>.*?)\s*\((?P<unit>[^()]*)\)\s*$")
_STAT_HEADER = re.compile(r"^metric,avg,", re.IGNORECASE)


def _metric(raw_name: str, unit: str | None) -> tuple[str, float, str | None]:
    """(canonical metric, scale, unit for an unknown metric) for a name and its unit."""
    key = snake_case(raw_name.lower())  # "E2E Output ..." -> e2e_output_..., not e2_e_
    metric = _METRICS.get(key)
    unit_key = (unit or "").strip().lower()
    if metric is None:
        return key + (f"_{snake_case(unit_key)}" if unit_key else ""), 1.0, unit or None
    if metric in (DURATION, TTFT, ITL, E2E_LATENCY):
        return metric, _UNIT_SCALES.get(unit_key, 1.0), None
    return metric, 1.0, None


# --- JSON -------------------------------------------------------------------------------------


def _metric_objects(data: Any) -> dict[str, Mapping[str, Any]]:
    if not isinstance(data, Mapping):
        return {}
    for container in (data.get("records"), data.get("metrics"), data):
        if isinstance(container, Mapping):
            found = {
                key: value
                for key, value in container.items()
                if isinstance(value, Mapping)
                and "unit" in value
                and ("avg" in value or "p50" in value)
            }
            if found:
                return found
    return {}


def detect_json(document: Document) -> str | None:
    data = document.json
    objects = _metric_objects(data)
    if "time_to_first_token" not in objects and "request_latency" not in objects:
        return None
    version = (
        data.get("aiperf_version") or data.get("genai_perf_version") or data.get("schema_version")
    )
    return str(version) if version else ""


def _tool_name(document: Document) -> str:
    data = document.json
    if isinstance(data, Mapping) and ("aiperf_version" in data or "records" in data):
        return "aiperf"
    return "genai-perf"


def read_json(document: Document, sink: MetricSink) -> None:
    data = document.json
    writer = ToolWriter(sink)
    record = writer.record("/", _json_dimensions(data))
    for key, stats in _metric_objects(data).items():
        metric, scale, unit = _metric(key, stats.get("unit"))
        values = {k: v for k, v in stats.items() if k != "unit"}
        writer.statistics(record, metric, key, values, scale=scale, unit=unit)


def _json_dimensions(data: Mapping[str, Any]) -> dict[str, Any]:
    config = data.get("input_config")
    if not isinstance(config, Mapping):
        config = data.get("config") if isinstance(data.get("config"), Mapping) else {}
    model = config.get("formatted_model_name") or config.get("model")
    if isinstance(model, list):
        model = model[0] if len(model) == 1 else None
    if isinstance(model, Mapping):
        names = model.get("model_names")
        model = names[0] if isinstance(names, list) and names else None
    concurrency = config.get("concurrency")
    if isinstance(config.get("loadgen"), Mapping):
        concurrency = concurrency or config["loadgen"].get("concurrency")
    return {
        "model": model,
        "concurrency": concurrency,
        "backend": config.get("backend"),
        "input_tokens": config.get("synthetic_input_tokens_mean"),
        "output_tokens": config.get("output_tokens_mean"),
        "batch_size": config.get("batch_size"),
        "extra": {
            "endpoint_type": config.get("endpoint_type"),
            "request_rate": config.get("request_rate"),
        },
    }


# --- CSV --------------------------------------------------------------------------------------


def detect_csv(document: Document) -> str | None:
    first = document.text.lstrip("\ufeff").split("\n", 1)[0].strip()
    return "" if _STAT_HEADER.match(first) else None


def _csv_tool(document: Document) -> str:
    first = document.text.lstrip("\ufeff").split("\n", 1)[0].lower()
    return "aiperf" if ",sum," in first or ",p1," in first else "genai-perf"


def read_csv(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink)
    sections = _sections(document.text)
    for number, (header, rows) in enumerate(sections, start=1):
        if not header or header[0].strip().lower() != "metric":
            continue  # the GPU telemetry table: Endpoint,GPU_Index,... (see the docstring)
        record = writer.record(f"section {number}", {})
        for row in rows:
            if not row or not row[0].strip():
                continue
            match = _NAME_UNIT.match(row[0].strip())
            name, unit = (match["name"], match["unit"]) if match else (row[0].strip(), None)
            metric, scale, own_unit = _metric(name, _unit_word(unit))
            for column, cell in zip(header[1:], row[1:], strict=False):
                statistic = (
                    None
                    if column.strip().lower() == "value"
                    else statistic_name(column.strip().lower())
                )
                if column.strip().lower() != "value" and statistic is None:
                    continue
                writer.value(
                    record,
                    metric,
                    row[0].strip(),
                    cell,
                    scale=scale,
                    statistic=statistic,
                    unit=own_unit or unit,
                )


def _unit_word(unit: str | None) -> str | None:
    """ "ms" -> ms; "tokens/sec/user", "per sec", "tokens" -> None (no time unit to scale)."""
    return unit if unit and unit.strip().lower() in _UNIT_SCALES else None


def _sections(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """Blank-line separated CSV tables: (header, rows)."""
    sections: list[tuple[list[str], list[list[str]]]] = []
    block: list[str] = []
    for line in text.lstrip("\ufeff").splitlines() + [""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            rows = list(csv.reader(io.StringIO("\n".join(block))))
            sections.append((rows[0], rows[1:]))
            block = []
    return sections


def _detect_json_of(tool: str):
    def detect(document: Document) -> str | None:
        version = detect_json(document)
        return version if version is not None and _tool_name(document) == tool else None

    return detect


def _detect_csv_of(tool: str):
    def detect(document: Document) -> str | None:
        version = detect_csv(document)
        return version if version is not None and _csv_tool(document) == tool else None

    return detect


READERS = (
    ToolReader("genai-perf json", _detect_json_of("genai-perf"), read_json),
    ToolReader("aiperf json", _detect_json_of("aiperf"), read_json),
    ToolReader("genai-perf csv", _detect_csv_of("genai-perf"), read_csv),
    ToolReader("aiperf csv", _detect_csv_of("aiperf"), read_csv),
)
