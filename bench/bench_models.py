"""Measure the embedded models on an agent-like task, to choose DEFAULT_EMBEDDED_MODEL.

In: the embedded model names to try (default: smollm2-135m and gemma3-270m). Out: one row per
model and mode (with / without the JSON schema) on stdout as a Markdown table, and as JSON with
--out: load time, time to first token, tokens/s, tokens, and whether the reply is valid JSON
{"summary": str}, written in English, three sentences long, and quotes only numbers in the facts.

The task mirrors an analyst agent's call: a system prompt carrying 15 short facts, a request for a
three-sentence summary as JSON, temperature 0 and a fixed seed. The first call of each model is
cold (it loads the model); the other figures are medians over warm repeats, run interleaved. The
facts are invented for this bench.

    .venv/bin/python bench/bench_models.py [--repeats 2] [--out bench.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
from pathlib import Path

from tasks.agents.backends.base import Completion
from tasks.agents.backends.embedded import EmbeddedBackend, clear_model_cache
from tasks.agents.backends.models import KNOWN_MODELS
from tasks.agents.options import ModelOptions

FACTS = [
    "F01: The corpus holds 42 benchmark files, 31 of them parsed into metrics.",
    "F02: model-a:8b-q4_0 averaged 76.4 tokens/s over 12 runs.",
    "F03: model-a:8b-q8_0 averaged 51.9 tokens/s over 12 runs.",
    "F04: model-b:1b averaged 188.2 tokens/s over 9 runs.",
    "F05: The fastest configuration was num_gpu 80, num_ctx 2048, temperature 0.4.",
    "F06: Median time to first token was 212 ms across all runs.",
    "F07: model-a:8b-q4_0 had a median time to first token of 245 ms.",
    "F08: 7 runs failed with an out-of-memory error and reported 0 tokens/s.",
    "F09: Raising num_ctx from 2048 to 8192 cut throughput by 18 percent.",
    "F10: GPU memory use peaked at 7,412 MB.",
    "F11: Quantizing from q8_0 to q4_0 raised throughput by 47 percent.",
    "F12: Load time averaged 1.9 s when the model was not already in memory.",
    "F13: 3 files were exact duplicates and were counted once.",
    "F14: The longest run generated 1,024 tokens in 13.4 s.",
    "F15: Temperature had no measurable effect on throughput (under 2 percent).",
]
SYSTEM = "You are a benchmark analyst. Use only these facts; do not invent numbers.\n" + "\n".join(
    FACTS
)
USER = (
    "Summarise the most important findings in exactly three sentences, in English. "
    'Answer with one JSON object: {"summary": "<three sentences>"}.'
)
SCHEMA = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
}
OPTIONS = ModelOptions(temperature=0.0, seed=42, num_predict=256, num_ctx=2048)
_FUNCTION_WORDS = (
    "the a an of to in and is was were are for on with by from as at than that this it its "
    "over across all when not had have has model models run runs throughput tokens time"
)
ENGLISH_WORDS = frozenset(_FUNCTION_WORDS.split())
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def judge_reply(text: str) -> dict:
    """Whether the reply is the JSON asked for, in English, three sentences, numbers grounded."""
    try:
        summary = json.loads(text).get("summary")
    except (json.JSONDecodeError, AttributeError):
        summary = None
    valid_json = isinstance(summary, str) and bool(summary.strip())
    body = summary if valid_json else text
    words = re.findall(r"[A-Za-z']+", body.lower())
    english_share = sum(word in ENGLISH_WORDS for word in words) / max(len(words), 1)
    ascii_share = sum(character.isascii() for character in body) / max(len(body), 1)
    fact_numbers = {number.replace(",", "") for number in NUMBER.findall(SYSTEM)}
    quoted = [number.replace(",", "") for number in NUMBER.findall(body)]
    return {
        "valid_json": valid_json,
        # Function words make up a fifth or more of ordinary English prose.
        "english": english_share >= 0.2 and ascii_share >= 0.95,
        "sentences": len(re.findall(r"[.!?](?:\s|$)", body.strip())),
        "numbers_quoted": len(quoted),
        "numbers_grounded": sum(number in fact_numbers for number in quoted),
        "summary": body.strip(),
    }


def bench_models(models: list[str], repeats: int) -> list[dict]:
    """A cold call per model (it loads it), then rounds of warm calls with and without the schema.

    The rounds interleave the models, so that a busy machine slows every model alike.
    """
    clear_model_cache()
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}]
    backends = {model: EmbeddedBackend(model) for model in models}
    cold = {model: backend.chat(messages, OPTIONS, SCHEMA) for model, backend in backends.items()}
    warm: dict[tuple[str, bool], list[Completion]] = {
        (m, s): [] for m in models for s in (True, False)
    }
    for _ in range(repeats):
        for (model, with_schema), replies in warm.items():
            schema = SCHEMA if with_schema else None
            replies.append(backends[model].chat(messages, OPTIONS, schema))
    return [
        summarise(cold[model], replies, with_schema)
        for (model, with_schema), replies in warm.items()
    ]


def summarise(cold: Completion, warm: list[Completion], with_schema: bool) -> dict:
    def median(field: str) -> float:
        return round(statistics.median(getattr(reply, field) for reply in warm), 1)

    texts = {reply.text for reply in warm} | ({cold.text} if with_schema else set())
    return {
        "model": cold.model,
        "schema": with_schema,
        "load_ms": round(cold.load_ms, 1),
        "cold_ttft_ms": round(cold.ttft_ms, 1),
        "ttft_ms": median("ttft_ms"),
        "tokens_per_s": median("tokens_per_s"),
        "prompt_eval_count": warm[0].prompt_eval_count,
        "prompt_eval_ms": median("prompt_eval_ms"),
        "eval_count": warm[0].eval_count,
        "total_ms": median("total_ms"),
        "done_reason": warm[0].done_reason,
        "same_reply_each_time": len(texts) == 1,
        **judge_reply(warm[0].text),
    }


def markdown_table(rows: list[dict]) -> str:
    columns = [
        "model",
        "schema",
        "load_ms",
        "cold_ttft_ms",
        "ttft_ms",
        "tokens_per_s",
        "eval_count",
        "done_reason",
        "valid_json",
        "english",
        "sentences",
        "numbers_grounded",
        "numbers_quoted",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row[column]) for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(KNOWN_MODELS))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    rows = bench_models(args.models, args.repeats)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load_before:.2f} before, {load:.2f} after\n")
    print(markdown_table(rows))
    for row in rows:
        print(f"\n{row['model']} (schema={row['schema']}): {row['summary']!r}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
