"""Ollama prompt-suite runs: outputs/reports/ollama/<stamp>/ prompt-suite CSVs and JSON summaries.

A failed run (zero-throughput rows with a connection error), a good run, a pretty-printed
single-model gemma3:latest run, and a CRLF Markdown lessons note.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from tasks.samples.common import (
    COLD_LOAD_S,
    LLAMA_TAGS,
    PROFILES,
    PROMPTS,
    _columns,
    _csv,
    _generation,
    _mean,
    _Pile,
    _when,
)

CONNECTION_ERRORS = (
    "HTTPConnectionPool(host='127.0.0.1', port=11434): Max retries exceeded with url: "
    "/api/generate (Caused by NewConnectionError: [Errno 111] Connection refused)",
    "ConnectError: [WinError 10061] No connection could be made because the target machine "
    "actively refused it",
    "httpx.ConnectTimeout: timed out while connecting to http://localhost:11434",
)
OPTIONS = {"temperature": 0.3, "top_p": 0.9}
OPTIONS_JSON = json.dumps(OPTIONS, separators=(",", ":"))

PROMPT_SUITE_COLUMNS = _columns(
    "timestamp,model,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
    "prompt_eval_count,eval_count,response_chars,error,options"
)


def _prompt_suite(
    rng: random.Random, started: datetime, models: Sequence[str], failure: str | None
) -> tuple[str, list[dict]]:
    """Rows of one prompt-suite run (CSV text) and its per-model summary entries."""
    stamp = started.isoformat()
    rows: list[list[object]] = []
    summaries: list[dict] = []
    for model in models:
        runs = []
        for index, prompt in enumerate(PROMPTS, start=1):
            if failure is not None:
                rows.append(
                    [stamp, model, index, prompt, "0.000000", "0.00", "0.000000", "0.000000"]
                    + ["0.000000", 0, 0, 0, failure, OPTIONS_JSON]
                )
                continue
            run = _generation(
                rng, PROFILES[model], load_s_range=COLD_LOAD_S if index == 1 else None
            )
            runs.append(run)
            rows.append(
                [
                    stamp,
                    model,
                    index,
                    prompt,
                    f"{run['ttft_s']:.6f}",
                    f"{run['tokens_s']:.2f}",
                    f"{run['load_s']:.6f}",
                    f"{run['prompt_eval_s']:.6f}",
                    f"{run['eval_s']:.6f}",
                    run["prompt_eval_count"],
                    run["eval_count"],
                    run["response_chars"],
                    "",
                    OPTIONS_JSON,
                ]
            )
        summaries.append(
            {
                "model": model,
                "prompt_count": len(PROMPTS),
                "completed": len(runs),
                "options": OPTIONS,
                "mean_ttft_s": _mean(r["ttft_s"] for r in runs) if runs else None,
                "mean_tokens_s": _mean(r["tokens_s"] for r in runs) if runs else None,
            }
        )
    return _csv(PROMPT_SUITE_COLUMNS, rows), summaries


def _suite_summary(started: datetime, summaries: list[dict], host: str, *, indent: int | None):
    document = {
        "generated_at": (started + timedelta(microseconds=900)).isoformat(),
        "prompt_count": len(PROMPTS),
        "prompts": list(PROMPTS),
        "models": summaries,
        "ollama_host": host,
    }
    return json.dumps(document, indent=indent) + "\n"


def _add_ollama_runs(pile: _Pile, rng: random.Random, start: int) -> dict:
    """A failed run, a good run, a single-model run and notes; returns gemma3:latest's summary."""
    folder = "outputs/reports/ollama"
    llamas = [f"llama3.1:8b-instruct-{tag}" for tag in LLAMA_TAGS]

    # A run against a server that was not up: every row zero with the connection error.
    failed = _when(start, rng.randrange(1_000_000))
    text, summaries = _prompt_suite(rng, failed, llamas, rng.choice(CONNECTION_ERRORS))
    stamp = failed.strftime("%Y%m%d-%H%M%S")
    pile.add(f"{folder}/{stamp}/prompt_suite_runs.csv", text)
    pile.add(
        f"{folder}/{stamp}/prompt_suite_summary.json",
        _suite_summary(failed, summaries, "0.0.0.0:11434", indent=None),
    )

    # The same suite a few minutes later, with the server running.
    good = _when(start + rng.randint(120, 900), rng.randrange(1_000_000))
    text, summaries = _prompt_suite(rng, good, llamas, None)
    stamp = good.strftime("%Y%m%d-%H%M%S")
    pile.add(f"{folder}/{stamp}/prompt_suite_runs.csv", text)
    pile.add(
        f"{folder}/{stamp}/prompt_suite_summary.json",
        _suite_summary(good, summaries, "http://127.0.0.1:11434", indent=None),
    )

    # A single-model run a few days later, pretty-printed.
    later = _when(start + rng.randint(3 * 86_400, 9 * 86_400), rng.randrange(1_000_000))
    text, summaries = _prompt_suite(rng, later, ["gemma3:latest"], None)
    stamp = later.strftime("%Y%m%d-%H%M%S")
    pile.add(f"{folder}/{stamp}/gemma3_benchmark_runs.csv", text)
    pile.add(
        f"{folder}/{stamp}/gemma3_benchmark_summary.json",
        _suite_summary(later, summaries, "http://localhost:11434", indent=2),
    )
    latest = summaries[0]

    # Lessons written on a Windows machine: CRLF line ends and "- Name: value unit" lines.
    lessons = [
        f"# Prompt suite notes, {good.date().isoformat()}",
        "",
        "## What went wrong first",
        "- The first attempt ran before `ollama serve` was up: every prompt returned zero tokens.",
        "- The suite writes a row per prompt even when the request fails; filter on `error`.",
        "",
        "## Numbers worth keeping",
        f"- Cold start TTFT: {rng.uniform(*COLD_LOAD_S):.2f} s",
        f"- Warm TTFT: {rng.uniform(0.08, 0.15) * 1000:.0f} ms",
        f"- gemma3:latest throughput: {latest['mean_tokens_s']:.2f} tokens/s",
        "",
    ]
    pile.add(f"{folder}/prompt_suite_lessons_{good.strftime('%Y%m%d')}.md", "\r\n".join(lessons))
    return latest
