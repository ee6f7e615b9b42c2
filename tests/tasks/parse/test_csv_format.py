"""CSV files -> metric rows: header, units row, quoted numbers, blanks, errors and options."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from tasks.parse import ParseError, parse_file
from tasks.schemas import PARSED_METRICS, conform


def parse_csv_text(text: str) -> pl.DataFrame:
    return parse_file(text.encode(), "csv", "runs.csv", "abc")


def test_rows_become_records_and_numeric_cells_metrics() -> None:
    frame = parse_csv_text(
        "timestamp,model,prompt_index,prompt_text,ttft_s,tokens_s,eval_count\n"
        '2025-10-02T19:18:24+00:00,llama3.1:8b-instruct-q4_0,1,Say 42,"2.5",76.91,374\n'
    )
    dims = {
        "model": "llama3.1:8b-instruct-q4_0",
        "quant": "q4_0",
        "prompt_index": 1,
        "timestamp": "2025-10-02T19:18:24+00:00",
    }
    expected = conform(
        pl.DataFrame(
            {
                "source_path": ["runs.csv"] * 3,
                "sha256": ["abc"] * 3,
                "format": ["csv"] * 3,
                "locator": ["row 1"] * 3,
                "metric": ["ttft_ms", "throughput_tok_s", "eval_count"],
                "raw_metric": ["ttft_s", "tokens_s", "eval_count"],
                "value": [2500.0, 76.91, 374.0],
                "unit": ["ms", "tok/s", "tokens"],
                # half a unit of the last digit written: "2.5" s, "76.91", "374"
                "resolution": [50.0, 0.005, 0.5],
                **{name: [value] * 3 for name, value in dims.items()},
            }
        ),
        PARSED_METRICS,
    )
    assert_frame_equal(frame, expected)


def test_error_and_options_columns_become_dimensions() -> None:
    frame = parse_csv_text(
        "model,tokens_s,error,options\n"
        'gemma3:latest,0.00,"Failed to connect, retry","{""temperature"":0.3,""top_p"":0.9}"\n'
        'gemma3:latest,101.5,,"{""temperature"":0.3,""top_p"":0.9}"\n'
    )
    assert frame.select("locator", "value", "error", "temperature", "top_p").rows() == [
        ("row 1", 0.0, "Failed to connect, retry", 0.3, 0.9),
        ("row 2", 101.5, None, 0.3, 0.9),
    ]


def test_settings_as_other_tools_name_them_are_dimensions_not_measurements() -> None:
    # llama.cpp's flags, vLLM's lengths, Ollama's num_predict and a run counter are how the run
    # was set up; a run's counted output tokens are measured.
    frame = parse_csv_text(
        "model,ngl,ctx_size,input_len,num_predict,run,tokens_per_sec,output_tokens\n"
        "llama3.1:8b,99,4096,512,128,2,85.2,127\n"
    )
    assert frame["metric"].cast(pl.Utf8).to_list() == ["throughput_tok_s", "output_tokens"]
    assert frame.select(
        "num_gpu", "num_ctx", "input_tokens", "output_tokens", "run_index"
    ).unique().rows() == [(99, 4096, 512, 128, 2)]


def test_blank_metric_cells_are_skipped_and_a_failed_record_keeps_its_error() -> None:
    frame = parse_csv_text(
        "num_gpu,num_ctx,temperature,config_name,ttft_s,tokens_s,error\n"
        "60,1024,0.2,g60_c1024_t0.2,,,timed out\n"
        "60,1024,0.8,g60_c1024_t0.8,0.159,212.7,\n"
    )
    failed = frame.filter(pl.col("locator") == "row 1")
    assert failed.select("metric", "value", "error", "config", "num_gpu").rows() == [
        ("error", None, "timed out", "g60_c1024_t0.2", 60)
    ]
    assert frame.filter(pl.col("locator") == "row 2")["metric"].to_list() == [
        "ttft_ms",
        "throughput_tok_s",
    ]


def test_config_name_is_decoded_when_no_option_columns_exist() -> None:
    frame = parse_csv_text("config_name,mean_tokens_s\ng999_c4096_t0.4,102.31\n")
    assert frame.select("config", "num_gpu", "num_ctx", "temperature", "value").row(0) == (
        "g999_c4096_t0.4",
        999,
        4096,
        0.4,
        102.31,
    )


def test_units_row_under_the_header_gives_units_and_is_not_a_record() -> None:
    frame = parse_csv_text(
        '"ID","Kernel Name","gpu__time_duration.sum","launch__grid_size","Block Size"\n'
        '"","","us","",""\n'
        '"0","void k<1>(int)","9.408000","1,296","(128, 1, 1)"\n'
    )
    assert frame.select("locator", "metric", "value", "unit").rows() == [
        ("row 1", "gpu_time_duration_sum", 9.408, "us"),
        ("row 1", "launch_grid_size", 1296.0, None),
    ]


def test_preamble_lines_before_the_header_are_skipped() -> None:
    frame = parse_csv_text("==PROF== Connected to process\nmodel,tokens_s\nm:q4_0,5\n")
    assert frame.select("model", "value").rows() == [("m:q4_0", 5.0)]


def test_free_text_and_success_columns_are_not_metrics() -> None:
    frame = parse_csv_text(
        "Test Name,Context,Tokens per Second,Success\nLevel Up (Motivational),level_up,13.85,TRUE\n"
    )
    assert frame.select("metric", "value", "success").rows() == [("throughput_tok_s", 13.85, True)]


def test_a_table_without_a_header_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no header row"):
        parse_csv_text("1,2,3\n4,5,6\n")


def test_a_value_that_is_no_valid_dimension_is_measured_under_its_column() -> None:
    # A GPU log's "temperature" of 48 is degrees, not a sampling temperature.
    frame = parse_csv_text("gpu_id,temperature,power_draw\n0,48,2.021\n")
    assert sorted(frame.select("metric", "raw_metric", "value", "temperature").rows()) == [
        ("power_draw", "power_draw", 2.021, None),
        ("temperature", "temperature", 48.0, None),
    ]


def test_a_rows_first_valid_dimension_value_counts_and_later_columns_fill_gaps() -> None:
    frame = parse_csv_text(
        "model,model_name,num_gpu,config_name,tokens_s\n"
        "llama3:8b-q4_0,gemma3:270m,,g999_c4096_t0.4,10\n"
        ",gemma3:270m,40,g999_c2048_t0.2,20\n"
    )
    assert frame.select("model", "quant", "num_gpu", "num_ctx", "temperature").rows() == [
        ("llama3:8b-q4_0", "q4_0", 999, 4096, 0.4),
        ("gemma3:270m", None, 40, 2048, 0.2),
    ]


def test_an_error_in_the_output_text_flags_only_its_row() -> None:
    frame = parse_csv_text(
        "model,response,tokens_s\n"
        'm:q4_0,"Error generating banter: model not found",\n'
        "m:q4_0,Level up!,12.5\n"
    )
    assert frame.select("locator", "metric", "value", "error").rows() == [
        ("row 1", "error", None, "Error generating banter: model not found"),
        ("row 2", "throughput_tok_s", 12.5, None),
    ]


def test_only_the_rows_whose_dimension_cell_is_no_valid_value_measure_it() -> None:
    frame = parse_csv_text("temperature,tokens_s\n0.7,10\n48,20\n")
    assert frame.select("locator", "metric", "value", "temperature").rows() == [
        ("row 1", "throughput_tok_s", 10.0, 0.7),
        ("row 2", "throughput_tok_s", 20.0, None),
        ("row 2", "temperature", 48.0, None),
    ]


def test_columns_that_name_a_model_give_that_model_its_values() -> None:
    text = (
        "num_ctx,llama3.1:8b-q4_0 tok/s,qwen2.5:7b tok/s,notes\n"
        "2048,75.1,84.8,warm\n4096,73.9,,warm\n"
    )
    frame = parse_file(text.encode(), "csv", "pivot.csv", "abc")
    assert frame.select("locator", "metric", "model", "quant", "num_ctx", "value").rows() == [
        ("row 1", "throughput_tok_s", "llama3.1:8b-q4_0", "q4_0", 2048, 75.1),
        ("row 1", "throughput_tok_s", "qwen2.5:7b", None, 2048, 84.8),
        ("row 2", "throughput_tok_s", "llama3.1:8b-q4_0", "q4_0", 4096, 73.9),
    ]


def test_a_device_index_column_is_neither_hardware_nor_a_measurement() -> None:
    frame = parse_csv_text("device,kernel_ms\n0,1.25\n1,1.5\n")
    assert frame.select("metric", "hardware", "value").rows() == [
        ("kernel_ms", None, 1.25),
        ("kernel_ms", None, 1.5),
    ]
