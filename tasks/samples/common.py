"""Shared pieces of the sample corpus: model profiles, prompts, the runtime sweep and helpers.

Writes no files itself; the family modules (ollama_runs, gemma_reports, llama_reports,
compilation, data_exports, misc_files) build their files with these, into a _Pile.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class ModelProfile:
    """Plausible ranges for one local model on a laptop GPU."""

    name: str
    tokens_s: tuple[float, float]  # warm decode throughput
    ttft_s: tuple[float, float]  # warm time to first token
    size_gb: float


PROFILES = {
    profile.name: profile
    for profile in (
        ModelProfile("gemma3:270m", (250.0, 300.0), (0.05, 0.09), 0.29),
        ModelProfile("gemma3:1b-it-qat", (170.0, 190.0), (0.06, 0.12), 1.0),
        ModelProfile("gemma3:latest", (95.0, 106.0), (0.10, 0.19), 3.3),
        ModelProfile("llama3.1:8b-instruct-q4_0", (70.0, 80.0), (0.08, 0.15), 4.7),
        ModelProfile("llama3.1:8b-instruct-q5_K_M", (60.0, 68.0), (0.09, 0.17), 5.7),
        ModelProfile("llama3.1:8b-instruct-q8_0", (44.0, 49.0), (0.10, 0.20), 8.5),
    )
}
LLAMA_TAGS = ("q4_0", "q5_K_M", "q8_0")

PROMPTS = (
    "Cheer up a squad that just lost a close ranked match.",
    "Write a one-line taunt for a tower defense victory.",
    "React to a legendary drop from a treasure chest.",
    "Give a pit-crew radio call after a photo finish.",
    "Rally the party before the dragon's last phase.",
)
PROMPT_LABELS = (
    "Ranked loss pep talk",
    "Tower defense taunt",
    "Legendary drop reaction",
    "Photo finish radio call",
    "Dragon phase rally",
)

# The runtime sweep: GPU layers x context x temperature, as Ollama options.
SWEEP = tuple(
    (num_gpu, num_ctx, temperature)
    for num_gpu in (999, 80, 60, 40)
    for num_ctx in (1024, 2048, 4096)
    for temperature in (0.2, 0.4, 0.8)
)
# Partial offload costs a little throughput even on small models.
OFFLOAD_FACTOR = {999: 1.0, 80: 1.0, 60: 0.995, 40: 0.97}


def _mean(values) -> float:
    # statistics.fmean is several times slower, and this runs ~1,000 times per pile.
    values = list(values)
    return sum(values) / len(values)


def _columns(header: str) -> list[str]:
    return header.split(",")


def config_name(num_gpu: int, num_ctx: int, temperature: float) -> str:
    """The sweep's label for one configuration, e.g. g999_c4096_t0.4."""
    return f"g{num_gpu}_c{num_ctx}_t{temperature}"


# --- small helpers -------------------------------------------------------------------------------


def _csv(
    header: Sequence[str], rows: Sequence[Sequence[object]], *, quote_all: bool = False
) -> str:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        lineterminator="\n",
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _when(epoch: int, micros: int = 0) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC) + timedelta(microseconds=micros)


def _pct(new: float, old: float) -> str:
    return f"{(new - old) / old * 100:+.0f}%"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _generation(
    rng: random.Random,
    profile: ModelProfile,
    *,
    load_s_range: tuple[float, float] | None = None,
    factor: float = 1.0,
) -> dict[str, float | int]:
    """One prompt's timings; load_s_range set means the model was (re)loaded first."""
    tokens_s = rng.uniform(*profile.tokens_s) * factor
    if load_s_range is None:
        ttft_s = rng.uniform(*profile.ttft_s)
        load_s = ttft_s * rng.uniform(0.6, 0.9)
        prompt_eval_s = ttft_s - load_s
    else:
        tokens_s *= rng.uniform(0.85, 0.97)  # the first decode after a load runs a bit slower
        load_s = rng.uniform(*load_s_range)
        prompt_eval_s = rng.uniform(0.08, 1.2)
        ttft_s = load_s + prompt_eval_s
    eval_count = rng.randint(12, 900)
    return {
        "ttft_s": ttft_s,
        "tokens_s": tokens_s,
        "load_s": load_s,
        "prompt_eval_s": prompt_eval_s,
        "eval_s": eval_count / tokens_s,
        "prompt_eval_count": rng.randint(18, 27),
        "eval_count": eval_count,
        "response_chars": int(eval_count * rng.uniform(3.3, 4.6)),
    }


COLD_LOAD_S = (1.8, 7.5)  # first prompt of a run: the model is read from disk
RELOAD_S = (0.7, 2.4)  # a new num_ctx forces a reload of a model already in the page cache


# --- sweeps --------------------------------------------------------------------------------------


def _sweep(
    rng: random.Random, model: str, repeats: int, timed_out: str | None
) -> list[dict[str, object]]:
    """Runs of the runtime sweep; a timed-out configuration has no timings and an error."""
    profile = PROFILES[model]
    runs: list[dict[str, object]] = []
    for num_gpu, num_ctx, temperature in SWEEP:
        name = config_name(num_gpu, num_ctx, temperature)
        for repeat in range(repeats):
            base = {"num_gpu": num_gpu, "num_ctx": num_ctx, "temperature": temperature}
            if name == timed_out:
                runs.append({**base, "config_name": name, "error": "timed out"})
                continue
            reload = temperature == 0.2 and repeat == 0
            run = _generation(
                rng,
                profile,
                load_s_range=RELOAD_S if reload else None,
                factor=OFFLOAD_FACTOR[num_gpu],
            )
            runs.append({**base, "config_name": name, **run, "error": ""})
    return runs


def _sweep_summary(runs: list[dict[str, object]]) -> list[dict[str, object]]:
    """Mean throughput, TTFT and load time per configuration, fastest first."""
    by_config: dict[str, list[dict[str, object]]] = {}
    for run in runs:
        if not run["error"]:
            by_config.setdefault(str(run["config_name"]), []).append(run)
    summary = [
        {
            "config_name": name,
            "num_gpu": group[0]["num_gpu"],
            "num_ctx": group[0]["num_ctx"],
            "temperature": group[0]["temperature"],
            "mean_tokens_s": _mean(float(r["tokens_s"]) for r in group),
            "mean_ttft_s": _mean(float(r["ttft_s"]) for r in group),
            "mean_load_s": _mean(float(r["load_s"]) for r in group),
            "mean_prompt_eval_s": _mean(float(r["prompt_eval_s"]) for r in group),
            "mean_eval_s": _mean(float(r["eval_s"]) for r in group),
        }
        for name, group in by_config.items()
    ]
    return sorted(summary, key=lambda row: -float(row["mean_tokens_s"]))


# --- the pile ------------------------------------------------------------------------------------


class _Pile:
    """The files of one pile, in writing order: relative path -> bytes."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def add(self, relative_path: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.files.append((relative_path, data))
