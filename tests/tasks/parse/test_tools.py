"""Readers of the benchmark tools' own outputs: each format, written here by the test, is read
into canonical metrics with units, statistics, model and run dimensions; and the real files in
../shared/corpus/tools are each read by their tool's reader."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from tasks.parse import parse_file, sniff_format
from tasks.parse.batch import parse_into
from tasks.parse.records import MetricSink
from tasks.parse.tools.ollama import go_duration_ms

TOOLS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "tools"


def read(name: str, text: str) -> tuple[pl.DataFrame, str, str | None]:
    data = text.encode()
    fmt, reason = sniff_format(name, data[:8192])
    assert reason is None, reason
    sink = MetricSink()
    parsed = parse_into(sink, data, fmt, name, "sha")
    return sink.to_frame(), parsed.reader, parsed.reader_version


def value(frame: pl.DataFrame, metric: str, statistic: str | None = None) -> list[float]:
    rows = frame.filter(pl.col("metric") == metric)
    rows = rows.filter(
        pl.col("statistic").is_null() if statistic is None else pl.col("statistic") == statistic
    )
    return rows["value"].to_list()


def llama_bench_test(n_prompt: int, n_gen: int, samples: list[float]) -> dict:
    return {
        "build_commit": "01ec0cc",
        "build_number": 7951,
        "gpu_info": "AMD Radeon RX 7900 XTX",
        "backends": "ROCm",
        "model_filename": "/models/qwen2.5-7b-instruct-q4_k_m.gguf",
        "model_type": "qwen2 7B Q4_K - Medium",
        "n_batch": 2048,
        "n_threads": 16,
        "n_gpu_layers": 99,
        "flash_attn": True,
        "type_k": "f16",
        "n_prompt": n_prompt,
        "n_gen": n_gen,
        "n_depth": 0,
        "test_time": "2026-02-06T06:07:29Z",
        "avg_ts": sum(samples) / len(samples),
        "stddev_ts": 1.0,
        "samples_ts": samples,
    }


def test_llama_bench_json_keeps_each_repetition_and_tells_pp_from_tg() -> None:
    tests = [llama_bench_test(512, 0, [3000.0, 3010.0]), llama_bench_test(0, 128, [150.5, 151.5])]
    frame, reader, version = read("bench.json", json.dumps(tests, indent=2))
    assert (reader, version) == ("llama-bench json", "b7951 (01ec0cc)")
    assert value(frame, "prompt_tok_s") == [3000.0, 3010.0]
    assert value(frame, "throughput_tok_s") == [150.5, 151.5]
    assert value(frame, "throughput_tok_s", "mean") == [151.0]
    generation = frame.filter(pl.col("metric") == "throughput_tok_s").row(0, named=True)
    assert generation["model"] == "qwen2.5-7b-instruct-q4_k_m"
    assert generation["unit"] == "tok/s"
    assert (generation["num_gpu"], generation["batch_size"], generation["threads"]) == (
        99,
        2048,
        16,
    )
    assert (generation["input_tokens"], generation["output_tokens"]) == (0, 128)
    assert generation["flash_attn"] is True and generation["runtime"] == "llama.cpp"
    assert json.loads(generation["extra"])["type_k"] == "f16"
    samples = frame.filter(pl.col("statistic").is_null() & (pl.col("metric") == "prompt_tok_s"))
    assert samples["run_index"].to_list() == [1, 2]


def test_llama_bench_jsonl_csv_and_sql_read_like_json() -> None:
    tests = [llama_bench_test(0, 128, [150.0, 152.0])]
    jsonl = "\n".join(json.dumps(t) for t in tests) + "\n"
    header = list(tests[0])
    csv_text = (
        ",".join(header)
        + "\n"
        + ",".join(
            f'"{json.dumps(v)}"' if isinstance(v, list) else str(v) for v in tests[0].values()
        )
    )
    sql = "CREATE TABLE IF NOT EXISTS llama_bench (x TEXT);\n" + (
        f"INSERT INTO llama_bench ({', '.join(header)}) VALUES ("
        + ", ".join(
            f"'{json.dumps(v)}'" if isinstance(v, list) else f"'{v}'" for v in tests[0].values()
        )
        + ");\n"
    )
    for name, text, reader in (
        ("bench.jsonl", jsonl, "llama-bench json"),
        ("bench.csv", csv_text, "llama-bench csv"),
        ("bench.sql", sql, "llama-bench sql"),
    ):
        frame, found, _ = read(name, text)
        assert found == reader
        assert value(frame, "throughput_tok_s") == [150.0, 152.0], name
        assert value(frame, "throughput_tok_s", "mean") == [151.0], name


def test_llama_bench_markdown_inside_a_log_with_its_build() -> None:
    log = (
        "=== BENCH ===\n### GPU 0 ONLY ###\nggml_vulkan: Found 1 Vulkan devices:\n"
        "| model | size | params | backend | ngl | fa | test | t/s |\n"
        "| --- | ---: | ---: | --- | --: | -: | ---: | ---: |\n"
        "| llama 7B Q4_0 | 3.56 GiB | 6.74 B | Vulkan | 99 | 1 | pp512 | 3,229.07 ± 53.81 |\n"
        "| llama 7B Q4_0 | 3.56 GiB | 6.74 B | Vulkan | 99 | 1 | tg128 | 150.97 ± 0.05 |\n"
        "| llama 7B Q4_0 | 3.56 GiB | 6.74 B | Vulkan | 99 | 1 | pp512 @ d512 | 2900.10 ± 1.00 |\n"
        "\nbuild: a81a56957 (7361)\n"
    )
    frame, reader, version = read("vulkan_benchmark.txt", log)
    assert (reader, version) == ("llama-bench markdown", "b7361 (a81a56957)")
    assert value(frame, "prompt_tok_s", "mean") == [3229.07, 2900.10]
    assert value(frame, "throughput_tok_s", "std") == [0.05]
    depth = frame.filter(pl.col("value") == 2900.10).row(0, named=True)
    assert json.loads(depth["extra"])["n_depth"] == 512
    assert json.loads(depth["extra"])["section"] == "GPU 0 ONLY"
    assert depth["num_gpu"] == 99 and depth["backend"] == "Vulkan"


def test_ollama_verbose_log_with_terminal_codes_and_go_durations() -> None:
    spinner = "\x1b[?2026h\x1b[?25l\x1b[1G\u2819 \x1b[K\x1b[?25h\x1b[?2026l" * 20
    block = (
        f"{spinner}total duration:       1m13.924423459s\nload duration:        8.69426525s\n"
        "prompt eval count:    23 token(s)\nprompt eval duration: 85.963792ms\n"
        "prompt eval rate:     267.55 tokens/s\neval count:           642 token(s)\n"
        "eval duration:        4.665623125s\neval rate:            137.60 tokens/s\n"
    )
    log = f"model_name =    gemma3:1b\n{block}\n{block}"
    data = log.encode()
    assert sniff_format("run.log", data)[0] == "text"
    frame, reader, _ = read("run.log", log)
    assert reader == "ollama run --verbose"
    assert value(frame, "throughput_tok_s") == [137.60, 137.60]
    assert value(frame, "total_ms")[0] == pytest.approx(73924.423459)
    assert value(frame, "prompt_eval_ms")[0] == pytest.approx(85.963792)
    assert set(frame["model"]) == {"gemma3:1b"}
    assert frame.filter(pl.col("metric") == "eval_count")["run_index"].to_list() == [1, 2]
    # each run at its "total duration" line, the blank line before the second not counted
    assert frame["locator"].unique(maintain_order=True).to_list() == ["line 2", "line 11"]
    assert "ttft_ms" not in frame["metric"].to_list()  # Ollama does not measure it


def test_go_durations() -> None:
    assert go_duration_ms("1m13.5s") == pytest.approx(73500.0)
    assert go_duration_ms("7.518167ms") == pytest.approx(7.518167)
    assert go_duration_ms("250µs") == pytest.approx(0.25)
    assert go_duration_ms("fast") is None


def test_ollama_api_response_rates_from_its_own_counters() -> None:
    response = {
        "model": "llama3.1:8b",
        "created_at": "2025-10-02T19:18:24Z",
        "response": "hi",
        "done": True,
        "total_duration": 5_000_000_000,
        "load_duration": 1_000_000_000,
        "prompt_eval_count": 20,
        "prompt_eval_duration": 100_000_000,
        "eval_count": 300,
        "eval_duration": 4_000_000_000,
    }
    frame, reader, _ = read("generate.json", json.dumps(response))
    assert reader == "ollama api"
    assert value(frame, "throughput_tok_s") == [75.0]
    assert value(frame, "prompt_tok_s") == [200.0]
    assert value(frame, "load_ms") == [1000.0]
    assert frame["runtime"][0] == "ollama"


def test_llama_server_timings() -> None:
    response = {
        "content": "...",
        "model": "qwen3-8b-q8_0.gguf",
        "generation_settings": {"temperature": 0.0, "top_k": 1, "n_ctx": 8192},
        "timings": {
            "cache_n": 0,
            "prompt_n": 84,
            "prompt_ms": 120.5,
            "prompt_per_second": 697.1,
            "predicted_n": 256,
            "predicted_ms": 9000.0,
            "predicted_per_second": 28.44,
        },
    }
    frame, reader, _ = read("measured-1.json", json.dumps(response))
    assert reader == "llama.cpp server timings"
    assert value(frame, "throughput_tok_s") == [28.44]
    assert value(frame, "prompt_tok_s") == [697.1]
    row = frame.row(0, named=True)
    assert (row["temperature"], row["top_k"], row["num_ctx"]) == (0.0, 1, 8192)


def vllm_run(run: int) -> dict:
    return {
        "date": "20260818-021333",
        "backend": "openai",
        "model_id": "facebook/opt-125m",
        "num_prompts": 8,
        "request_rate": "inf",
        "max_concurrency": 2,
        "duration": 1.5,
        "completed": 8,
        "failed": 0,
        "request_throughput": 5.86,
        "request_goodput": None,
        "output_throughput": 93.75,
        "total_token_throughput": 281.24,
        "mean_ttft_ms": 217.27,
        "median_ttft_ms": 44.92,
        "p99_ttft_ms": 762.49,
        "mean_tpot_ms": 8.2,
        "run_number": run,
        "max_num_seqs": 4,
    }


def test_vllm_bench_serve_run_and_sweep_summary() -> None:
    frame, reader, _ = read("run=0.json", json.dumps(vllm_run(0)))
    assert reader == "vllm bench"
    assert value(frame, "server_throughput_tok_s") == [93.75]
    assert value(frame, "ttft_ms", "p99") == [762.49]
    assert value(frame, "duration_ms") == [1500.0]
    row = frame.row(0, named=True)
    assert (row["model"], row["concurrency"], row["run_index"]) == ("facebook/opt-125m", 2, 0)
    assert json.loads(row["extra"]) == {
        "max_num_seqs": 4,
        "num_prompts": 8,
        "request_rate": "inf",
    }
    summary, reader, _ = read("summary.json", json.dumps([vllm_run(0), vllm_run(1)]))
    assert reader == "vllm bench"
    assert value(summary, "ttft_ms", "mean") == [217.27, 217.27]


def stats(mean: float) -> dict:
    return {
        "mean": mean,
        "median": mean,
        "std_dev": 1.0,
        "min": mean - 1,
        "max": mean + 1,
        "count": 4,
        "percentiles": {"p50": mean, "p99": mean + 1, "p999": mean + 1},
    }


def test_guidellm_benchmarks_with_their_requests() -> None:
    metrics = {
        "time_to_first_token_ms": {"successful": stats(171.5)},
        "request_latency": {"successful": stats(24.9)},
        "output_tokens_per_second": {"successful": stats(160.0)},
        "request_totals": {"successful": 4, "errored": 1, "incomplete": 0, "total": 5},
    }
    request = {
        "time_to_first_token_ms": 171.0,
        "output_tokens_per_second": 41.1,
        "output_tokens": 1024,
    }
    report = {
        "metadata": {"guidellm_version": "0.5.0"},
        "args": {"model": "Qwen/Qwen3-4B", "backend": "openai_http"},
        "benchmarks": [
            {
                "config": {"strategy": {"type_": "concurrent", "max_concurrency": 4}},
                "metrics": metrics,
                "requests": {"successful": [request, request]},
                "start_time": 1772470696.68,
            }
        ],
    }
    frame, reader, version = read("benchmarks.json", json.dumps(report))
    assert (reader, version) == ("guidellm benchmarks", "0.5.0")
    assert value(frame, "ttft_ms", "mean") == [171.5]
    assert value(frame, "ttft_ms", "p99.9") == [172.5]
    assert value(frame, "e2e_latency_ms", "median") == [24900.0]
    assert value(frame, "e2e_latency_ms", "count") == []  # 4 requests, not 4,000 ms
    assert value(frame, "error_rate_pct") == [20.0]
    # each request's own, over its whole time (1024 tokens in 24.9 s), not its decode rate
    assert value(frame, "e2e_throughput_tok_s") == [41.1, 41.1]
    assert value(frame, "throughput_tok_s") == []
    assert value(frame, "server_throughput_tok_s", "mean") == [160.0]
    assert set(frame["concurrency"]) == {4}


def test_genai_perf_and_aiperf_csv_sections_with_thousands() -> None:
    genai = (
        "Metric,avg,min,max,p99,p95,p90,p75,p50,p25\r\n"
        "Time To First Token (ms),24.62,23.59,26.31,26.27,25.56,25.36,24.96,24.53,24.21\r\n"
        'Request Latency (ms),"1,669.58",664.09,675.84,675.55,674.77,674.30,673.26,667.70,'
        "666.16\r\n"
        "\r\nMetric,Value\r\nOutput Token Throughput (per sec),86.44\r\n"
    )
    frame, reader, _ = read("profile_export_genai_perf.csv", genai)
    assert reader == "genai-perf csv"
    assert value(frame, "e2e_latency_ms", "mean") == [1669.58]
    assert value(frame, "server_throughput_tok_s") == [86.44]
    aiperf = (
        "Metric,avg,min,max,sum,p1,p5,p10,p25,p50,p75,p90,p95,p99,std\r\n"
        "Output Token Throughput Per User (tokens/sec/user),177.06,140.66,215.81,16997.84,"
        "141.28,160.91,163.59,171.11,179.65,185.18,186.64,187.13,189.05,10.79\r\n"
        "E2E Output Token Throughput (tokens/sec/user),140.2,121.1,210.1,13459.2,121.5,122.9,"
        "125.0,131.6,140.4,148.8,155.0,160.4,170.2,12.3\r\n"
        "\r\nMetric,Value\r\nBenchmark Duration (sec),128.68\r\n"
        "\r\nEndpoint,GPU_Index,GPU_Name,Metric,avg\r\n"
    )
    frame, reader, _ = read("profile_export_aiperf.csv", aiperf)
    assert reader == "aiperf csv"
    assert value(frame, "throughput_tok_s", "p50") == [179.65]  # the decode rate alone
    assert value(frame, "e2e_throughput_tok_s", "p50") == [140.4]  # first token included
    assert value(frame, "duration_ms") == [128680.0]


def test_genai_perf_json_settings_become_dimensions() -> None:
    export = {
        "time_to_first_token": {"unit": "ms", "avg": 24.6, "p99": 26.3},
        "output_token_throughput": {"unit": "tokens/sec", "avg": 86.4},
        "input_config": {
            "model": ["meta/llama3-8b-instruct"],
            "concurrency": 4,
            "synthetic_input_tokens_mean": 200,
            "output_tokens_mean": 50,
        },
    }
    frame, reader, _ = read("profile_export_genai_perf.json", json.dumps(export))
    assert reader == "genai-perf json"
    assert value(frame, "ttft_ms", "p99") == [26.3]
    row = frame.row(0, named=True)
    assert (row["model"], row["concurrency"], row["input_tokens"], row["output_tokens"]) == (
        "meta/llama3-8b-instruct",
        4,
        200,
        50,
    )


def test_llmperf_summary_and_individual_responses() -> None:
    summary = {
        "version": "2023-08-31",
        "model": "llama2-70b-4096",
        "framework": "groq",
        "mean_input_tokens": 550,
        "mean_output_tokens": 150,
        "num_concurrent_requests": 5,
        "results_ttft_s_quantiles_p50": 0.22,
        "results_ttft_s_mean": 0.23,
        "results_ttft_s_max": "0.36",
        "results_request_output_throughput_token_per_s_mean": 170.5,
        "results_error_rate": 0.02,
        "results_mean_output_throughput_token_per_s": 600.0,
        "timestamp": 1704851704,
    }
    frame, reader, version = read("x_summary.json", json.dumps(summary))
    assert (reader, version) == ("llmperf summary", "2023-08-31")
    assert value(frame, "ttft_ms", "p50") == [220.0]
    assert value(frame, "ttft_ms", "max") == [360.0]
    assert value(frame, "e2e_throughput_tok_s", "mean") == [170.5]  # over the whole request
    assert value(frame, "error_rate_pct") == [2.0]
    assert value(frame, "server_throughput_tok_s") == [600.0]
    assert frame["concurrency"][0] == 5 and frame["timestamp"][0].startswith("2024-01-10")
    assert frame["backend"][0] == "groq"  # the API that served the requests
    responses = [
        {
            "error_code": None,
            "error_msg": "",
            "ttft_s": 0.3,
            "request_output_throughput_token_per_s": 167.4,
        },
        {
            "error_code": 429,
            "error_msg": "",
            "ttft_s": None,
            "request_output_throughput_token_per_s": None,
        },
    ]
    frame, reader, _ = read("x_individual_responses.json", json.dumps(responses))
    assert reader == "llmperf individual responses"
    assert value(frame, "ttft_ms") == [300.0]
    assert value(frame, "e2e_throughput_tok_s") == [167.4]
    assert frame.filter(pl.col("metric") == "error")["error"].to_list() == ["error code 429"]


def test_text_no_tool_wrote_is_skipped_with_its_reason() -> None:
    with pytest.raises(Exception, match="no benchmark tool's output recognised"):
        parse_file(b"just some notes\n", "text", "notes.txt", "sha")


@pytest.mark.skipif(not TOOLS.is_dir(), reason="../shared/corpus/tools is not beside the repo")
def test_every_real_tool_output_yields_canonical_rows_with_units() -> None:
    performance = {
        "throughput_tok_s",
        "e2e_throughput_tok_s",
        "prompt_tok_s",
        "server_throughput_tok_s",
        "ttft_ms",
        "e2e_latency_ms",
        "itl_ms",
    }
    for path in sorted(TOOLS.glob("*/*")):
        frame, reader, _ = read(path.name, path.read_text(encoding="utf-8", errors="replace"))
        assert not reader.startswith("generic"), path.name
        canonical = frame.filter(pl.col("metric").is_in(performance))
        assert canonical.height, path.name
        assert canonical["unit"].null_count() == 0, path.name


def test_an_ollama_stream_is_read_from_its_final_chunk() -> None:
    chunks = [
        {
            "model": "qwen3:8b",
            "created_at": "2025-10-02T19:18:24Z",
            "response": "Hi",
            "done": False,
        },
        {
            "model": "qwen3:8b",
            "created_at": "2025-10-02T19:18:25Z",
            "response": "",
            "done": True,
            "eval_count": 100,
            "eval_duration": 2_000_000_000,
            "prompt_eval_count": 10,
            "prompt_eval_duration": 50_000_000,
        },
    ]
    frame, reader, _ = read("stream.jsonl", "\n".join(json.dumps(c) for c in chunks) + "\n")
    assert reader == "ollama api"
    assert value(frame, "throughput_tok_s") == [50.0]
    assert frame["locator"].unique().to_list() == ["line 2"]


def test_json_lines_no_tool_wrote_are_read_as_records() -> None:
    text = '{"model": "m1", "tokens_s": 10.5}\n{"model": "m1", "tokens_s": 11.5}\n'
    frame, reader, _ = read("runs.jsonl", text)
    assert reader == "generic json"
    assert frame.select("locator", "value").rows() == [("line 1", 10.5), ("line 2", 11.5)]


def test_guidellm_yaml_report_reads_like_its_json() -> None:
    yaml = pytest.importorskip("yaml")  # PyYAML is a dependency of Prefect
    report = {
        "metadata": {"guidellm_version": "0.5.0"},
        "args": {"model": "Qwen/Qwen3-4B"},
        "benchmarks": [
            {
                "config": {"strategy": {"type_": "synchronous"}},
                "metrics": {"time_to_first_token_ms": {"successful": stats(120.0)}},
            }
        ],
    }
    frame, reader, version = read("benchmarks.yaml", yaml.safe_dump(report))
    assert (reader, version) == ("guidellm benchmarks", "0.5.0")
    assert value(frame, "ttft_ms", "median") == [120.0]
    assert frame["concurrency"][0] == 1  # synchronous: one request at a time


def test_vllm_offline_throughput_and_latency_results() -> None:
    frame, reader, _ = read(
        "throughput.json",
        json.dumps(
            {
                "elapsed_time": 12.5,
                "num_requests": 100,
                "requests_per_second": 8.0,
                "tokens_per_second": 2048.0,
            }
        ),
    )
    assert reader == "vllm bench"
    assert value(frame, "total_token_throughput_tok_s") == [2048.0]
    assert value(frame, "duration_ms") == [12500.0]
    frame, _, _ = read(
        "latency.json",
        json.dumps(
            {"avg_latency": 1.25, "latencies": [1.2, 1.3], "percentiles": {"50": 1.25, "99": 1.3}}
        ),
    )
    assert value(frame, "e2e_latency_ms") == [1200.0, 1300.0]
    assert value(frame, "e2e_latency_ms", "p99") == [1300.0]


def test_aiperf_json_export() -> None:
    export = {
        "schema_version": "1.0",
        "aiperf_version": "0.10.0",
        "records": {
            "time_to_first_token": {"unit": "ms", "avg": 154.26, "p99": 292.5, "count": 96},
            "output_token_throughput_per_user": {"unit": "tokens/sec/user", "avg": 177.06},
            "request_latency": {"unit": "ms", "avg": 2617.76},
        },
    }
    frame, reader, version = read("profile_export_aiperf.json", json.dumps(export))
    assert (reader, version) == ("aiperf json", "0.10.0")
    assert value(frame, "ttft_ms", "p99") == [292.5]
    assert value(frame, "throughput_tok_s", "mean") == [177.06]
