"""JSON documents -> metric rows: records, JSON pointers, paths and inherited dimensions."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tasks.parse import ParseError, parse_file


def parse_json_value(document: object, *, bom: bool = False) -> pl.DataFrame:
    data = json.dumps(document).encode()
    return parse_file((b"\xef\xbb\xbf" if bom else b"") + data, "json", "doc.json", "abc")


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    return frame.select(*columns).rows()


def test_arrays_of_records_become_records_that_inherit_dimensions() -> None:
    frame = parse_json_value(
        {
            "model": "gemma3:270m",
            "generated_at": "2025-10-08T16:29:11+00:00",
            "results": [
                {"prompt": "p1", "ttft_s": 7.8366299, "tokens_s": 238.2, "ok_flag": True},
                {"prompt": "p2", "tokens_s": 289.4},
            ],
        }
    )
    assert rows(frame, "locator", "metric", "value", "model", "timestamp") == [
        (
            "/results/0",
            "ttft_ms",
            pytest.approx(7836.6299),
            "gemma3:270m",
            "2025-10-08T16:29:11+00:00",
        ),
        ("/results/0", "throughput_tok_s", 238.2, "gemma3:270m", "2025-10-08T16:29:11+00:00"),
        ("/results/1", "throughput_tok_s", 289.4, "gemma3:270m", "2025-10-08T16:29:11+00:00"),
    ]


def test_keyed_collections_are_records_named_by_their_pointer() -> None:
    frame = parse_json_value(
        {
            "model": {"name": "conv", "batch_size": 4},
            "backends": {
                "eager": {
                    "backend": "eager",
                    "benchmark": {"mean_time_ms": 3.81, "metadata": {"opset": 17}},
                },
                "a/b": {"backend": "a/b", "compilation": {"success": True, "compile_time_s": 0.1}},
            },
        }
    )
    assert rows(
        frame, "locator", "metric", "raw_metric", "value", "model", "backend", "success"
    ) == [
        ("/backends/eager", "mean_time_ms", "benchmark.mean_time_ms", 3.81, "conv", "eager", None),
        (
            "/backends/a~1b",
            "compile_time_ms",
            "compilation.compile_time_s",
            100.0,
            "conv",
            "a/b",
            True,
        ),
    ]


def test_an_object_of_objects_is_a_collection_whose_member_names_are_configs() -> None:
    frame = parse_json_value({"baseline": {"accuracy": 0.75}, "qat": {"accuracy": 0.375}})
    assert rows(frame, "locator", "metric", "value", "config") == [
        ("/baseline", "accuracy", 0.75, "baseline"),
        ("/qat", "accuracy", 0.375, "qat"),
    ]


def test_nested_leaves_are_named_by_their_path_and_booleans_are_never_metrics() -> None:
    frame = parse_json_value({"timing": {"p50_ms": 1.5, "ok": False}, "ci": [1.0, 2.0]})
    assert rows(frame, "locator", "metric", "raw_metric", "unit") == [
        ("/", "timing_p50_ms", "timing.p50_ms", "ms"),
        ("/", "ci_0", "ci.0", None),
        ("/", "ci_1", "ci.1", None),
    ]


def test_options_objects_and_error_text_are_dimensions() -> None:
    frame = parse_json_value(
        {
            "models": [
                {
                    "model": "llama3.1:8b-instruct-q4_0",
                    "options": {"temperature": 0.3, "top_p": 0.9},
                    "completed": 0,
                },
            ],
            "results": [
                {
                    "success": True,
                    "banter_text": "Error generating banter: refused",
                    "tokens_per_second": 1.02,
                },
                {"success": False, "error": "'charmap' codec can't encode"},
            ],
        }
    )
    models = frame.filter(pl.col("locator") == "/models/0")
    assert rows(models, "metric", "value", "temperature", "top_p", "quant") == [
        ("completed", 0.0, 0.3, 0.9, "q4_0")
    ]
    results = frame.filter(pl.col("locator").str.starts_with("/results"))
    assert rows(results, "locator", "metric", "value", "success", "error") == [
        ("/results/0", "throughput_tok_s", 1.02, True, "Error generating banter: refused"),
        ("/results/1", "error", None, False, "'charmap' codec can't encode"),
    ]


def test_a_gpu_temperature_is_a_measurement_not_a_sampling_option() -> None:
    frame = parse_json_value({"gpu": [{"gpu_id": 0, "temperature": 48, "timestamp": 1759275970.6}]})
    assert rows(frame, "locator", "metric", "value", "temperature", "timestamp") == [
        ("/gpu/0", "temperature", 48.0, None, "2025-09-30T23:46:10.600000+00:00")
    ]


def test_a_utf8_bom_is_accepted() -> None:
    frame = parse_json_value({"tokens_s": 5}, bom=True)
    assert rows(frame, "metric", "value") == [("throughput_tok_s", 5.0)]


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ParseError, match=r"invalid JSON: line 2 column 1"):
        parse_file(b'{"a": 1,\n}', "json", "bad.json", "abc")


def test_a_config_object_gives_its_settings_and_a_summarys_keys_name_their_metrics() -> None:
    frame = parse_json_value(
        {
            "model": "llama3.1:8b",
            "config": {"num_ctx": 4096, "temperature": 0.7, "batch_size": 8},
            "results": [{"tokens_per_second": 50.1, "iteration": 1}],
            "summary": {"avg_tokens_per_second": 50.7, "p95_ttft_ms": 119},
        }
    )
    assert frame.select("num_ctx", "temperature", "batch_size").unique().rows() == [(4096, 0.7, 8)]
    assert rows(frame, "locator", "metric", "statistic", "value", "run_index") == [
        ("/", "throughput_tok_s", "mean", 50.7, None),
        ("/", "ttft_ms", "p95", 119.0, None),
        ("/results/0", "throughput_tok_s", None, 50.1, 1),
    ]


def test_a_model_objects_device_is_the_hardware_its_timings_ran_on() -> None:
    # PyTorch compile benchmarks: the same backends timed on the CPU and on CUDA, in two files
    # that differ only in the model object's "device" (they were one series in the history).
    frame = parse_json_value(
        {
            "model": {"name": "conv", "device": "cuda", "batch_size": 4},
            "backends": {"eager": {"benchmark": {"backend": "eager", "mean_time_ms": 0.15}}},
        }
    )
    assert rows(frame, "model", "hardware", "batch_size", "value") == [("conv", "cuda", 4, 0.15)]


def test_a_backend_on_onnx_runtime_s_cpu_provider_ran_on_the_cpu_not_the_model_s_device() -> None:
    # In a "cuda" compile benchmark the ONNX backend's session ran on CPUExecutionProvider:
    # its timings are the CPU's, not to be set beside the CUDA backends' as CUDA ones.
    frame = parse_json_value(
        {
            "model": {"name": "mlp", "device": "cuda"},
            "backends": {
                "eager": {"benchmark": {"backend": "eager", "mean_time_ms": 0.24}},
                "onnx": {
                    "backend": "onnx",
                    "compilation": {"metadata": {"providers": ["CPUExecutionProvider"]}},
                    "benchmark": {"backend": "onnx", "mean_time_ms": 0.047},
                },
                "trt": {
                    "backend": "trt",
                    "compilation": {
                        "metadata": {
                            "providers": ["TensorrtExecutionProvider", "CPUExecutionProvider"]
                        }
                    },
                    "benchmark": {"backend": "trt", "mean_time_ms": 0.4},
                },
            },
        }
    )
    assert rows(frame, "backend", "hardware", "value") == [
        ("eager", "cuda", 0.24),
        ("onnx", "cpu", 0.047),
        ("trt", "cuda", 0.4),
    ]


def test_execution_providers_beside_a_device_win_and_an_api_s_providers_are_no_hardware() -> None:
    frame = parse_json_value(
        {
            "runs": [
                {"device": "cuda", "providers": ["DnnlExecutionProvider"], "mean_time_ms": 0.5},
                {"device": "cuda", "providers": "together", "mean_time_ms": 0.2},
            ]
        }
    )
    assert rows(frame, "hardware", "value") == [("cpu", 0.5), ("cuda", 0.2)]


def test_a_metrics_object_of_statistics_gives_each_metric_its_statistics() -> None:
    # {"ttft_ms": {"p50": 120, "p90": 180}} is one record's TTFT at two percentiles, not records
    # named "ttft_ms" measuring a metric "p50" (as the object of objects it is was read).
    frame = parse_json_value(
        {
            "results": [
                {
                    "config": {"model": "qwen2.5:7b", "num_ctx": 4096},
                    "metrics": {
                        "ttft_ms": {"p50": 120, "p90": 180},
                        "tokens_per_second": {"mean": 71.2},
                    },
                }
            ]
        }
    )
    assert rows(frame, "metric", "statistic", "value", "model", "num_ctx", "config") == [
        ("ttft_ms", "p50", 120.0, "qwen2.5:7b", 4096, None),
        ("ttft_ms", "p90", 180.0, "qwen2.5:7b", 4096, None),
        ("throughput_tok_s", "mean", 71.2, "qwen2.5:7b", 4096, None),
    ]
