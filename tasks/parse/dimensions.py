"""Dimensions of a record: which model ran, with which options, when, and whether it failed.

In: field names and raw values as files write them (a CSV header and cell, a JSON key and value,
a Markdown label or table header). Out: which DIMENSIONS column a name fills
(`dimension_for_name`), the decoded value (`decode_dimension`), options and configuration labels
decoded into their parts (`decode_options`, `decode_config`), and `complete_dimensions`, which
fills what one dimension implies about others (config -> num_gpu/num_ctx/temperature,
model -> quant). Also the names that are never metrics: identifiers, timestamps, free text.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tasks.parse.values import parse_value, strip_markup
from tasks.parse.vocabulary import normalise_key

# The columns of tasks.schemas.DIMENSIONS, in order (a test keeps the two the same). Named here
# so that parsing imports no Polars: parse workers start in a fraction of the time without it.
DIMENSION_NAMES: tuple[str, ...] = (
    "model",
    "quant",
    "num_gpu",
    "num_ctx",
    "temperature",
    "top_p",
    "top_k",
    "backend",
    "config",
    "prompt_index",
    "timestamp",
    "error",
    "success",
    "runtime",
    "hardware",
    "concurrency",
    "input_tokens",
    "output_tokens",
    "batch_size",
    "threads",
    "flash_attn",
    "run_index",
    "extra",
)
OPTIONS = "options"  # not a column: a JSON object of model options, decoded into columns

_ALIASES = {
    "model": ("model", "model_name", "model_tag", "model_id", "llm"),
    "quant": ("quant", "quantization", "quantisation", "quant_type", "quantization_type", "tag"),
    "num_gpu": ("num_gpu", "gpu_layers", "n_gpu_layers", "num_gpu_layers", "ngl"),
    # llama.cpp's --ctx-size, a context window as people name it
    "num_ctx": (
        "num_ctx",
        "n_ctx",
        "ctx",
        "context_size",
        "context_length",
        "ctx_size",
        "ctx_len",
        "context_window",
    ),
    "temperature": ("temperature", "temp"),
    "top_p": ("top_p",),
    "top_k": ("top_k",),
    "backend": ("backend",),
    "config": ("config", "config_name", "configuration", "config_label"),
    "prompt_index": ("prompt_index", "prompt_idx", "prompt_number"),
    "timestamp": (
        "timestamp",
        "datetime",
        "generated_at",
        "generated",
        "report_generated",
        "created_at",
        "test_timestamp",
        "test_datetime",
        "export_timestamp",
        "export_datetime",
        "demo_timestamp",
        "run_timestamp",
        "test_date",
        "date",
    ),
    "error": ("error", "error_message", "error_msg", "err", "exception", "failure_reason"),
    "success": ("success", "succeeded", "ok", "overall_success", "passed"),
    OPTIONS: ("options", "model_options", "ollama_options", "params", "parameters"),
    "runtime": ("runtime", "engine", "inference_engine", "serving_engine"),
    # a PyTorch benchmark's "device": "cpu" or "cuda" is the hardware its timings ran on
    "hardware": (
        "hardware",
        "gpu_info",
        "gpu_name",
        "gpu_model",
        "device_name",
        "device",
        "accelerator",
    ),
    "concurrency": (
        "concurrency",
        "max_concurrency",
        "num_concurrent_requests",
        "concurrent_requests",
    ),
    # The lengths a run asked for (vLLM's --input-len and --output-len, llama-bench's n_prompt
    # and n_gen, Ollama's num_predict); counted tokens ("output_tokens") stay measurements.
    "input_tokens": ("input_len", "input_length", "prompt_len", "prompt_length", "n_prompt"),
    "output_tokens": (
        "output_len",
        "output_length",
        "gen_len",
        "n_gen",
        "max_tokens",
        "max_new_tokens",
        "num_predict",
    ),
    "batch_size": ("batch_size", "n_batch", "batch"),
    "threads": ("threads", "n_threads", "num_thread", "num_threads"),
    "flash_attn": ("flash_attn", "flash_attention"),
    # which repetition: a "run" column numbers the runs, it measures nothing
    "run_index": (
        "run_index",
        "run_number",
        "repetition",
        "run_no",
        "run",
        "run_idx",
        "iteration",
        "trial",
        "rep",
    ),
}
_DIMENSION_BY_KEY = {normalise_key(a): dim for dim, names in _ALIASES.items() for a in names}
# Markdown tables and labels use human words that in CSV/JSON name other things: an Nsight CSV's
# "Context" and "GPU" columns are identifiers, a Markdown "Context" column is the context size.
_MARKDOWN_DIMENSION_BY_KEY = {
    **_DIMENSION_BY_KEY,
    **{normalise_key(a): "num_ctx" for a in ("context", "context_size", "ctx")},
    **{normalise_key(a): "num_gpu" for a in ("gpu", "gpu_layers", "layers")},
    normalise_key("model tag"): "model",
}

# Numbers that identify or order a record rather than measure it.
IDENTIFIER_KEYS = frozenset(
    normalise_key(n)
    for n in (
        "id",
        "test_id",
        "run_id",
        "rank",
        "#",
        "index",
        "idx",
        "pid",
        "process_id",
        "gpu_id",
        "device",
        "device_id",
        "stream",
        "context",
        "seed",
        "row",
    )
)
# Texts that are inputs or outputs, never numbers, even when one looks like a number.
FREE_TEXT_KEYS = frozenset(
    normalise_key(n)
    for n in (
        "prompt",
        "prompt_text",
        "text",
        "response",
        "response_text",
        "banter_text",
        "output",
        "completion",
        "generated_text",
        "notes",
        "note",
        "comment",
        "comments",
        "description",
        "name",
        "test_name",
    )
)
# Output texts that can carry a failure the record's own flags do not show.
OUTPUT_TEXT_KEYS = frozenset(
    normalise_key(n)
    for n in ("banter_text", "response", "response_text", "output", "completion", "generated_text")
)
NOTES_KEYS = frozenset(normalise_key(n) for n in ("notes", "note", "comment", "comments", "status"))
_TIMESTAMP_SUFFIXES = tuple(
    normalise_key(n) for n in ("timestamp", "datetime", "time_utc", "created_at", "generated_at")
)
_TIME_OF_EVENT = frozenset(
    normalise_key(n) for n in ("create_time", "start_time", "end_time", "execution_time")
)

_OUTPUT_ERROR = re.compile(r"^\s*(?:error|exception|traceback|failed)\b", re.IGNORECASE)
_NOTE_ERROR = re.compile(r"^\s*(?:error\s*[=:]\s*(?P<error>.+)|(?P<failed>failed\s*[:=].+))", re.I)
_CONFIG_TOKEN = re.compile(r"^(?P<key>[a-z]+)(?P<number>\d+(?:\.\d+)?)$")
_CONFIG_TOKEN_KEYS = {
    "g": "num_gpu",
    "c": "num_ctx",
    "t": "temperature",
    "p": "top_p",
    "k": "top_k",
}
_CONFIG_PAIR = re.compile(r"([A-Za-z_]+)\s*=\s*([0-9.]+)")
_QUANT = re.compile(
    r"(?:^|[-_:])(?P<quant>i?q\d(?:_[0-9a-z]+)*|f16|fp16|bf16|f32|fp32|fp8|int8|int4|qat)$",
    re.IGNORECASE,
)
# Ollama-style model references: "llama3.1:8b-instruct-q4_0", "Gemma3:270m" (not "host:11434").
_MODEL_REF = re.compile(r"(?<![\w/.-])([A-Za-z][\w.\-]*:(?=[\w.\-]*[A-Za-z])[\w.\-]*[A-Za-z0-9])")
_TRUE = frozenset({"true", "yes", "y", "1", "ok", "pass", "passed", "success", "succeeded", "✅"})
_FALSE = frozenset({"false", "no", "n", "0", "fail", "failed", "failure", "error", "❌"})
_NO_ERROR = frozenset({"0", "false", "no", "ok", "success"})
_EMPTY = frozenset({"", "-", "—", "none", "null", "nan", "n/a", "na"})
# A sampling temperature; a "temperature" of 48 in a GPU record is degrees, a measurement.
_MAX_SAMPLING_TEMPERATURE = 2.0
# Epoch seconds between 2001 and 2100, or the same in milliseconds.
_EPOCH_SECONDS = (1e9, 4.2e9)


@functools.lru_cache(maxsize=16384)
def dimension_for_name(name: str, *, markdown: bool = False) -> str | None:
    """The DIMENSIONS column (or "options") a field name fills, or None for anything else."""
    table = _MARKDOWN_DIMENSION_BY_KEY if markdown else _DIMENSION_BY_KEY
    key = normalise_key(name)
    found = table.get(key)
    if found is None and markdown and "(" in name:
        # "GPU (Chimera)" is a GPU-layers column with a note.
        found = table.get(normalise_key(re.sub(r"\([^()]*\)", "", name)))
    if found is None and not markdown and key.endswith(("timestamp", "datetime")):
        return "timestamp"
    return found


@functools.lru_cache(maxsize=16384)
def is_timestamp_name(name: str) -> bool:
    """Fields holding a point in time, which are never metrics ("create_time", "*_timestamp")."""
    key = normalise_key(name)
    return key in _TIME_OF_EVENT or key.endswith(_TIMESTAMP_SUFFIXES)


@functools.lru_cache(maxsize=16384)
def is_identifier_name(name: str) -> bool:
    """Fields that identify a record (ids, ranks, pids) rather than measure it."""
    key = normalise_key(name)
    return key in IDENTIFIER_KEYS or (key.endswith("id") and "_id" in name.lower())


def decode_dimension(dimension: str, raw: Any) -> Any:
    """The dimension's value from a raw cell/JSON value, or None when it is not a valid one."""
    if raw is None:
        return None
    if isinstance(raw, (str, int, float)):  # a tuple: checked faster than a union, per cell
        return _decode_scalar(dimension, raw)
    decoder = _DECODERS.get(dimension)
    return decoder(raw) if decoder else None


_WORD = re.compile(r"[A-Za-z]{2}")  # a name, not a number with a unit ("99", "80%")


def decode_report_dimension(dimension: str, raw: Any) -> tuple[str, Any] | None:
    """A report's dimension and its value, where a word means two dimensions: a "GPU" of 99
    is the layers offloaded (num_gpu), a "GPU" of "RTX 4090" the hardware. None when the value
    is neither."""
    value = decode_dimension(dimension, raw)
    if value is not None:
        return dimension, value
    if dimension == "num_gpu" and isinstance(raw, str) and _WORD.search(raw):
        hardware = decode_dimension("hardware", raw)
        if hardware is not None:
            return "hardware", hardware
    return None


@functools.lru_cache(maxsize=16384, typed=True)  # typed: True and 1 decode differently
def _decode_scalar(dimension: str, raw: str | int | float) -> Any:
    decoder = _DECODERS.get(dimension)
    return decoder(raw) if decoder else None


def _text(raw: Any) -> str | None:
    if isinstance(raw, bool | Mapping | list):
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    text = strip_markup(str(raw))
    return None if text.lower() in _EMPTY else text


def decode_model(raw: Any) -> str | None:
    """A model name; a JSON model object gives its name. Ollama references lose their
    Markdown marks and notes, and their family part is lower-cased ("Gemma3:270m" ->
    "gemma3:270m") so prose and run files name the same model the same way."""
    if isinstance(raw, Mapping):
        raw = raw.get("name") or raw.get("model") or raw.get("id")
    text = _text(raw)
    if text is None:
        return None
    ref = _MODEL_REF.search(text)
    if ref and ref.start() == 0:
        family, _, tag = ref.group(1).partition(":")
        return f"{family.lower()}:{tag}"
    return re.sub(r"\s*\([^()]*\)$", "", text).strip() or None


def model_refs(text: str) -> list[str]:
    """The Ollama model references named in a heading or sentence."""
    return [decode_model(ref) or ref for ref in _MODEL_REF.findall(strip_markup(text))]


def without_model_refs(text: str) -> str:
    """What a name says besides the models it names ("llama3.1:8b tok/s" -> "tok/s")."""
    return _MODEL_REF.sub("", strip_markup(text)).strip(" ()[]-_,:")


def decode_quant(raw: Any) -> str | None:
    """A quantization label ("q4_0", "q5_K_M", "int8", "qat"); other tags are not quants."""
    text = _text(raw)
    if text is None:
        return None
    match = _QUANT.search(text)
    return match["quant"] if match else None


def _decode_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(raw) else None
    text = _text(raw)
    if text is None:
        return None
    parsed = parse_value(text)
    return parsed.value if parsed else None


def _decode_int(raw: Any) -> int | None:
    number = _decode_number(raw)
    if number is None or not number.is_integer():
        return None
    return int(number)


def _decode_temperature(raw: Any) -> float | None:
    number = _decode_number(raw)
    if number is None or not 0.0 <= number <= _MAX_SAMPLING_TEMPERATURE:
        return None
    return number


def _decode_fraction(raw: Any) -> float | None:
    number = _decode_number(raw)
    return number if number is not None and 0.0 <= number <= 1.0 else None


def decode_success(raw: Any) -> bool | None:
    """A success flag from a bool, "TRUE", "yes", "no", "❌"...; None when it is not one."""
    if isinstance(raw, bool):
        return raw
    text = _text(raw)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


def decode_error(raw: Any) -> str | None:
    """An error message; empty cells and nulls are no error."""
    if isinstance(raw, Mapping):
        raw = raw.get("message") or raw.get("error") or json.dumps(raw, sort_keys=True)
    if isinstance(raw, list):
        raw = "; ".join(str(item) for item in raw if item)
    text = _text(raw)
    # Writers that always fill the column say "no error" as 0, false or ok.
    return None if text is None or text.lower() in _NO_ERROR else text


def decode_timestamp(raw: Any) -> str | None:
    """A timestamp as written; epoch seconds (or milliseconds) become ISO 8601 UTC so that every
    timestamp reads, and validates, the same way."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        seconds = float(raw)
        if _EPOCH_SECONDS[0] * 1000 <= seconds < _EPOCH_SECONDS[1] * 1000:
            seconds /= 1000
        if not _EPOCH_SECONDS[0] <= seconds < _EPOCH_SECONDS[1]:
            return None
        return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
    return _text(raw)


def decode_text(raw: Any) -> str | None:
    return _text(raw)


# A GPU named the way its vendor's tools write it ("NVIDIA GeForce RTX 4080 Laptop GPU", "AMD
# Radeon RX 7900 XTX") or a path does ("rtx4090", "rx7900xtx", "h100"): the model number and
# its series, suffix and form, without the vendor's brand words. So one card written three
# ways is one hardware, not three setups that are never compared.
_GPU_NAME = re.compile(
    r"(?<![a-z0-9])(?:"
    r"(?P<series>rtx|gtx|rx|arc)[-_ ]?(?P<number>[a-z]?\d{3,4}m?)"
    r"(?:[-_ ]?(?P<suffix>ti super|ti|super|xtx|xt|gre))?"
    r"(?:[-_ ](?P<form>laptop|mobile|max-q))?"
    r"|(?P<datacenter>a10g?|a30|a40|a100|a800|h20|h100|h200|h800|l4|l40s?|b100|b200|gh200|gb200"
    r"|v100|mi\d{3}[ax]?)"
    r")(?![a-z0-9])",
    re.IGNORECASE,
)
_BRAND_WORDS = re.compile(
    r"(?i)\b(?:nvidia|geforce|tesla|amd|radeon|instinct|intel)\b|\((?:tm|r)\)|\bgpu\s*$"
)
_GPU_SUFFIXES = {"ti": "Ti", "ti super": "Ti SUPER"}
_GPU_FORMS = {"laptop": "Laptop", "mobile": "Mobile", "max-q": "Max-Q"}


def gpu_name(text: str) -> str | None:
    """The GPU a text or a file name names, written one way ("RTX 4080 Laptop", "RX 7900 XTX",
    "H100"); None when it names none."""
    match = _GPU_NAME.search(text)
    if match is None:
        return None
    if match["datacenter"]:
        return match["datacenter"].upper()
    series = match["series"].lower()
    words = ["Arc" if series == "arc" else series.upper(), match["number"].upper()]
    if match["suffix"]:
        suffix = match["suffix"].lower()
        words.append(_GPU_SUFFIXES.get(suffix, suffix.upper()))
    if match["form"]:
        words.append(_GPU_FORMS[match["form"].lower()])
    return " ".join(words)


# ONNX Runtime's execution providers (a record's "providers", in the order the session tries
# them: the first is where its timings ran) by the device they run on.
EXECUTION_PROVIDER_KEYS = frozenset(
    {"providers", "execution_providers", "execution_provider", "executionproviders"}
)  # as written, lower-cased
_PROVIDER_DEVICES = {
    "cpu": "cpu",
    "dnnl": "cpu",
    "xnnpack": "cpu",
    "acl": "cpu",
    "armnn": "cpu",
    "cuda": "cuda",
    "tensorrt": "cuda",
    "nvtensorrtrtx": "cuda",
    "rocm": "rocm",
    "migraphx": "rocm",
    "dml": "directml",
    "coreml": "coreml",
    "openvino": "openvino",
    "qnn": "qnn",
}
_EXECUTION_PROVIDER = re.compile(r"^(\w+?)ExecutionProvider$")


def decode_execution_providers(raw: Any) -> str | None:
    """The device an ONNX Runtime session ran on, from its providers ("CPUExecutionProvider",
    or a list, the first tried first); None for anything else (an API's "providers")."""
    first = raw[0] if isinstance(raw, list) and raw else raw
    match = _EXECUTION_PROVIDER.match(first) if isinstance(first, str) else None
    return _PROVIDER_DEVICES.get(match[1].lower(), match[1].lower()) if match else None


def decode_hardware(raw: Any) -> str | None:
    """The hardware a run names: a GPU as gpu_name writes it, with any more the text says of
    it after the name ("NVIDIA A100-SXM4-80GB" -> "A100 SXM4-80GB"); other hardware (a CPU, a
    machine) as written."""
    text = _text(raw)
    if text is None or text.isdigit():
        return None  # a device's index (Nsight's "device": 0) says which, not what hardware
    match = _GPU_NAME.search(text)
    if match is None or _BRAND_WORDS.sub("", text[: match.start()]).strip():
        return text  # more than a brand before the name: not a GPU's name alone
    rest = _BRAND_WORDS.sub("", text[match.end() :]).strip(" -_,")
    name = gpu_name(text)
    return f"{name} {rest}" if rest else name


_DECODERS = {
    "model": decode_model,
    "quant": decode_quant,
    "num_gpu": _decode_int,
    "num_ctx": _decode_int,
    "temperature": _decode_temperature,
    "top_p": _decode_fraction,
    "top_k": _decode_int,
    "backend": decode_text,
    "config": decode_text,
    "prompt_index": _decode_int,
    "timestamp": decode_timestamp,
    "error": decode_error,
    "success": decode_success,
    "runtime": decode_text,
    "hardware": decode_hardware,
    "concurrency": _decode_int,
    "input_tokens": _decode_int,
    "output_tokens": _decode_int,
    "batch_size": _decode_int,
    "threads": _decode_int,
    "flash_attn": decode_success,
    "run_index": _decode_int,
    "extra": decode_text,
}


def decode_options(raw: Any) -> dict[str, Any]:
    """Model options from an object or a JSON cell like {"temperature":0.3,"top_p":0.9}."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return decode_config(raw)
    if not isinstance(raw, Mapping):
        return {}
    options: dict[str, Any] = {}
    for key, value in raw.items():
        dimension = dimension_for_name(str(key))
        if dimension in ("num_gpu", "num_ctx", "temperature", "top_p", "top_k"):
            decoded = decode_dimension(dimension, value)
            if decoded is not None:
                options[dimension] = decoded
    return options


def decode_config(label: str) -> dict[str, Any]:
    """Options a configuration label spells out: "g999_c4096_t0.4" -> num_gpu 999, num_ctx 4096,
    temperature 0.4; "gpu=60, ctx=512, temp=0.8" likewise. Other labels decode to nothing."""
    return dict(_decode_config(label))


@functools.lru_cache(maxsize=4096)
def _decode_config(label: str) -> tuple[tuple[str, Any], ...]:
    return tuple(_config_parts(label).items())


def _config_parts(label: str) -> dict[str, Any]:
    text = strip_markup(label)
    decoded: dict[str, Any] = {}
    pairs = _CONFIG_PAIR.findall(text)
    if pairs:
        for key, value in pairs:
            dimension = _MARKDOWN_DIMENSION_BY_KEY.get(normalise_key(key))
            if dimension in _CONFIG_TOKEN_KEYS.values():
                decoded_value = decode_dimension(dimension, value)
                if decoded_value is not None:
                    decoded[dimension] = decoded_value
        return decoded
    tokens = text.lower().split("_")
    for token in tokens:
        match = _CONFIG_TOKEN.match(token)
        dimension = _CONFIG_TOKEN_KEYS.get(match["key"]) if match else None
        if dimension is None:
            return {}
        value = decode_dimension(dimension, match["number"])
        if value is None:
            return {}
        decoded[dimension] = value
    return decoded


def error_in_output(raw: Any) -> str | None:
    """An output text that is really an error ("Error generating banter: ...")."""
    text = raw if isinstance(raw, str) else None
    if text and _OUTPUT_ERROR.match(text):
        return text.strip()
    return None


def error_in_note(raw: Any) -> str | None:
    """An error written in a notes cell: "error=..." or "Failed: ..."."""
    text = _text(raw)
    if text is None:
        return None
    match = _NOTE_ERROR.match(text)
    if match is None:
        return None
    return (match["error"] or match["failed"]).strip()


def complete_dimensions(dims: dict[str, Any]) -> dict[str, Any]:
    """Fill what one dimension implies about others, never overwriting a written value."""
    config, model = dims.get("config"), dims.get("model")
    if config or model:
        for dimension, value in implied_dimensions(config, model):
            if dims.get(dimension) is None:
                dims[dimension] = value
    return dims


@functools.lru_cache(maxsize=4096)
def implied_dimensions(config: str | None, model: str | None) -> tuple[tuple[str, Any], ...]:
    """What a configuration label and a model name say about other dimensions: the label's
    options ("g999_c4096_t0.4") and the model tag's quantisation ("qwen2.5:7b-q4_K_M")."""
    implied = dict(_decode_config(config)) if config else {}
    if model and "quant" not in implied:
        quant = decode_dimension("quant", model.rpartition(":")[2] if ":" in model else model)
        if quant:
            implied["quant"] = quant
    return tuple(implied.items())


def dimensions_tuple(dims: Mapping[str, Any]) -> tuple[Any, ...]:
    """The dimensions in DIMENSIONS column order, None where absent."""
    return tuple(map(dims.get, DIMENSION_NAMES))
