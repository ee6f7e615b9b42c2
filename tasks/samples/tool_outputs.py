"""Sample outputs of the standard benchmark tools, for the sample corpus.

In: a seeded random generator and a start time. Out: (relative path, text) pairs written the way
each tool writes them: llama-bench JSON and a script log wrapping its Markdown table, an
`ollama run --verbose` capture with terminal spinner codes, a llama.cpp server /completion
response, a vLLM `bench serve` result, a GuideLLM benchmarks.json with per-request stats, a
GenAI-Perf CSV (CRLF, sections, thousands separators) and an LLMPerf summary with its
individual responses. The values are plausible and seeded; the shapes follow the formats noted
in shared/FORMATS.md and the real files in shared/corpus/tools.
"""

from __future__ import annotations

import json
import random
import statistics
from datetime import UTC, datetime

FOLDER = "tool-runs"


def _when(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _go_duration(ms: float) -> str:
    if ms >= 60_000:
        return f"{int(ms // 60_000)}m{(ms % 60_000) / 1000:.9f}s"
    if ms >= 1000:
        return f"{ms / 1000:.9f}s"
    return f"{ms:.6f}ms"


def _llama_bench_tests(rng: random.Random, start: int) -> list[dict]:
    tests = []
    for n_prompt, n_gen, base in ((512, 0, 2900.0), (0, 128, 95.0)):
        samples = [round(base * rng.uniform(0.98, 1.02), 6) for _ in range(3)]
        mean = statistics.fmean(samples)
        tests.append(
            {
                "build_commit": "a81a569",
                "build_number": 7361,
                "cpu_info": "AMD Ryzen 9 7950X 16-Core Processor",
                "gpu_info": "NVIDIA GeForce RTX 4090",
                "backends": "CUDA",
                "model_filename": "/models/llama-3.1-8b-instruct-q4_k_m.gguf",
                "model_type": "llama 8B Q4_K - Medium",
                "model_size": 4920734208,
                "model_n_params": 8030261248,
                "n_batch": 2048,
                "n_ubatch": 512,
                "n_threads": 16,
                "type_k": "f16",
                "type_v": "f16",
                "n_gpu_layers": 99,
                "flash_attn": True,
                "n_prompt": n_prompt,
                "n_gen": n_gen,
                "n_depth": 0,
                "test_time": _when(start).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "avg_ns": round(1e9 * (n_prompt or n_gen) / mean),
                "stddev_ns": 1_000_000,
                "avg_ts": round(mean, 6),
                "stddev_ts": round(statistics.stdev(samples), 6),
                "samples_ns": [round(1e9 * (n_prompt or n_gen) / s) for s in samples],
                "samples_ts": samples,
            }
        )
    return tests


def _llama_bench_log(rng: random.Random, start: int) -> str:
    rows = []
    for test, base in (("pp512", 3200.0), ("tg128", 150.0)):
        rows.append(
            f"| llama 7B Q4_0                  |   3.56 GiB |     6.74 B | Vulkan     |  99 |"
            f" {test:>15} | {base * rng.uniform(0.98, 1.02):>12.2f} ± {rng.uniform(0.05, 40):.2f} |"
        )
    return (
        "==============================================\n"
        f"  Vulkan benchmark, {_when(start):%a %b %d %H:%M:%S %Y}\n"
        "==============================================\n\n"
        "### GPU 0 ONLY ###\n"
        "ggml_vulkan: Found 1 Vulkan devices:\n"
        "| model                          |       size |     params | backend    | ngl |"
        "            test |                  t/s |\n"
        "| ------------------------------ | ---------: | ---------: | ---------- | --: |"
        " --------------: | -------------------: |\n" + "\n".join(rows) + "\n\n"
        "build: a81a56957 (7361)\n"
    )


def _ollama_verbose(rng: random.Random) -> str:
    spinner = "".join(
        f"\x1b[?2026h\x1b[?25l\x1b[1G{frame} \x1b[K\x1b[?25h\x1b[?2026l" for frame in "⠙⠹⠸⠼⠴⠦"
    )
    blocks = ["\nmodel_name =    gemma3:1b\n"]
    for first in (True, False, False):
        load = rng.uniform(6000, 9000) if first else rng.uniform(15, 30)
        prompt_count, eval_count = rng.randint(20, 40), rng.randint(300, 700)
        prompt_ms = rng.uniform(60, 120)
        rate = rng.uniform(125, 140)
        eval_ms = eval_count / rate * 1000
        total = load + prompt_ms + eval_ms + rng.uniform(5, 20)
        blocks.append(
            f"{spinner * 4}Here is a short answer.\n\n"
            f"total duration:       {_go_duration(total)}\n"
            f"load duration:        {_go_duration(load)}\n"
            f"prompt eval count:    {prompt_count} token(s)\n"
            f"prompt eval duration: {_go_duration(prompt_ms)}\n"
            f"prompt eval rate:     {prompt_count / prompt_ms * 1000:.2f} tokens/s\n"
            f"eval count:           {eval_count} token(s)\n"
            f"eval duration:        {_go_duration(eval_ms)}\n"
            f"eval rate:            {rate:.2f} tokens/s\n"
        )
    return "".join(blocks)


def _llama_server(rng: random.Random) -> str:
    predicted_n, prompt_n = 256, rng.randint(60, 100)
    predicted_ms, prompt_ms = predicted_n / rng.uniform(25, 30) * 1000, rng.uniform(100, 140)
    return json.dumps(
        {
            "index": 0,
            "content": "The sky is blue because of Rayleigh scattering.",
            "model": "qwen2.5-7b-instruct-q8_0.gguf",
            "tokens_predicted": predicted_n,
            "tokens_evaluated": prompt_n,
            "generation_settings": {"seed": 42, "temperature": 0.0, "top_k": 1, "top_p": 1.0},
            "stop_type": "limit",
            "timings": {
                "cache_n": 0,
                "prompt_n": prompt_n,
                "prompt_ms": round(prompt_ms, 3),
                "prompt_per_token_ms": round(prompt_ms / prompt_n, 6),
                "prompt_per_second": round(prompt_n / prompt_ms * 1000, 6),
                "predicted_n": predicted_n,
                "predicted_ms": round(predicted_ms, 3),
                "predicted_per_token_ms": round(predicted_ms / predicted_n, 6),
                "predicted_per_second": round(predicted_n / predicted_ms * 1000, 6),
            },
        },
        separators=(",", ":"),
    )


def _vllm_run(rng: random.Random, start: int, concurrency: int) -> str:
    ttft = [rng.uniform(30, 300) for _ in range(8)]
    run = {
        "date": _when(start).strftime("%Y%m%d-%H%M%S"),
        "endpoint_type": "openai",
        "backend": "openai",
        "label": None,
        "model_id": "Qwen/Qwen2.5-7B-Instruct",
        "tokenizer_id": "Qwen/Qwen2.5-7B-Instruct",
        "num_prompts": 8,
        "request_rate": "inf",
        "burstiness": 1.0,
        "max_concurrency": concurrency,
        "duration": round(rng.uniform(1.2, 1.6), 6),
        "completed": 8,
        "failed": 0,
        "total_input_tokens": 256,
        "total_output_tokens": 128,
        "request_throughput": round(rng.uniform(5, 6.5), 6),
        "request_goodput": None,
        "output_throughput": round(rng.uniform(85, 100), 6),
        "total_token_throughput": round(rng.uniform(260, 300), 6),
        "mean_ttft_ms": round(statistics.fmean(ttft), 6),
        "median_ttft_ms": round(statistics.median(ttft), 6),
        "std_ttft_ms": round(statistics.stdev(ttft), 6),
        "p99_ttft_ms": round(max(ttft), 6),
        "mean_tpot_ms": round(rng.uniform(7.5, 9), 6),
        "median_tpot_ms": round(rng.uniform(7.5, 9), 6),
        "p99_tpot_ms": round(rng.uniform(9, 11), 6),
        "mean_e2el_ms": round(rng.uniform(300, 400), 6),
        "p99_e2el_ms": round(rng.uniform(800, 900), 6),
    }
    return json.dumps(run, indent=4)


def _distribution(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
        "std_dev": statistics.pstdev(values),
        "min": ordered[0],
        "max": ordered[-1],
        "count": len(values),
        "percentiles": {"p50": statistics.median(values), "p99": ordered[-1]},
    }


def _guidellm(rng: random.Random, start: int) -> str:
    requests = [
        {
            "time_to_first_token_ms": rng.uniform(150, 200),
            "inter_token_latency_ms": rng.uniform(20, 26),
            "request_latency": rng.uniform(20, 26),
            "output_tokens_per_second": rng.uniform(38, 44),
            "prompt_tokens": 81,
            "output_tokens": 1024,
        }
        for _ in range(4)
    ]
    metrics = {
        "time_to_first_token_ms": {
            "successful": _distribution([r["time_to_first_token_ms"] for r in requests])
        },
        "inter_token_latency_ms": {
            "successful": _distribution([r["inter_token_latency_ms"] for r in requests])
        },
        "request_latency": {"successful": _distribution([r["request_latency"] for r in requests])},
        "output_tokens_per_second": {"successful": _distribution([rng.uniform(150, 170)])},
        "request_totals": {"successful": 4, "errored": 0, "incomplete": 0, "total": 4},
    }
    return json.dumps(
        {
            "metadata": {"version": 1, "guidellm_version": "0.5.0"},
            "args": {"model": "Qwen/Qwen2.5-7B-Instruct", "backend": "openai_http"},
            "benchmarks": [
                {
                    "type_": "generative_benchmark",
                    "config": {"strategy": {"type_": "concurrent", "max_concurrency": 4}},
                    "metrics": metrics,
                    "requests": {"successful": requests, "errored": [], "incomplete": []},
                    "start_time": start,
                }
            ],
        }
    )


def _genai_perf_csv(rng: random.Random) -> str:
    def row(name: str, low: float, high: float) -> str:
        values = sorted(rng.uniform(low, high) for _ in range(9))
        cells = [statistics.fmean(values), values[0], values[-1], *reversed(values[1:-1])]
        return name + "," + ",".join(f'"{v:,.2f}"' if v >= 1000 else f"{v:.2f}" for v in cells)

    lines = [
        "Metric,avg,min,max,p99,p95,p90,p75,p50,p25",
        row("Time To First Token (ms)", 22, 27),
        row("Inter Token Latency (ms)", 9, 13),
        row("Request Latency (ms)", 900, 1200),
        "",
        "Metric,Value",
        f"Output Token Throughput (per sec),{rng.uniform(80, 90):.2f}",
        f"Request Throughput (per sec),{rng.uniform(1.3, 1.6):.2f}",
    ]
    return "\r\n".join(lines) + "\r\n"


def _llmperf(rng: random.Random, start: int) -> tuple[str, str]:
    responses = []
    for _ in range(10):
        ttft = rng.uniform(0.2, 0.35)
        end_to_end = ttft + 150 * rng.uniform(0.0035, 0.0045)
        responses.append(
            {
                "error_code": None,
                "error_msg": "",
                # LLMPerf sums every gap, the first token's wait included, over the output
                # tokens: about the end-to-end time per token (the real files: 5.88 ms against
                # 5.93), not the decode's time per token
                "inter_token_latency_s": end_to_end / 150 * 0.99,
                "ttft_s": ttft,
                "end_to_end_latency_s": end_to_end,
                "request_output_throughput_token_per_s": 150 / end_to_end,
                "number_total_tokens": 700,
                "number_output_tokens": 150,
                "number_input_tokens": 550,
            }
        )
    summary = {
        "version": "2023-08-31",
        "name": "llama3-8b_550_150_summary",
        "model": "llama3-8b",
        "mean_input_tokens": 550,
        "mean_output_tokens": 150,
        "num_concurrent_requests": 5,
        "timestamp": start,
    }
    for key, scale in (("ttft_s", 1), ("request_output_throughput_token_per_s", 1)):
        values = sorted(r[key] for r in responses)
        summary[f"results_{key}_quantiles_p50"] = statistics.median(values) * scale
        summary[f"results_{key}_mean"] = statistics.fmean(values) * scale
        summary[f"results_{key}_max"] = values[-1] * scale
    summary["results_error_rate"] = 0.0
    summary["results_num_completed_requests"] = len(responses)
    return json.dumps(summary, indent=4), json.dumps(responses, indent=4)


def tool_outputs(rng: random.Random, start: int) -> list[tuple[str, str]]:
    """The sample files of the standard tools, as (relative path, text)."""
    summary, individual = _llmperf(rng, start + 600)
    return [
        (
            f"{FOLDER}/llama-bench/rtx4090_llama3.1-8b.json",
            json.dumps(_llama_bench_tests(rng, start), indent=2),
        ),
        (f"{FOLDER}/llama-bench/vulkan_benchmark.log", _llama_bench_log(rng, start + 60)),
        (f"{FOLDER}/ollama/verbose_gemma3.log", _ollama_verbose(rng)),
        (f"{FOLDER}/llama-server/short-generation-measured-1.json", _llama_server(rng)),
        (f"{FOLDER}/vllm/concurrency-2/run=0.json", _vllm_run(rng, start + 120, 2)),
        (f"{FOLDER}/guidellm/benchmarks.json", _guidellm(rng, start + 180)),
        (f"{FOLDER}/genai-perf/llama3-8b-c1/profile_export_genai_perf.csv", _genai_perf_csv(rng)),
        (f"{FOLDER}/llmperf/llama3-8b_550_150_summary.json", summary),
        (f"{FOLDER}/llmperf/llama3-8b_550_150_individual_responses.json", individual),
    ]
