"""What every reader of a benchmark tool's own output shares.

In: a file's decoded text. Out: a `Document` (the text, its JSON or JSON lines decoded once, on
first use), the canonical metric names the tools map to, and `ToolWriter`, which adds one
record at a time to a `MetricSink` with each value's unit, statistic and scale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from tasks.parse import dimensions as dim
from tasks.parse.records import MetricSink

# Canonical metrics of the tools, each in one unit. Throughput of one request (what Ollama's
# "eval rate" and llama-bench's tg test measure) is kept apart from the throughput of a whole
# server under load: comparing the two would compare different things.
THROUGHPUT = "throughput_tok_s"  # output tokens/s of one request or stream, while it decodes
# Output tokens over one request's whole time, first token included (LLMPerf's, GuideLLM's and
# GenAI-Perf's per-request throughput): below the decode rate by the time to first token.
E2E_THROUGHPUT = "e2e_throughput_tok_s"
PROMPT_THROUGHPUT = "prompt_tok_s"  # prompt processing (prefill) tokens/s
PROMPT_AND_GENERATION_THROUGHPUT = "prompt_and_generation_tok_s"  # llama-bench pp+tg tests
SERVER_THROUGHPUT = "server_throughput_tok_s"  # output tokens/s of all requests together
TOTAL_TOKEN_THROUGHPUT = "total_token_throughput_tok_s"  # prompt + output tokens/s, server
REQUEST_THROUGHPUT = "request_throughput_req_s"
GOODPUT = "goodput_req_s"
TTFT = "ttft_ms"
ITL = "itl_ms"  # inter-token latency
TPOT = "tpot_ms"  # time per output token after the first (vLLM's TPOT)
# A request's whole time over its output tokens, first token included (LLMPerf's
# "inter_token_latency", GuideLLM's "time_per_output_token")
E2E_PER_TOKEN = "e2e_per_token_ms"
E2E_LATENCY = "e2e_latency_ms"
LOAD = "load_ms"
PROMPT_EVAL = "prompt_eval_ms"
EVAL = "eval_ms"
TOTAL = "total_ms"
PROMPT_TOKENS = "prompt_eval_count"
OUTPUT_TOKENS = "eval_count"
ERROR_RATE = "error_rate_pct"
FAILED_REQUESTS = "failed_requests"
COMPLETED_REQUESTS = "completed_requests"
DURATION = "duration_ms"

UNITS = {
    THROUGHPUT: "tok/s",
    E2E_THROUGHPUT: "tok/s",
    PROMPT_THROUGHPUT: "tok/s",
    PROMPT_AND_GENERATION_THROUGHPUT: "tok/s",
    SERVER_THROUGHPUT: "tok/s",
    TOTAL_TOKEN_THROUGHPUT: "tok/s",
    REQUEST_THROUGHPUT: "req/s",
    GOODPUT: "req/s",
    TTFT: "ms",
    ITL: "ms",
    TPOT: "ms",
    E2E_PER_TOKEN: "ms",
    E2E_LATENCY: "ms",
    LOAD: "ms",
    PROMPT_EVAL: "ms",
    EVAL: "ms",
    TOTAL: "ms",
    DURATION: "ms",
    PROMPT_TOKENS: "tokens",
    OUTPUT_TOKENS: "tokens",
    ERROR_RATE: "%",
    FAILED_REQUESTS: "requests",
    COMPLETED_REQUESTS: "requests",
}

# Statistic names as the tools write them -> ours.
_STATISTICS = {
    "avg": "mean",
    "mean": "mean",
    "median": "median",
    "std": "std",
    "stddev": "std",
    "std_dev": "std",
    "min": "min",
    "max": "max",
    "count": "count",
}
_PERCENTILE = re.compile(r"^(?:quantiles_)?p(\d+(?:\.\d+)?)$")
_INVALID = object()


def statistic_name(written: str) -> str | None:
    """ "avg" -> "mean", "p99" -> "p99", "p999" -> "p99.9" (GuideLLM), "quantiles_p25" -> "p25";
    None for keys that are no statistic of ours (mode, variance, sums)."""
    found = _STATISTICS.get(written)
    if found:
        return found
    match = _PERCENTILE.match(written)
    if match is None:
        return None
    digits = match[1]
    if len(digits) == 3 and digits.isdigit() and digits != "100":  # GuideLLM's tenths
        return f"p{int(digits) / 10:g}"
    return f"p{float(digits):g}"


@dataclass
class Document:
    """A file's text, with its JSON (or YAML) decoded once when a reader first asks."""

    text: str
    format: str  # as sniffed: csv | json | markdown | text

    @cached_property
    def json(self) -> Any:
        """The decoded JSON document, or None when the text is not one."""
        start = self.text.lstrip()[:1]
        if start not in ("{", "["):
            return None
        try:
            return json.loads(self.text)
        except (ValueError, RecursionError):
            return None

    @cached_property
    def yaml(self) -> Any:
        """The decoded YAML document, or None when the text is not one."""
        try:
            import yaml  # PyYAML comes with Prefect; imported only for text that may be YAML
        except ImportError:
            return None
        try:
            return yaml.safe_load(self.text)
        except yaml.YAMLError:
            return None

    @cached_property
    def json_lines(self) -> list[dict[str, Any]] | None:
        """JSON Lines: every non-blank line one object; None otherwise (or for one line)."""
        lines = [line for line in self.text.splitlines() if line.strip()]
        if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
            return None
        records = []
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                return None
            if not isinstance(record, dict):
                return None
            records.append(record)
        return records

    @cached_property
    def plain_text(self) -> str:
        """The text without terminal escape codes (spinners, colours) and carriage returns."""
        return strip_terminal_codes(self.text)


_TERMINAL_CODES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|\r(?!\n)")
_SPINNER = re.compile(r"[\u2800-\u28ff]")  # braille dots: a terminal spinner's frames


def strip_terminal_codes(text: str) -> str:
    """Text as a terminal showed it at the end: escape sequences and spinner frames removed."""
    if "\x1b" not in text and "\r" not in text and not _SPINNER.search(text):
        return text
    return _SPINNER.sub("", _TERMINAL_CODES.sub("", text))


@dataclass(frozen=True)
class ToolReader:
    """A reader of one tool's output: `detect` says whether a document is the tool's, and the
    tool's version as the file states it ("" when it does not); `read` adds its records."""

    name: str  # "llama-bench json": the tool and the shape read
    detect: Callable[[Document], str | None]
    read: Callable[[Document, MetricSink], None]


@dataclass
class ToolWriter:
    """Adds one tool's records to the sink: each value in a canonical metric, with its
    statistic and the scale that brought it to the canonical unit."""

    sink: MetricSink
    runtime: str | None = None  # set on every record: "llama.cpp", "ollama", "vllm"
    count: int = field(default=0)

    def record(self, locator: str, dims: Mapping[str, Any]) -> int:
        """A record with the dimensions given (raw values, decoded here: a temperature of 48
        is no sampling option and is dropped); `extra` may be a dict of further dimensions."""
        clean: dict[str, Any] = {}
        for name, raw in dims.items():
            if name == "extra":
                if isinstance(raw, Mapping):
                    extra = {k: v for k, v in raw.items() if v is not None and v != ""}
                    raw = json.dumps(extra, sort_keys=True, default=str) if extra else None
                if raw:
                    clean["extra"] = raw
                continue
            value = dim.decode_dimension(name, raw)
            if value is not None:
                clean[name] = value
        if self.runtime and "runtime" not in clean:
            clean["runtime"] = self.runtime
        dim.complete_dimensions(clean)
        return self.sink.add_record(locator, clean)

    def value(
        self,
        record: int,
        metric: str,
        raw_metric: str,
        value: Any,
        *,
        scale: float = 1.0,
        statistic: str | None = None,
        unit: str | None = None,
    ) -> None:
        """One value as written, times `scale`; `unit` only for metrics not in UNITS."""
        number = as_number(value)
        if number is None:
            return
        self.sink.add_metric(
            record, metric, raw_metric, number * scale, UNITS.get(metric, unit), statistic, scale
        )
        self.count += 1

    def statistics(
        self,
        record: int,
        metric: str,
        raw_metric: str,
        stats: Mapping[str, Any],
        *,
        scale: float = 1.0,
        unit: str | None = None,
    ) -> None:
        """A {avg, p50, p99, ...} object: one value per statistic we know."""
        for key, value in stats.items():
            if key == "percentiles" and isinstance(value, Mapping):
                self.statistics(record, metric, raw_metric, value, scale=scale, unit=unit)
                continue
            statistic = statistic_name(key)
            # A count is how many values the others summarise, not one in the metric's unit
            # (GuideLLM's request_latency.count of 4 became 4,000 ms).
            if statistic is not None and statistic != "count":
                self.value(
                    record,
                    metric,
                    f"{raw_metric}.{key}",
                    value,
                    scale=scale,
                    statistic=statistic,
                    unit=unit,
                )

    def finish_record(self, record: int, added_before: int, raw_metric: str = "error") -> None:
        self.sink.add_failure_if_empty(record, self.count - added_before, raw_metric)


def as_number(value: Any) -> float | None:
    """A finite number from a JSON number or a numeric string ("1,019.69"); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.replace(",", "").strip())
        except ValueError:
            return None
    else:
        return None
    return number if number == number and abs(number) != float("inf") else None


def first_of(mapping: Mapping[str, Any], *keys: str) -> Any:
    """The first of the keys that the mapping holds with a value."""
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def all_dicts(items: Any) -> bool:
    return isinstance(items, list) and bool(items) and all(isinstance(i, dict) for i in items)


def keys_of(items: Iterable[Mapping[str, Any]]) -> set[str]:
    found: set[str] = set()
    for item in items:
        found.update(item)
    return found
