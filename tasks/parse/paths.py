"""Dimensions that a file's path spells out, for the rows that do not state them.

In: a file's relative path and the reader that read it. Out: the dimensions its file and
folder names give: a model ("gemma3_270m_param_tuning.csv" -> gemma3:270m), options (ctx512,
gpu80, temp08), concurrency ("concurrency-100"; "c2" for the serving benchmarks, where c means
concurrency), run index (run_3), a runtime or language name, and a time ("20251002-170837",
an epoch "1759098967", a date). The file's own name wins over its folders'.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from tasks.parse.dimensions import decode_dimension
from tasks.parse.identity import model_in_path

# Readers of serving benchmarks, whose folders say "c2" for a concurrency of 2.
_SERVING_READERS = ("vllm", "guidellm", "genai-perf", "aiperf", "llmperf")
_PATH_DIMENSIONS = (
    (re.compile(r"(?<![a-z0-9])ctx[-_=]?(\d+)(?![a-z0-9])"), "num_ctx"),
    (re.compile(r"(?<![a-z0-9])(?:gpu|ngl)[-_=]?(\d+)(?![a-z0-9])"), "num_gpu"),
    (re.compile(r"(?<![a-z0-9])temp[-_=]?(\d+(?:\.\d+)?)(?![a-z0-9])"), "temperature"),
    (re.compile(r"(?<![a-z0-9])(?:concurrency|conc)[-_=]?(\d+)(?![a-z0-9])"), "concurrency"),
    (re.compile(r"(?<![a-z0-9])(?:run|rep|repeat)[-_=]?(\d+)(?![a-z0-9])"), "run_index"),
    (re.compile(r"(?<![a-z0-9])(?:bs|batch)[-_=]?(\d+)(?![a-z0-9])"), "batch_size"),
)
_SERVING_CONCURRENCY = re.compile(r"(?<![a-z0-9])c(\d+)(?![a-z0-9])")
_RUNTIMES = {
    "ollama": "ollama",
    "llamacpp": "llama.cpp",
    "llama.cpp": "llama.cpp",
    "vllm": "vllm",
    "sglang": "sglang",
    "tensorrt-llm": "tensorrt-llm",
    "trtllm": "tensorrt-llm",
    "tgi": "tgi",
    "mlx": "mlx",
    "rust": "rust",
    "python": "python",
    "golang": "go",
}
_RUNTIME_WORD = re.compile(
    r"(?<![a-z0-9])(" + "|".join(map(re.escape, _RUNTIMES)) + r")(?![a-z0-9])"
)
_STAMP = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})[-_T]?(\d{2})(\d{2})(\d{2})(?!\d)")
_EPOCH = re.compile(r"(?<!\d)(1[5-9]\d{8})(?!\d)")
_DATE = re.compile(r"(?<!\d)(20\d{2})-?(\d{2})-?(\d{2})(?!\d)")


@functools.lru_cache(maxsize=4096)
def _folder_facts(folder: str) -> tuple[tuple[str, object], ...]:
    return tuple(_facts(folder, None).items())


def path_dimensions(path: str, reader: str | None) -> dict[str, object]:
    """Dimensions a path spells out, the file's name before its folders'."""
    folder, _, name = path.rpartition("/")
    found = dict(_folder_facts(folder))
    found.update(_facts(path, reader, name))
    return found


def _facts(path: str, reader: str | None, name: str | None = None) -> dict[str, object]:
    """Dimensions a path spells out, for rows that do not state them."""
    own = name if name is not None else path  # the file's name, or a folder's whole path
    lowered = own.lower()
    found: dict[str, object] = {}
    model = model_in_path(own)
    if model:
        found["model"] = model
    for pattern, dimension in _PATH_DIMENSIONS:
        matches = list(pattern.finditer(lowered))
        match = matches[-1] if matches else None  # the last one: nearest the file
        if match:
            raw = match[1]
            if dimension == "temperature" and "." not in raw and raw.startswith("0"):
                raw = f"0.{raw[1:]}"  # temp08 -> 0.8
            value = decode_dimension(dimension, raw)
            if value is not None:
                found[dimension] = value
    if reader and reader.startswith(_SERVING_READERS) and "concurrency" not in found:
        match = _SERVING_CONCURRENCY.search(lowered.rsplit("/", 1)[-1])
        if match:
            found["concurrency"] = int(match[1])
    runtime = _RUNTIME_WORD.search(lowered)
    if runtime:
        found["runtime"] = _RUNTIMES[runtime[1]]
    stamp = _time_in_name(own.rsplit("/", 1)[-1])
    if stamp:
        found["timestamp"] = stamp
    return found


def _time_in_name(name: str) -> str | None:
    match = _STAMP.search(name)
    if match:
        y, mo, d, h, mi, s = match.groups()
        return f"{y}-{mo}-{d}T{h}:{mi}:{s}"
    match = _EPOCH.search(name)
    if match:
        return datetime.fromtimestamp(int(match[1]), tz=UTC).isoformat()
    match = _DATE.search(name)
    if match and 1 <= int(match[2]) <= 12 and 1 <= int(match[3]) <= 31:
        return f"{match[1]}-{match[2]}-{match[3]}"
    return None
