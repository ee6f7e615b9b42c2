"""llama.cpp's llama-bench: every output format (`-o json|jsonl|csv|md|sql`), also Markdown
tables inside a script's log.

In: a Document. Out: one record per test with its mean and standard deviation (statistic "mean",
"std") and, where the tool wrote them (JSON, JSONL, CSV), one record per repetition from
samples_ts (statistic null, run_index 1..n). A test is prompt processing when it generates no
tokens (pp512: prompt_tok_s), generation when it has no prompt (tg128: throughput_tok_s), else
both (pp512+tg128). Dimensions: model (the GGUF file's name, else model_type), backend, GPU or
CPU, n_gpu_layers, batch, threads, flash attention, prompt and generation lengths, and the rest
(n_ubatch, n_depth, type_k, type_v, ...) in `extra`. Version: "b<build_number> (<commit>)".
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from typing import Any

from tasks.parse.records import MetricSink
from tasks.parse.tools.base import (
    PROMPT_AND_GENERATION_THROUGHPUT,
    PROMPT_THROUGHPUT,
    THROUGHPUT,
    Document,
    ToolReader,
    ToolWriter,
    all_dicts,
    as_number,
)

# Fields that are a run's setup, read into dimensions; the rest of the non-result fields go to
# `extra` when they vary what was measured.
_EXTRA_FIELDS = (
    "n_ubatch",
    "n_depth",
    "type_k",
    "type_v",
    "split_mode",
    "main_gpu",
    "no_kv_offload",
    "n_cpu_moe",
    "devices",
    "tensor_split",
    "use_mmap",
    "use_direct_io",
    "embeddings",
    "mul_mat_q",
    "f16_kv",
    "poll",
    "cpu_strict",
)
_SIGNATURE = frozenset({"avg_ts", "model_type"})
_TEST = re.compile(r"^(?:pp\s*(?P<pp>\d+))?\+?(?:tg\s*(?P<tg>\d+))?(?:\s*@\s*d\s*(?P<d>\d+))?$")
_BUILD = re.compile(r"build:\s*(?P<commit>[0-9a-f]{6,})\s*\((?P<number>\d+)\)")
_MEAN_SD = re.compile(r"^\s*(?P<mean>[\d.,]+)\s*(?:±|\+/-)\s*(?P<sd>[\d.,]+)\s*$")
_SQL_INSERT = re.compile(
    r"INSERT INTO\s+llama_bench\s*\((?P<columns>[^)]*)\)\s*VALUES\s*\((?P<values>.*)\)\s*;",
    re.IGNORECASE,
)


def _is_test(item: Mapping[str, Any]) -> bool:
    return item.keys() >= _SIGNATURE or ("avg_ns" in item and "n_prompt" in item)


def _version(test: Mapping[str, Any]) -> str:
    number, commit = test.get("build_number"), test.get("build_commit")
    if number is None and commit is None:
        return ""
    return f"b{number} ({commit})" if commit else f"b{number}"


# --- JSON and JSONL ---------------------------------------------------------------------------


def detect_json(document: Document) -> str | None:
    tests = document.json
    if isinstance(tests, dict):  # JSON Lines of one test
        tests = [tests]
    if all_dicts(tests) and all(_is_test(t) for t in tests):
        return _version(tests[0])
    lines = document.json_lines if tests is None else None
    if lines and all(_is_test(t) for t in lines):
        return _version(lines[0])
    return None


def read_json(document: Document, sink: MetricSink) -> None:
    tests = document.json if document.json is not None else document.json_lines or []
    tests = [tests] if isinstance(tests, dict) else tests
    writer = ToolWriter(sink, runtime="llama.cpp")
    for index, test in enumerate(tests):
        _add_test(writer, f"/{index}", test)


def _add_test(writer: ToolWriter, locator: str, test: Mapping[str, Any]) -> None:
    n_prompt = _int(test.get("n_prompt"))
    n_gen = _int(test.get("n_gen"))
    metric = _test_metric(n_prompt, n_gen)
    dims = _dimensions(test, n_prompt, n_gen)
    record = writer.record(locator, dims)
    writer.value(record, metric, "avg_ts", test.get("avg_ts"), statistic="mean")
    writer.value(record, metric, "stddev_ts", test.get("stddev_ts"), statistic="std")
    for run, sample in enumerate(_samples(test.get("samples_ts")), start=1):
        sample_record = writer.record(f"{locator}/samples_ts/{run - 1}", {**dims, "run_index": run})
        writer.value(sample_record, metric, "samples_ts", sample)


def _samples(raw: Any) -> list[float]:
    if isinstance(raw, str):  # CSV and SQL write the list as text
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    if not isinstance(raw, list):
        return []
    return [n for n in (as_number(v) for v in raw) if n is not None]


def _test_metric(n_prompt: int | None, n_gen: int | None) -> str:
    if n_gen and not n_prompt:
        return THROUGHPUT
    if n_prompt and not n_gen:
        return PROMPT_THROUGHPUT
    return PROMPT_AND_GENERATION_THROUGHPUT


def _int(raw: Any) -> int | None:
    number = as_number(raw)
    return int(number) if number is not None and number.is_integer() else None


def _bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    number = as_number(raw)
    if number is not None:
        return number != 0
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return None


def _model_name(test: Mapping[str, Any]) -> str | None:
    filename = test.get("model_filename")
    if isinstance(filename, str) and filename.strip():
        stem = re.split(r"[\\/]", filename.strip())[-1]
        return re.sub(r"\.gguf$", "", stem, flags=re.IGNORECASE)
    model_type = test.get("model_type")
    return model_type if isinstance(model_type, str) and model_type.strip() else None


def _backend(test: Mapping[str, Any]) -> str | None:
    backends = test.get("backends")
    if isinstance(backends, str) and backends:
        return backends
    # 2023 builds: one flag per backend.
    old = [
        name for name in ("cuda", "vulkan", "kompute", "metal", "sycl", "opencl") if test.get(name)
    ]
    return ",".join(old) or None


def _dimensions(test: Mapping[str, Any], n_prompt: int | None, n_gen: int | None) -> dict:
    extra = {name: test[name] for name in _EXTRA_FIELDS if name in test}
    if isinstance(test.get("model_type"), str):
        extra["model_type"] = test["model_type"]
    return {
        "model": _model_name(test),
        "backend": _backend(test),
        "hardware": test.get("gpu_info") or test.get("cpu_info") or None,
        "num_gpu": _int(test.get("n_gpu_layers")),
        "batch_size": _int(test.get("n_batch")),
        "threads": _int(test.get("n_threads")),
        "flash_attn": _bool(test.get("flash_attn")),
        "input_tokens": n_prompt,
        "output_tokens": n_gen,
        "timestamp": test.get("test_time") or None,
        "extra": extra,
    }


# --- CSV and SQL ------------------------------------------------------------------------------


def detect_csv(document: Document) -> str | None:
    rows = _csv_rows(document.text)
    if rows and _is_test(rows[0]):
        return _version(rows[0])
    return None


def read_csv(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink, runtime="llama.cpp")
    for index, row in enumerate(_csv_rows(document.text) or []):
        _add_test(writer, f"row {index + 1}", row)


def _csv_rows(text: str) -> list[dict[str, Any]] | None:
    head = text[:2000].lower()
    if "avg_ts" not in head or "model_type" not in head:
        return None
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def detect_sql(document: Document) -> str | None:
    if "llama_bench" not in document.text[:4000]:
        return None
    tests = _sql_rows(document.text)
    return _version(tests[0]) if tests and _is_test(tests[0]) else None


def read_sql(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink, runtime="llama.cpp")
    for index, row in enumerate(_sql_rows(document.text)):
        _add_test(writer, f"insert {index + 1}", row)


def _sql_rows(text: str) -> list[dict[str, Any]]:
    rows = []
    for match in _SQL_INSERT.finditer(text):
        columns = [c.strip().strip('"`') for c in match["columns"].split(",")]
        values = next(csv.reader([match["values"]], quotechar="'", skipinitialspace=True))
        rows.append(dict(zip(columns, (v.strip() for v in values), strict=False)))
    return rows


# --- Markdown tables, alone or inside a log ----------------------------------------------------


def detect_markdown(document: Document) -> str | None:
    text = document.plain_text
    if "| model" not in text or "t/s" not in text:
        return None
    tables = _markdown_tables(text)
    if not tables:
        return None
    build = _BUILD.search(text)
    return f"b{build['number']} ({build['commit']})" if build else ""


def read_markdown(document: Document, sink: MetricSink) -> None:
    writer = ToolWriter(sink, runtime="llama.cpp")
    for table_number, (section, header, rows) in enumerate(
        _markdown_tables(document.plain_text), start=1
    ):
        for row_number, (line, cells) in enumerate(rows, start=1):
            row = dict(zip(header, cells, strict=False))
            _add_markdown_row(writer, f"table {table_number} row {row_number}", row, section, line)


def _markdown_tables(text: str) -> list[tuple[str | None, list[str], list[tuple[int, list[str]]]]]:
    """(section heading above it, header, [(line, cells)]) of every llama-bench table."""
    lines = text.splitlines()
    tables = []
    section: str | None = None
    at = 0
    while at < len(lines):
        line = lines[at].strip()
        if line.startswith("#"):
            section = line.strip("# ").strip() or section
        if (
            line.startswith("|")
            and at + 1 < len(lines)
            and set(lines[at + 1].strip()) <= set("|-: ")
        ):
            header = [c.strip().lower() for c in line.strip("|").split("|")]
            if "model" in header and "test" in header and any("t/s" in c for c in header):
                rows = []
                at += 2
                while at < len(lines) and lines[at].strip().startswith("|"):
                    rows.append(
                        (at + 1, [c.strip() for c in lines[at].strip().strip("|").split("|")])
                    )
                    at += 1
                tables.append((section, header, rows))
                continue
        at += 1
    return tables


def _add_markdown_row(
    writer: ToolWriter, locator: str, row: dict[str, str], section: str | None, line: int
) -> None:
    test = _TEST.match(row.get("test", "").replace(" ", ""))
    if test is None:
        return
    n_prompt = int(test["pp"]) if test["pp"] else 0
    n_gen = int(test["tg"]) if test["tg"] else 0
    extra: dict[str, Any] = {"model_type": row.get("model")}
    if test["d"]:
        extra["n_depth"] = int(test["d"])
    if section:
        extra["section"] = section
    for name, value in row.items():
        if name in ("type_k", "type_v", "n_ubatch", "sm", "mmap", "embd", "dev", "ts", "nkvo"):
            extra[name] = value
    dims = {
        "model": row.get("model"),
        "backend": row.get("backend"),
        "num_gpu": _int(row.get("ngl")),
        "batch_size": _int(row.get("n_batch")),
        "threads": _int(row.get("threads")),
        "flash_attn": _bool(row.get("fa")),
        "input_tokens": n_prompt,
        "output_tokens": n_gen,
        "extra": extra,
    }
    metric = _test_metric(n_prompt, n_gen)
    speed_column = next(name for name in row if "t/s" in name)
    record = writer.record(locator, dims)
    speed = _MEAN_SD.match(row[speed_column])
    if speed:
        writer.value(record, metric, speed_column, speed["mean"], statistic="mean")
        writer.value(record, metric, speed_column, speed["sd"], statistic="std")
    else:
        writer.value(record, metric, speed_column, row[speed_column], statistic="mean")


READERS = (
    ToolReader("llama-bench json", detect_json, read_json),
    ToolReader("llama-bench csv", detect_csv, read_csv),
    ToolReader("llama-bench sql", detect_sql, read_sql),
    ToolReader("llama-bench markdown", detect_markdown, read_markdown),
)
