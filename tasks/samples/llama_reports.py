"""Llama reports: outputs/reports/llama3/ quantization bench, parameter sweep, summary and note.

Also writes data/csv/ollama_quant_bench.csv, an exact duplicate of the quantization bench.
"""

from __future__ import annotations

import random
import statistics

from tasks.samples.common import (
    COLD_LOAD_S,
    LLAMA_TAGS,
    PROFILES,
    PROMPTS,
    SWEEP,
    _columns,
    _csv,
    _generation,
    _md_table,
    _mean,
    _Pile,
    _sweep,
    _sweep_summary,
    _when,
)


def _add_llama_reports(pile: _Pile, rng: random.Random, start: int) -> float:
    """Quantization bench, sweep, summary note and the duplicate; returns q4_0 mean tok/s."""
    folder = "outputs/reports/llama3"
    clock = start + 5 * 86_400
    header = _columns(
        "timestamp,model,tag,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
        "prompt_eval_count,eval_count,total_tokens,response_chars,error"
    )
    rows: list[list[object]] = []
    per_tag: dict[str, list[dict]] = {}
    for tag in LLAMA_TAGS:
        model = f"llama3.1:8b-instruct-{tag}"
        for index, prompt in enumerate(PROMPTS, start=1):
            run = _generation(
                rng, PROFILES[model], load_s_range=COLD_LOAD_S if index == 1 else None
            )
            per_tag.setdefault(tag, []).append(run)
            clock += max(1, round(run["ttft_s"] + run["eval_s"]))
            rows.append(
                [
                    _when(clock).strftime("%Y-%m-%dT%H:%M:%S"),
                    model,
                    tag,
                    index,
                    prompt,
                    round(run["ttft_s"], 4),
                    round(run["tokens_s"], 2),
                    round(run["load_s"], 4),
                    round(run["prompt_eval_s"], 4),
                    round(run["eval_s"], 4),
                    run["prompt_eval_count"],
                    run["eval_count"],
                    run["prompt_eval_count"] + run["eval_count"],
                    run["response_chars"],
                    "",
                ]
            )
    quant_csv = _csv(header, rows, quote_all=True)
    pile.add(f"{folder}/ollama_quant_bench.csv", quant_csv)

    sweep_header = _columns(
        "timestamp,model,num_gpu,num_ctx,temperature,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
        "prompt_eval_count,eval_count,total_tokens,response_chars,error"
    )
    runs = _sweep(rng, "llama3.1:8b-instruct-q4_0", repeats=1, timed_out=None)
    sweep_rows = []
    for run in runs:
        clock += max(1, round(float(run["ttft_s"]) + float(run["eval_s"])))
        sweep_rows.append(
            [
                _when(clock).strftime("%Y-%m-%dT%H:%M:%S"),
                "llama3.1:8b-instruct-q4_0",
                run["num_gpu"],
                run["num_ctx"],
                run["temperature"],
                *(round(float(run[c]), 4) for c in ("ttft_s",)),
                round(float(run["tokens_s"]), 2),
                *(round(float(run[c]), 4) for c in ("load_s", "prompt_eval_s", "eval_s")),
                run["prompt_eval_count"],
                run["eval_count"],
                int(run["prompt_eval_count"]) + int(run["eval_count"]),
                run["response_chars"],
                "",
            ]
        )
    pile.add(f"{folder}/ollama_param_tuning.csv", _csv(sweep_header, sweep_rows, quote_all=True))
    # The summary spells the same metrics differently (prompt_eval, eval_s_mean), in sweep order.
    summary = _sweep_summary(runs)
    summary.sort(key=lambda row: SWEEP.index((row["num_gpu"], row["num_ctx"], row["temperature"])))
    pile.add(
        f"{folder}/ollama_param_tuning_summary.csv",
        _csv(
            _columns(
                "num_gpu,num_ctx,temperature,mean_tokens_s,mean_ttft_s,mean_load_s,prompt_eval,"
                "eval_s_mean"
            ),
            [
                [
                    row["num_gpu"],
                    row["num_ctx"],
                    row["temperature"],
                    round(float(row["mean_tokens_s"]), 2),
                    round(float(row["mean_ttft_s"]), 4),
                    round(float(row["mean_load_s"]), 4),
                    round(float(row["mean_prompt_eval_s"]), 4),
                    round(float(row["mean_eval_s"]), 4),
                ]
                for row in summary
            ],
        ),
    )

    tag_rows = []
    for tag, tag_runs in per_tag.items():
        speeds = [r["tokens_s"] for r in tag_runs]
        warm = _mean(r["ttft_s"] for r in tag_runs[1:])
        tag_rows.append(
            [
                tag,
                f"{_mean(speeds):.2f}",
                f"{statistics.median(speeds):.2f}",
                f"{warm:.3f}",
            ]
        )
    fastest = max(tag_rows, key=lambda row: float(row[1]))
    slowest = min(tag_rows, key=lambda row: float(row[1]))
    best = max(summary, key=lambda row: float(row["mean_tokens_s"]))
    top = sorted(summary, key=lambda row: -float(row["mean_tokens_s"]))[:5]
    q4_mean = _mean(r["tokens_s"] for r in per_tag["q4_0"])
    # Written by a script that dropped some newlines: tables glued to the sentence above them.
    note = (
        "# Llama 3.1 8B on Ollama: quantization and runtime sweep ## Quantization\n"
        f"- Fastest tag: {fastest[0]} at {fastest[1]} tokens/s\n"
        f"- Slowest tag: {slowest[0]} at {slowest[1]} tokens/s "
        "Mean per tag (TTFT over warm prompts): "
        + _md_table(["tag", "mean_tokens_s", "median_tokens_s", "mean_ttft_s"], tag_rows)
        + " ## Runtime sweep (q4_0)\n"
        f"Best: num_gpu={best['num_gpu']}, num_ctx={best['num_ctx']}, "
        f"temperature={best['temperature']} at {float(best['mean_tokens_s']):.2f} tokens/s. "
        "Top five: "
        + _md_table(
            ["num_gpu", "num_ctx", "temperature", "mean_tokens_s", "mean_ttft_s"],
            [
                [
                    f"{float(row['num_gpu']):.2f}",
                    f"{float(row['num_ctx']):.2f}",
                    row["temperature"],
                    f"{float(row['mean_tokens_s']):.2f}",
                    f"{float(row['mean_ttft_s']):.3f}",
                ]
                for row in top
            ],
        )
        + f"\nWritten {_when(clock).strftime('%Y-%m-%d %H:%M:%S')}.\n"
    )
    pile.add(f"{folder}/ollama_benchmark_summary.md", note)
    # The export step also copied the bench into data/csv: an exact duplicate.
    pile.add("data/csv/ollama_quant_bench.csv", quant_csv)
    return q4_mean
