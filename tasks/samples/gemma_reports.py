"""Gemma reports: outputs/reports/gemma3/ baselines (CSV + JSON), sweeps and Markdown reports.

Per small Gemma model a baseline pair, a parameter sweep with its summary (one configuration
timed out for gemma3:270m), then Gemma3_Benchmark_Report.md and SUMMARY.md.
"""

from __future__ import annotations

import json
import random

from tasks.samples.common import (
    COLD_LOAD_S,
    PROFILES,
    PROMPT_LABELS,
    PROMPTS,
    SWEEP,
    _columns,
    _csv,
    _generation,
    _md_table,
    _mean,
    _pct,
    _Pile,
    _sweep,
    _sweep_summary,
    _when,
    config_name,
)


def _baseline(rng: random.Random, model: str) -> tuple[str, str, list[dict]]:
    """A five-prompt baseline as a CSV and a JSON with a `results` array, from the same runs."""
    profile = PROFILES[model]
    results = []
    for index, prompt in enumerate(PROMPTS):
        run = _generation(rng, profile, load_s_range=COLD_LOAD_S if index == 0 else None)
        results.append({"prompt": prompt, **run})
    columns = ["ttft_s", "tokens_s", "load_s", "prompt_eval_s", "eval_s"]
    header = ["prompt", *columns, "eval_count", "response_chars", "error"]
    rows = [
        [r["prompt"], *(r[c] for c in columns), r["eval_count"], r["response_chars"], ""]
        for r in results
    ]
    document = {
        "model": model,
        "results": [
            {k: r[k] for k in ("prompt", *columns, "eval_count", "response_chars")} for r in results
        ],
    }
    return _csv(header, rows), json.dumps(document, indent=2), results


def _gemma_sweep_files(
    runs: list[dict[str, object]], summary: list[dict[str, object]]
) -> tuple[str, str]:
    header = _columns(
        "num_gpu,num_ctx,temperature,config_name,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
        "eval_count,error"
    )
    rows = [[run.get(column, "") for column in header] for run in runs]
    summary_header = _columns(
        "config_name,num_gpu,num_ctx,temperature,mean_tokens_s,mean_ttft_s,mean_load_s"
    )
    summary_rows = [[row[c] for c in summary_header] for row in summary]
    return _csv(header, rows), _csv(summary_header, summary_rows)


def _add_gemma_reports(
    pile: _Pile, rng: random.Random, start: int, llama_q4: float, latest: dict
) -> None:
    folder = "outputs/reports/gemma3"
    day = _when(start + 10 * 86_400).date().isoformat()
    sections: list[str] = []
    comparison: list[list[object]] = []
    for model, stem in (("gemma3:270m", "gemma3_270m"), ("gemma3:1b-it-qat", "gemma3_1b-it-qat")):
        baseline_csv, baseline_json, results = _baseline(rng, model)
        pile.add(f"{folder}/{stem}_baseline.csv", baseline_csv)
        pile.add(f"{folder}/{stem}_baseline.json", baseline_json)
        # Small models on low offload settings sometimes stall past the client's timeout.
        timed_out = (
            config_name(rng.choice((60, 40)), rng.choice((1024, 2048)), 0.2)
            if model == "gemma3:270m"
            else None
        )
        runs = _sweep(rng, model, repeats=1, timed_out=timed_out)
        summary = _sweep_summary(runs)
        sweep_csv, summary_csv = _gemma_sweep_files(runs, summary)
        pile.add(f"{folder}/{stem}_param_tuning.csv", sweep_csv)
        pile.add(f"{folder}/{stem}_param_tuning_summary.csv", summary_csv)

        mean_tokens = _mean(r["tokens_s"] for r in results)
        warm_ttft = _mean(r["ttft_s"] for r in results[1:])
        best = summary[0]
        per_prompt = [
            [
                label,
                f"{r['ttft_s']:.3f}",
                f"{r['tokens_s']:.2f} tokens/s",
                f"{r['eval_count']:,}",
                f"{r['response_chars']:,}",
            ]
            for label, r in zip(PROMPT_LABELS, results, strict=True)
        ]
        top = [
            [
                row["config_name"],
                row["num_gpu"],
                row["num_ctx"],
                row["temperature"],
                f"{row['mean_tokens_s']:.2f} tokens/s",
                f"{row['mean_ttft_s']:.3f}",
            ]
            for row in summary[:5]
        ]
        sections += [
            f"## {model}",
            "",
            f"- Mean throughput: {mean_tokens:.2f} tokens/s",
            f"- Mean TTFT (warm): {warm_ttft:.3f} s",
            f"- Cold-start TTFT: {results[0]['ttft_s']:.3f} s",
            f"- Best configuration: {best['config_name']} at {best['mean_tokens_s']:.2f} tokens/s",
        ]
        if timed_out:
            sections.append(f"- Timed-out configurations: 1 ({timed_out})")
        sections += [
            "",
            "### Baseline prompts",
            "",
            _md_table(["Prompt", "TTFT (s)", "Throughput", "Tokens", "Response chars"], per_prompt),
            "",
            "### Top five sweep configurations",
            "",
            _md_table(["Config", "num_gpu", "num_ctx", "temp", "Throughput", "TTFT (s)"], top),
            "",
        ]
        comparison.append(
            [model, f"{mean_tokens:.2f} tokens/s", f"**{_pct(mean_tokens, llama_q4)}**"]
        )

    report = [
        "# Gemma 3 small models on a local Ollama server",
        "",
        f"Measured on {day}. Every figure below is computed from the CSV and JSON files in this "
        "folder; the llama3.1:8b-instruct-q4_0 reference comes from the quantization sweep.",
        "",
        "- GPU: RTX 4070 Laptop, 8 GB",
        f"- Prompts: {len(PROMPTS)} short game-chat prompts, temperature 0.3",
        f"- Sweep: {len(SWEEP)} configurations (num_gpu x num_ctx x temperature), one run each",
        "",
        *sections,
        "## Against llama3.1:8b-instruct-q4_0",
        "",
        _md_table(
            ["Model", "Mean throughput", "vs q4_0"],
            [*comparison, ["llama3.1:8b-instruct-q4_0", f"{llama_q4:.2f} tokens/s", "-"]],
        ),
        "",
    ]
    pile.add(f"{folder}/Gemma3_Benchmark_Report.md", "\n".join(report))

    summary = [
        "# gemma3:latest at a glance",
        "",
        _md_table(
            ["Metric", "Value"],
            [
                ["**Model**", "gemma3:latest"],
                ["**Size**", f"{PROFILES['gemma3:latest'].size_gb} GB"],
                ["**Mean Throughput**", f"{latest['mean_tokens_s']:.2f} tokens/s"],
                ["**Mean TTFT**", f"{latest['mean_ttft_s']:.3f} s (cold start included)"],
                ["**Prompts**", f"{latest['completed']:,}"],
            ],
        ),
        "",
        f"- **{_pct(latest['mean_tokens_s'], llama_q4)}** throughput against "
        f"llama3.1:8b-instruct-q4_0 ({latest['mean_tokens_s']:.2f} vs {llama_q4:.2f} tokens/s)",
        f"- Size: {PROFILES['gemma3:latest'].size_gb} GB against "
        f"{PROFILES['llama3.1:8b-instruct-q4_0'].size_gb} GB",
        "",
    ]
    pile.add(f"{folder}/SUMMARY.md", "\n".join(summary))
