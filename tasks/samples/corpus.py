"""Sample corpus: a seed in, a folder of realistic local-LLM benchmark files out.

The pile imitates the shapes of a real benchmark folder (Ollama prompt-suite CSVs and summaries,
baseline CSV + JSON pairs, parameter sweeps with summaries, Markdown reports with pipe tables,
compilation JSON with nested backends) and its warts: a failed run of zero-throughput rows with a
connection error, a timed-out sweep configuration, success=true beside an error message, an exact
duplicate, an empty file, a UTF-16 "CSV", a Markdown table glued to the line above, CRLF line ends,
and files that hold no metrics (.txt, .py, binary); beside them, the outputs of the standard
benchmark tools (tasks.samples.tool_outputs). Every number comes from a seeded generator with
plausible per-model ranges, and every timestamp is derived from the seed, so the same seed writes
byte-identical files. Contents are built as strings (no dataframes): 100,000 files take well
under a minute.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tasks.samples.tool_outputs import tool_outputs

# 2025-07-01T00:00:00Z; each pile's runs start somewhere in the ~200 days after it.
BASE_EPOCH = 1_751_328_000
SPREAD_S = 200 * 86_400
START_STEP_S = 6_007  # prime, so coprime with SPREAD_S


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
CONNECTION_ERRORS = (
    "HTTPConnectionPool(host='127.0.0.1', port=11434): Max retries exceeded with url: "
    "/api/generate (Caused by NewConnectionError: [Errno 111] Connection refused)",
    "ConnectError: [WinError 10061] No connection could be made because the target machine "
    "actively refused it",
    "httpx.ConnectTimeout: timed out while connecting to http://localhost:11434",
)
OPTIONS = {"temperature": 0.3, "top_p": 0.9}
OPTIONS_JSON = json.dumps(OPTIONS, separators=(",", ":"))

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


PROMPT_SUITE_COLUMNS = _columns(
    "timestamp,model,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
    "prompt_eval_count,eval_count,response_chars,error,options"
)


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


# --- Ollama prompt-suite runs --------------------------------------------------------------------


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


# --- baselines and sweeps ------------------------------------------------------------------------


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


# --- the pile ------------------------------------------------------------------------------------


class _Pile:
    """The files of one pile, in writing order: relative path -> bytes."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bytes]] = []

    def add(self, relative_path: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        self.files.append((relative_path, data))


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


COMPILE_S = {
    "eager": (0.0, 0.0),
    "jit": (0.03, 0.3),
    "torch_compile": (1.0, 8.0),
    "onnx": (0.05, 0.4),
    "tensorrt": (10.0, 25.0),
}
GRAPH_PREVIEW = (
    "graph(%self : __torch__.Model, %x : Tensor):",
    "  %h : Tensor = aten::linear(%x, %w0, %b0)",
    "  %a : Tensor = aten::gelu(%h, %approx)",
    "  %y : Tensor = aten::linear(%a, %w1, %b1)",
    "  return (%y)",
)


def _compilation_backend(
    rng: random.Random, backend: str, base_ms: float, *, error: str | None = None, ok: bool = True
) -> dict:
    metadata: dict[str, object] = {
        "eager": {},
        "jit": {"strict": False, "frozen": True, "graph_preview": list(GRAPH_PREVIEW)},
        "torch_compile": {
            "backend": "inductor",
            "mode": "default",
            "fullgraph": False,
            "dynamic": False,
        },
        "onnx": {
            "opset": 17,
            "providers": ["CPUExecutionProvider"],
            "session_type": "onnxruntime",
        },
        "tensorrt": {"enabled_precisions": ["torch.float16"], "workspace_size": 1 << 28},
    }[backend]
    compile_time = rng.uniform(*COMPILE_S[backend])
    if ok:
        mean = base_ms * rng.uniform(0.4, 1.6)
        timings = {
            "mean_time_ms": mean,
            "std_time_ms": mean * rng.uniform(0.02, 0.3),
            "min_time_ms": mean * rng.uniform(0.7, 0.95),
            "max_time_ms": mean * rng.uniform(1.1, 1.8),
        }
    else:
        timings = dict.fromkeys(("mean_time_ms", "std_time_ms", "min_time_ms", "max_time_ms"), 0.0)
    compilation = (
        None
        if backend == "eager"
        else {
            "backend": {"jit": "torchscript", "torch_compile": "torch.compile"}.get(
                backend, backend
            ),
            "success": ok,
            "compile_time_s": compile_time if ok else None,
            "metadata": metadata if ok else {},
            "error": error,
        }
    )
    return {
        "backend": backend,
        "compilation": compilation,
        "benchmark": {
            "backend": backend,
            **timings,
            "metadata": {"compile_time_s": compile_time if ok else 0.0, **metadata},
        },
    }


def _add_compilation(pile: _Pile, rng: random.Random, start: int) -> None:
    folder = "outputs/reports/compilation"
    benches = (
        (
            "mlp_bench",
            {"name": "mlp", "device": "cpu", "batch_size": 4, "input_dim": 256, "hidden_dim": 512},
            {"eager": {}, "jit": {}, "torch_compile": {}, "onnx": {}},
            0.5,
        ),
        (
            "transformer_cuda_bench",
            {
                "name": "transformer",
                "device": "cuda",
                "batch_size": 2,
                "seq_len": 128,
                "embed_dim": 256,
                "num_heads": 4,
                "num_layers": 2,
            },
            {
                "eager": {},
                "jit": {},
                # Compilation failed: zero timings beside success=false.
                "torch_compile": {
                    "ok": False,
                    "error": "BackendCompilerFailed: inductor could not find a C++ compiler",
                },
                "onnx": {},
                # The engine built but fell back for some layers: success=true beside an error.
                "tensorrt": {
                    "error": "3 of 41 layers ran in PyTorch: unsupported op aten::scaled_dot_"
                    "product_attention"
                },
            },
            0.6,
        ),
    )
    clock = start + 2 * 86_400
    for stem, model, backends, base_ms in benches:
        clock += rng.randint(300, 4000)
        generated = _when(clock, rng.randrange(1_000_000))
        document = {
            "generated_at": generated.isoformat(),
            "model": {**model, "dtype": "torch.float32"},
            "settings": {"runs": 10, "warmup_runs": 3, "backends": list(backends)},
            "backends": {
                name: _compilation_backend(rng, name, base_ms, **options)
                for name, options in backends.items()
            },
        }
        stamp = generated.strftime("%Y%m%d-%H%M%S")
        pile.add(f"{folder}/{stem}_{stamp}.json", json.dumps(document))
        table_rows = []
        for name, entry in document["backends"].items():
            compilation = entry["compilation"] or {"success": True, "compile_time_s": 0.0}
            bench = entry["benchmark"]
            notes = "; ".join(
                f"{key}={value}"
                for key, value in bench["metadata"].items()
                if key != "compile_time_s" and not isinstance(value, list)
            )
            if compilation.get("error"):
                notes = (notes + "; " if notes else "") + f"error={compilation['error']}"
            table_rows.append(
                [
                    name,
                    "yes" if compilation["success"] else "no",
                    f"{compilation['compile_time_s'] or 0.0:.4f}",
                    *(f"{bench[k]:.3f}" for k in ("mean_time_ms", "std_time_ms")),
                    *(f"{bench[k]:.3f}" for k in ("min_time_ms", "max_time_ms")),
                    notes,
                ]
            )
        table = _md_table(
            ["Backend", "Success", "Compile Time (s)", "Mean (ms)", "Std (ms)"]
            + ["Min (ms)", "Max (ms)", "Notes"],
            table_rows,
        )
        # The writer forgot the blank line, so the table starts on the DType line.
        markdown = (
            f"# Compilation Benchmark Report - Generated: {generated.isoformat()}\n"
            f"- Model: {model['name']}\n- Device: {model['device']}\n"
            f"- DType: torch.float32 {table}\n"
        )
        pile.add(f"{folder}/{stem}_{stamp}.md", markdown)


TESTS = (
    ("Squad Wipe (Supportive)", "squad_wipe", "supportive"),
    ("Raid Cleared (Triumphant)", "raid_cleared", "triumphant"),
    ("Secret Area Found (Curious)", "secret_area", "curious"),
    ("Rank Up (Proud)", "rank_up", "proud"),
    ("Last Stand (Defiant)", "last_stand", "defiant"),
)


def _add_data_exports(pile: _Pile, rng: random.Random, start: int) -> None:
    folder = "data/csv"
    epoch = start - 2 * 86_400 + rng.random()
    results = []
    broken, interrupted = rng.sample(range(len(TESTS)), 2)
    for index, (name, context, tone) in enumerate(TESTS):
        record: dict[str, object] = {"test_name": name, "context": context, "tone": tone}
        if index == broken:
            record["error"] = "'cp1252' codec can't encode character '\\U0001f3c6' in position 31"
            record["success"] = False
            results.append(record)
            continue
        tokens = rng.randint(30, 60)
        speed = rng.uniform(12.0, 16.0)  # this harness ran the model on CPU through a wrapper
        record |= {
            "generation_time_ms": tokens / speed * 1000,
            "tokens": tokens,
            "tokens_per_second": speed,
            "banter_text": f"Sample line {index + 1} for {context.replace('_', ' ')}.",
        }
        if index == interrupted:
            record["error"] = "stream closed by server before the final chunk"
        record["success"] = True
        results.append(record)
    done = [r for r in results if r["success"]]
    total_ms = sum(float(r["generation_time_ms"]) for r in done)
    total_tokens = sum(int(r["tokens"]) for r in done)
    document = {
        "test_timestamp": epoch,
        "test_datetime": datetime.fromtimestamp(epoch, tz=UTC).replace(tzinfo=None).isoformat(),
        "total_tests": len(results),
        "successful_tests": len(done),
        "total_generation_time_ms": total_ms,
        "total_tokens": total_tokens,
        "overall_tokens_per_second": total_tokens / total_ms * 1000,
        "results": results,
    }
    pile.add(f"{folder}/baseline_test_results_{int(epoch)}.json", json.dumps(document))
    pile.add(
        f"{folder}/baseline_performance_summary.csv",
        _csv(
            _columns(
                "Test Name,Context,Tone,Generation Time (ms),Tokens,Tokens per Second,Success"
            ),
            [
                [
                    r["test_name"],
                    r["context"],
                    r["tone"],
                    f"{r['generation_time_ms']:.2f}",
                    r["tokens"],
                    f"{r['tokens_per_second']:.2f}",
                    "TRUE",
                ]
                for r in done
            ],
        ),
    )

    # A plain-text report of the same run: numbers in prose, nothing to parse as a table.
    speeds = [float(r["tokens_per_second"]) for r in done]
    text = [
        "BASELINE GENERATION REPORT",
        "==========================",
        f"Generated: {document['test_datetime'][:19].replace('T', ' ')}",
        "Model: llama3.1:8b-instruct-q4_0 (CPU offload)",
        "",
        f"Tests passed: {len(done)} of {len(results)}",
        f"Average generation time: {total_ms / len(done):.2f} ms",
        f"Average throughput: {_mean(speeds):.2f} tokens/second",
        f"Overall throughput: {document['overall_tokens_per_second']:.2f} tokens/second",
        f"Total tokens: {total_tokens}",
        "",
    ]
    pile.add("outputs/reports/integration/baseline_performance_report.txt", "\n".join(text))

    # A latency harness run: nested timing statistics per run.
    run_results = []
    for _ in range(3):
        mean = rng.uniform(0.06, 0.09)
        run_results.append(
            {
                "samples": 10,
                "p50_ms": mean * rng.uniform(0.95, 1.0),
                "p95_ms": mean * rng.uniform(1.1, 1.25),
                "p99_ms": mean * rng.uniform(1.25, 1.4),
                "mean_ms": mean,
                "stdev_ms": mean * rng.uniform(0.05, 0.12),
            }
        )
    means = [r["mean_ms"] for r in run_results]
    overall = _mean(means)
    spread = statistics.stdev(means)
    harness_epoch = start - 86_400 + rng.random()
    harness = {
        "test_name": "demo_baseline",
        "runs": 3,
        "samples_per_run": 10,
        "timing_stats": {
            "overall_mean_ms": overall,
            "overall_stdev_ms": spread,
            "run_results": run_results,
            "latency_percentiles": {"p50": statistics.median(means), "p95": max(means)},
            "cv_percent": spread / overall * 100,
            "outliers_detected": 0,
        },
        "environment": {
            "python_version": "3.12.4",
            "os": "Windows",
            "cuda_available": True,
            "gpu_name": "NVIDIA GeForce RTX 4070 Laptop GPU",
            "gpu_count": 1,
        },
        "confidence_interval_95": [overall - 1.96 * spread, overall + 1.96 * spread],
        "timestamp": harness_epoch,
    }
    pile.add(f"{folder}/baselines/demo_baseline_{int(harness_epoch)}.json", json.dumps(harness))


def _add_misc(pile: _Pile, rng: random.Random, start: int) -> None:
    reports = "outputs/reports"
    day = _when(start + 12 * 86_400)

    variants = {
        "baseline": (rng.uniform(0.70, 0.80), rng.uniform(0.55, 0.65), rng.randint(2700, 2900)),
        "qat": (rng.uniform(0.35, 0.72), rng.uniform(0.6, 1.1), rng.randint(3600, 3900)),
        "int8": (rng.uniform(0.70, 0.80), rng.uniform(0.55, 0.65), rng.randint(2900, 3100)),
    }
    pile.add(
        f"{reports}/quantization/quantization_report.json",
        json.dumps(
            {
                name: {"accuracy": acc, "loss": loss, "model_size_bytes": size}
                for name, (acc, loss, size) in variants.items()
            },
            indent=2,
        ),
    )
    # Headings glued to the last bullet of the section before, as the real writer does.
    pile.add(
        f"{reports}/quantization/quantization_report.md",
        "# Quantization Benchmark"
        + "".join(
            f" ## {name.upper()}\n- Accuracy: {acc:.4f}\n- Loss: {loss:.4f}\n"
            f"- Model size: {size} bytes"
            for name, (acc, loss, size) in variants.items()
        )
        + "\n",
    )

    def timing(low: float, high: float) -> dict[str, float]:
        mean = rng.uniform(low, high)
        return {
            "mean_time_ms": mean,
            "std_time_ms": mean * rng.uniform(0.05, 3.0),
            "min_time_ms": mean * rng.uniform(0.01, 0.9),
            "max_time_ms": mean * rng.uniform(1.2, 10.0),
        }

    kernels = {
        "attention": {"torch": timing(0.2, 30.0), "flash": timing(0.1, 5.0)},
        "tensor_core": {"1024x1024x1024": timing(0.05, 20.0)},
        "fusion": {"linear_then_gelu": timing(0.3, 1.0), "fused_linear_gelu": timing(0.04, 0.1)},
    }
    pile.add(f"{reports}/kernel_optimization/kernel_benchmarks.json", json.dumps(kernels))

    anomalies = rng.randint(1, 6)
    before = rng.uniform(20.0, 40.0)
    health = {
        "timestamp": day.replace(tzinfo=None).isoformat(sep=" "),
        "anomalies_detected": anomalies,
        "actions_taken": [
            {
                "action_id": f"{strategy}_{day.strftime('%Y%m%d_%H%M%S')}",
                "strategy": strategy,
                "status": "completed",
                "error_message": None,
                "metrics_before": {"latency_ms": before},
                "metrics_after": {"latency_ms": before * rng.uniform(0.6, 1.4)},
            }
            for strategy in ("config_rollback", "parameter_tuning", "resource_scaling")
        ],
        "overall_success": rng.random() < 0.5,
    }
    stamp = day.strftime("%Y%m%d_%H%M%S")
    pile.add(f"{reports}/diagnostics/health_check_{stamp}.json", json.dumps(health, indent=2))

    run_id = rng.getrandbits(64)
    pile.add(
        f"{reports}/integration/topology_diagram.py",
        f'"""Draw the service topology of the benchmark rig (run {run_id:016x})."""\n\n'
        "SERVICES = ('ollama', 'collector', 'dashboard')\n\n\n"
        "def main() -> None:\n"
        "    print(' -> '.join(SERVICES))\n\n\n"
        "if __name__ == '__main__':\n"
        "    main()\n",
    )
    pile.add(f"{reports}/integration/pending_digest.md", b"")
    # A profiler capture: opaque bytes that must be inventoried, not parsed.
    pile.add(f"{reports}/profiling/ncu_capture.ncu-rep", b"NVPROF\x00\x02" + rng.randbytes(2040))
    # The profiler's error text, saved by a PowerShell redirect: UTF-16 with a BOM, named .csv.
    pile.add(
        f"{reports}/profiling/ncu_summary.csv",
        (
            f"==ERROR== option '--metric-set' is not recognised (session {run_id:016x}).\r\n"
            "==ERROR== Run with --help for the list of options.\r\n"
        ).encode("utf-16"),
    )
    pile.add(
        f"{reports}/README.md",
        "# Benchmark reports\n\n"
        f"One folder per study, last tidied {day:%Y-%m-%d %H:%M:%S}. Raw exports live in "
        "`../../data/csv`.\n\n"
        "- `ollama/`: prompt-suite runs, one folder per run\n"
        "- `gemma3/`, `llama3/`: baselines, sweeps and write-ups\n"
        "- `compilation/`: PyTorch backend comparisons\n"
        "- `profiling/`, `diagnostics/`, `integration/`: odds and ends\n",
    )


def build_pile(seed: int) -> list[tuple[str, bytes]]:
    """The files of one pile as (relative posix path, bytes), the same for the same seed."""
    rng = random.Random(seed)
    # A step coprime with SPREAD_S gives every seed below it its own start second, so even the
    # files that carry little more than a date (the README) differ between copies.
    start = BASE_EPOCH + (seed * START_STEP_S) % SPREAD_S
    pile = _Pile()
    gemma_latest = _add_ollama_runs(pile, rng, start)
    llama_q4 = _add_llama_reports(pile, rng, start)
    _add_gemma_reports(pile, rng, start, llama_q4, gemma_latest)
    _add_compilation(pile, rng, start)
    _add_data_exports(pile, rng, start)
    _add_misc(pile, rng, start)
    for relative_path, text in tool_outputs(rng, start):
        pile.add(relative_path, text)
    return pile.files


def write_sample_corpus(dest: Path, *, copies: int = 1, seed: int = 0) -> list[Path]:
    """Write a realistic, deterministic pile of local-LLM benchmark files under dest; return them.

    copies=1 writes one pile (about 50 files) straight under dest; copies=N writes N piles in
    sub-folders copy_00000, copy_00001, ... with seeds seed, seed+1, ..., so their contents differ
    except for each pile's deliberate duplicate pair and its empty file.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    dest = Path(dest)
    written: list[Path] = []
    made: set[str] = set()
    for copy in range(copies):
        root = dest if copies == 1 else dest / f"copy_{copy:05d}"
        for relative, data in build_pile(seed + copy):
            path = os.path.join(root, relative)
            folder = os.path.dirname(path)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(path, "wb") as handle:
                handle.write(data)
            written.append(Path(path))
    return written
