"""Markdown reports -> metric rows: tables (also glued ones), metric lines and dimensions."""

from __future__ import annotations

import polars as pl

from tasks.parse import parse_file


def parse_markdown_text(text: str) -> pl.DataFrame:
    return parse_file(text.encode(), "markdown", "report.md", "abc")


def rows(frame: pl.DataFrame, *columns: str) -> list[tuple]:
    return frame.select(*columns).rows()


def test_table_rows_with_config_labels_and_written_values() -> None:
    frame = parse_markdown_text(
        "# Report\n\n"
        "| Prompt | TTFT (s) | Tokens/s | Response Chars |\n"
        "| --- | --- | --- | --- |\n"
        "| Mission failure | 0.344 | 102.34 | 3,503 |\n\n"
        "| Config | num_gpu | num_ctx | temp | Tokens/s |\n"
        "|--------|---------|---------|------|----------|\n"
        "| g999_c4096_t0.4 | 999 | 4096 | 0.4 | **102.31 tok/s** |\n"
    )
    assert rows(frame, "locator", "metric", "value", "unit", "config", "num_gpu") == [
        ("table 1 row 1", "ttft_ms", 344.0, "ms", None, None),
        ("table 1 row 1", "throughput_tok_s", 102.34, "tok/s", None, None),
        ("table 1 row 1", "response_chars", 3503.0, "chars", None, None),
        ("table 2 row 1", "throughput_tok_s", 102.31, "tok/s", "g999_c4096_t0.4", 999),
    ]
    assert frame.filter(pl.col("locator") == "table 2 row 1").select("num_ctx", "temperature").row(
        0
    ) == (4096, 0.4)


def test_header_glued_to_the_previous_line_and_heading_glued_after_a_row() -> None:
    frame = parse_markdown_text(
        "- Model: conv\n"
        "- DType: torch.float32 | Backend | Success | Mean (ms) | Notes |\n"
        "| --- | --- | --- | --- |\n"
        "| eager | yes | 3.812 | |\n"
        "| torch_compile | no | 0.000 | error=Cannot find a working triton installation. |"
        " ## Next Steps\n"
        "- Tokens/s: 78.42\n"
    )
    assert rows(frame, "locator", "metric", "value", "model", "backend", "success", "error") == [
        ("table 1 row 1", "mean_time_ms", 3.812, "conv", "eager", True, None),
        (
            "table 1 row 2",
            "mean_time_ms",
            0.0,
            "conv",
            "torch_compile",
            False,
            "Cannot find a working triton installation.",
        ),
        ("line 6", "throughput_tok_s", 78.42, "conv", None, None, None),
    ]


def test_empty_dimension_cells_repeat_the_row_above_and_rows_may_lack_the_last_pipe() -> None:
    frame = parse_markdown_text(
        "| Model | Backend | Mean Latency (ms) |\n"
        "| ----- | ------- | ----------------- |\n"
        "| `mlp` | eager | 0.493 |\n"
        "| | jit | 0.635 ### CPU\n"
        "- Loss: 0.6085\n"
    )
    assert rows(frame, "locator", "model", "backend", "value") == [
        ("table 1 row 1", "mlp", "eager", 0.493),
        ("table 1 row 2", "mlp", "jit", 0.635),
        ("line 5", None, None, 0.6085),
    ]


def test_metric_lines_and_section_dimensions() -> None:
    frame = parse_markdown_text(
        "## Baseline (llama3.1:8b-instruct-q4_0)\n"
        "- Mean generation time across banter scenarios: 5.15 s\n"
        "- **Mean TTFT (Time to First Token):** 0.165 seconds (excluding cold start)\n"
        "- **Blazing Fast:** 304 tokens/s peak throughput\n"
        "- Goal: establish a baseline for 2025\n"
        "- Model Size Bytes: 2781 ## Other section\n"
        "- **Temperature:** 0.3, Top_p: 0.9\n"
        "- Tokens per second: 7.90\n"
    )
    assert rows(frame, "locator", "metric", "value", "unit", "model", "temperature", "top_p") == [
        (
            "line 2",
            "mean_generation_time_across_banter_scenarios",
            5.15,
            "s",
            "llama3.1:8b-instruct-q4_0",
            None,
            None,
        ),
        ("line 3", "ttft_ms", 165.0, "ms", "llama3.1:8b-instruct-q4_0", None, None),
        ("line 6", "model_size_bytes", 2781.0, "B", "llama3.1:8b-instruct-q4_0", None, None),
        ("line 8", "throughput_tok_s", 7.9, "tok/s", None, 0.3, 0.9),
    ]


def test_metric_tables_with_model_and_delta_columns() -> None:
    frame = parse_markdown_text(
        "| Metric | Gemma3:latest | Llama3.1:8b-q4_0 | Delta |\n"
        "| --- | --- | --- | --- |\n"
        "| Mean Throughput | 102.85 tokens/s | 76.59 tokens/s | **+34% faster** |\n"
        "| GPU Memory Usage | 5.3 GB | ~6-7 GB (estimated) | **Lower footprint** |\n"
    )
    assert rows(frame, "locator", "metric", "value", "unit", "model", "config") == [
        ("table 1 row 1", "throughput_tok_s", 102.85, "tok/s", "gemma3:latest", None),
        ("table 1 row 1", "throughput_tok_s", 76.59, "tok/s", "llama3.1:8b-q4_0", None),
        ("table 1 row 1", "mean_throughput", 34.0, "%", None, "Delta"),
        ("table 1 row 2", "gpu_memory_usage", 5.3, "GB", "gemma3:latest", None),
    ]


def test_two_column_metric_tables_apply_their_dimension_rows_to_the_table() -> None:
    frame = parse_markdown_text(
        "| Metric | Value |\n|--------|-------|\n"
        "| **Mean Throughput** | 102.85 tokens/s |\n| **Model** | gemma3:latest |\n"
    )
    assert rows(frame, "locator", "metric", "value", "model") == [
        ("table 1 row 1", "throughput_tok_s", 102.85, "gemma3:latest")
    ]


def test_code_blocks_are_not_read_and_generated_dates_are_timestamps() -> None:
    frame = parse_markdown_text(
        "# Report - Generated: 2025-10-02T21:08:57+00:00\n"
        "```\n- Memory Used: 4846 MiB\n| a | b |\n|---|---|\n| 1 | 2 |\n```\n"
        "- RAM: 16002 MB\n"
    )
    assert rows(frame, "locator", "metric", "value", "timestamp") == [
        ("line 8", "ram", 16002.0, "2025-10-02T21:08:57+00:00")
    ]


def test_a_failed_table_row_without_values_keeps_its_error() -> None:
    frame = parse_markdown_text(
        "| Backend | Mean Latency (ms) | Notes |\n| --- | --- | --- |\n"
        "| torch_compile | - | **Failed:** Triton missing |\n"
    )
    assert rows(frame, "locator", "metric", "value", "backend", "error") == [
        ("table 1 row 1", "error", None, "torch_compile", "Failed: Triton missing")
    ]


def test_prose_without_numbers_gives_no_rows() -> None:
    frame = parse_markdown_text("# Notes\n\nSome text.\n- Goal: nothing measured\n")
    assert frame.is_empty()


def test_a_plain_model_line_names_the_model_of_its_section() -> None:
    text = b"# Run\n\nModel: qwen2.5:7b\nBackend: ollama\n\n- Tokens/s: 41.5\n"
    frame = parse_file(text, "markdown", "r.md", "s")
    row = frame.row(0, named=True)
    assert (row["model"], row["backend"], row["value"]) == ("qwen2.5:7b", "ollama", 41.5)


def test_a_gpu_named_by_its_model_is_the_hardware_and_by_a_number_the_layers() -> None:
    frame = parse_markdown_text(
        "GPU: RTX 4090\n\n"
        "| Model | GPU | Tokens/s |\n|---|---|---|\n"
        "| llama3.1:8b | 99 | 85.2 |\n| llama3.1:8b | A100 80GB | 61.0 |\n"
    )
    assert rows(frame, "value", "num_gpu", "hardware") == [
        (85.2, 99, "RTX 4090"),
        (61.0, None, "A100 80GB"),
    ]


def test_a_heading_naming_a_gpu_gives_its_section_the_hardware() -> None:
    frame = parse_markdown_text(
        "# Results on an NVIDIA GeForce RTX 3090\n\n"
        "| Model | Tokens/s |\n|---|---|\n| llama3.1:8b | 98.2 |\n\n"
        "# Results on the laptop\n\n- Tokens/s: 41.5\n"
    )
    assert rows(frame, "value", "hardware") == [(98.2, "RTX 3090"), (41.5, None)]


def test_a_table_whose_columns_are_models_gives_each_model_its_values() -> None:
    # What the columns measure is in the heading, or in the header beside the model's name.
    frame = parse_markdown_text(
        "## Throughput (tok/s) by model\n\n"
        "| Context | llama3.1:8b | qwen2.5:7b |\n|---|---|---|\n"
        "| 2048 | 75.1 | 84.8 |\n| 4096 | 73.9 | 83.0 |\n\n"
        "## TTFT\n\n| Batch | gemma3:4b ms | gemma3:12b ms |\n|---|---|---|\n| 8 | 91 | 140 |\n"
    )
    assert rows(frame, "metric", "model", "num_ctx", "batch_size", "value") == [
        ("throughput_tok_s", "llama3.1:8b", 2048, None, 75.1),
        ("throughput_tok_s", "qwen2.5:7b", 2048, None, 84.8),
        ("throughput_tok_s", "llama3.1:8b", 4096, None, 73.9),
        ("throughput_tok_s", "qwen2.5:7b", 4096, None, 83.0),
        ("ttft_ms", "gemma3:4b", None, 8, 91.0),
        ("ttft_ms", "gemma3:12b", None, 8, 140.0),
    ]


def test_model_columns_under_a_heading_that_names_no_metric_stay_as_written() -> None:
    frame = parse_markdown_text(
        "## Results\n\n"
        "| Context | llama3.1:8b | qwen2.5:7b |\n|---|---|---|\n| 2048 | 75.1 | 84.8 |\n"
    )
    assert rows(frame, "raw_metric", "model") == [("llama3.1:8b", None), ("qwen2.5:7b", None)]
