"""Dimensions that a file's path spells out, for the rows that do not state them.

In: a file's relative path and the reader that read it. Out: the dimensions its file and
folder names give: a model ("gemma3_270m_param_tuning.csv" -> gemma3:270m), options (ctx512,
gpu80, temp08, bs32, threads8), concurrency ("concurrency-100"; "c2", a file's or a folder's,
for the serving benchmarks, where c means concurrency), run index (run_3), a runtime or
language name, a GPU (rtx4090, rx7900xtx, h100), and a time ("20251002-170837",
an epoch "1759098967", a date). A nearer name wins: the file's own over its folders', an inner
folder's over an outer one's; a name whose value is not valid (temp99) says nothing, so an
outer name's value stands.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime

from tasks.parse.dimensions import decode_dimension, gpu_name
from tasks.parse.identity import model_in_path

# Readers of serving benchmarks, whose folders say "c2" for a concurrency of 2.
_SERVING_READERS = ("vllm", "guidellm", "genai-perf", "aiperf", "llmperf")
# One scan for the dimensions a name spells as a word and a number ("ctx512", "gpu-80",
# "temp08"): each alternative names its dimension by its group.
_NAMED_NUMBER = re.compile(
    r"(?<![a-z0-9])(?:"
    r"ctx[-_=]?(?P<num_ctx>\d+)"
    r"|(?:gpu|ngl)[-_=]?(?P<num_gpu>\d+)"
    r"|temp[-_=]?(?P<temperature>\d+(?:\.\d+)?)"
    r"|(?:concurrency|conc)[-_=]?(?P<concurrency>\d+)"
    r"|(?:run|rep|repeat)[-_=]?(?P<run_index>\d+)"
    r"|(?:bs|batch)[-_=]?(?P<batch_size>\d+)"
    r"|(?:threads?|nthreads)[-_=]?(?P<threads>\d+)"
    r")(?![a-z0-9])"
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


def path_dimensions(path: str, reader: str | None) -> dict[str, object]:
    """Dimensions a path spells out: each name's, a nearer name's winning, the file's last."""
    *folders, name = path.split("/")
    serving = bool(reader) and reader.startswith(_SERVING_READERS)
    found: dict[str, object] = {}
    for folder in folders:
        found.update(_name_facts(folder, serving))
    found.update(_name_facts(name, serving))
    return found


# Per name, not per path: a pile repeats its folder and file names in many paths (the
# generated 100,000-file corpus: 58,353 folders made of 8,360 names, 14,763 file names), and
# scanning every path was 8-9% of the parse of the 10,000-file one (py-spy).
@functools.lru_cache(maxsize=65536)
def _name_facts(name: str, serving: bool = False) -> tuple[tuple[str, object], ...]:
    """Dimensions one file or folder name spells out; `serving`: of a serving benchmark's file,
    where "c8" (a file's or a folder's name) is a concurrency of 8."""
    lowered = name.lower()
    found: dict[str, object] = {}
    model = model_in_path(name)
    if model:
        found["model"] = model
    last: dict[str, str] = {}  # the last of each: nearest the file
    for match in _NAMED_NUMBER.finditer(lowered):
        last[match.lastgroup] = match[match.lastgroup]
    for dimension, raw in last.items():
        if dimension == "temperature" and "." not in raw and raw.startswith("0"):
            raw = f"0.{raw[1:]}"  # temp08 -> 0.8
        value = decode_dimension(dimension, raw)
        if value is not None:
            found[dimension] = value
    if serving and "concurrency" not in found:
        match = _SERVING_CONCURRENCY.search(lowered)
        if match:
            found["concurrency"] = int(match[1])
    runtime = _RUNTIME_WORD.search(lowered)
    if runtime:
        found["runtime"] = _RUNTIMES[runtime[1]]
    hardware = gpu_name(lowered)
    if hardware:
        found["hardware"] = hardware
    stamp = _time_in_name(name)
    if stamp:
        found["timestamp"] = stamp
    return tuple(found.items())


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


def model_named_by_folders(path: str) -> str | None:
    """The model a folder of the path names, when the file's own name names none: a folder
    groups files ("llama3/" holding reports on llama3.1:8b-instruct-q4_0), so the model it
    names is a guess about each file, where a file's own name is a statement about it."""
    folder, _, name = path.rpartition("/")
    if not folder or model_in_path(name) is not None:
        return None
    return _model_in_folders(folder)


# Per folder: a folder's files ask the same (a 100,000-file pile has 45,833 folders).
_model_in_folders = functools.lru_cache(maxsize=65536)(model_in_path)
