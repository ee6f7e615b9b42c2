"""Dimensions decoded from names and values: configs, options, models, flags and timestamps."""

from __future__ import annotations

import pytest

from tasks.parse import dimensions as dim
from tasks.schemas import DIMENSIONS


def test_dimension_names_are_the_dimensions_columns_in_order() -> None:
    assert tuple(DIMENSIONS.names()) == dim.DIMENSION_NAMES


def test_config_labels_decode_into_their_options() -> None:
    assert dim.decode_config("g999_c4096_t0.4") == {
        "num_gpu": 999,
        "num_ctx": 4096,
        "temperature": 0.4,
    }
    assert dim.decode_config("`gpu=60, ctx=512, temp=0.8`") == {
        "num_gpu": 60,
        "num_ctx": 512,
        "temperature": 0.8,
    }
    assert dim.decode_config("baseline") == {}
    assert dim.decode_config("g999_baseline") == {}


def test_complete_dimensions_fills_from_config_and_model_without_overwriting() -> None:
    dims = {"config": "g80_c2048_t0.8", "num_gpu": 81, "model": "llama3.1:8b-instruct-q5_K_M"}
    assert dim.complete_dimensions(dims) == {
        "config": "g80_c2048_t0.8",
        "num_gpu": 81,
        "num_ctx": 2048,
        "temperature": 0.8,
        "model": "llama3.1:8b-instruct-q5_K_M",
        "quant": "q5_K_M",
    }
    assert "quant" not in dim.complete_dimensions({"model": "gemma3:latest"})


def test_options_cell_decodes_into_columns() -> None:
    assert dim.decode_options('{"temperature":0.3,"top_p":0.9,"seed":7}') == {
        "temperature": 0.3,
        "top_p": 0.9,
    }
    assert dim.decode_options({"num_ctx": 2048, "top_k": 40}) == {"num_ctx": 2048, "top_k": 40}
    assert dim.decode_options("not json") == {}


@pytest.mark.parametrize(
    ("raw", "model"),
    [
        ("llama3.1:8b-instruct-q4_0", "llama3.1:8b-instruct-q4_0"),
        ("**Gemma3:270m**", "gemma3:270m"),
        ("gemma3:latest (4.3B params, Q4_K_M quantization)", "gemma3:latest"),
        ({"name": "conv", "device": "cpu"}, "conv"),
        ("`mlp`", "mlp"),
        ("", None),
    ],
)
def test_decode_model(raw: object, model: str | None) -> None:
    assert dim.decode_dimension("model", raw) == model


def test_model_references_in_headings() -> None:
    assert dim.model_refs("Gemma3:270m - Ultra-Compact Model") == ["gemma3:270m"]
    assert dim.model_refs("served on http://localhost:11434 at 21:08:57") == []


@pytest.mark.parametrize(
    ("raw", "flag"),
    [(True, True), ("TRUE", True), ("yes", True), ("no", False), (False, False), ("maybe", None)],
)
def test_decode_success(raw: object, flag: bool | None) -> None:
    assert dim.decode_dimension("success", raw) is flag


def test_numbers_are_checked_for_what_the_dimension_can_be() -> None:
    assert dim.decode_dimension("num_gpu", "40.00") == 40
    assert dim.decode_dimension("num_gpu", "40 layers") == 40
    assert dim.decode_dimension("num_ctx", "1024.5") is None
    assert dim.decode_dimension("temperature", 0.4) == 0.4
    # A GPU's 48 degrees is not a sampling temperature.
    assert dim.decode_dimension("temperature", 48) is None
    assert dim.decode_dimension("top_p", 1.5) is None


def test_timestamps_stay_as_written_and_epochs_become_iso() -> None:
    assert dim.decode_dimension("timestamp", "2025-10-02T19:12:04.495331+00:00") == (
        "2025-10-02T19:12:04.495331+00:00"
    )
    assert dim.decode_dimension("timestamp", 1759181417) == "2025-09-29T21:30:17+00:00"
    assert dim.decode_dimension("timestamp", 1759181417000) == "2025-09-29T21:30:17+00:00"
    assert dim.decode_dimension("timestamp", 42) is None


def test_errors() -> None:
    assert dim.decode_dimension("error", "timed out") == "timed out"
    assert dim.decode_dimension("error", "") is None
    assert dim.decode_dimension("error", "0") is None
    assert dim.error_in_output("Error generating banter: All connection attempts failed") == (
        "Error generating banter: All connection attempts failed"
    )
    assert dim.error_in_output("Whoa, did you see that?!") is None
    assert dim.error_in_note("error=torch_tensorrt is not installed") == (
        "torch_tensorrt is not installed"
    )
    assert dim.error_in_note("**Failed:** Triton missing") == "Failed: Triton missing"
    assert dim.error_in_note("Baseline CUDA forward") is None


@pytest.mark.parametrize(
    ("name", "dimension"),
    [
        ("config_name", "config"),
        ("Model Tag", "model"),
        ("num_gpu", "num_gpu"),
        ("temp", "temperature"),
        ("test_datetime", "timestamp"),
        ("options", "options"),
        ("tokens_s", None),
    ],
)
def test_dimension_for_name(name: str, dimension: str | None) -> None:
    assert dim.dimension_for_name(name) == dimension


def test_markdown_words_name_dimensions_only_in_markdown() -> None:
    assert dim.dimension_for_name("Context", markdown=True) == "num_ctx"
    assert dim.dimension_for_name("GPU Layers", markdown=True) == "num_gpu"
    assert dim.dimension_for_name("Context") is None
    assert dim.is_identifier_name("Context")
    assert dim.is_identifier_name("gpu_id")
    assert dim.is_timestamp_name("create_time")
    assert not dim.is_timestamp_name("compile_time_s")


@pytest.mark.parametrize(
    ("raw", "hardware"),
    [
        # one card, as nvidia-smi, a report and a shorter report write it
        ("NVIDIA GeForce RTX 4080 Laptop GPU", "RTX 4080 Laptop"),
        ("NVIDIA RTX 4080 Laptop", "RTX 4080 Laptop"),
        ("NVIDIA GeForce RTX 4080", "RTX 4080"),  # the desktop card is another
        ("AMD Radeon RX 7900 XTX", "RX 7900 XTX"),
        ("NVIDIA GeForce RTX 4070 Ti SUPER", "RTX 4070 Ti SUPER"),
        ("NVIDIA A100-SXM4-80GB", "A100 SXM4-80GB"),  # what follows the name stays
        ("AMD Instinct MI300X", "MI300X"),
        # other hardware, and more than a GPU's name, as written
        ("Intel(R) Core(TM) i9-13900K", "Intel(R) Core(TM) i9-13900K"),
        ("8x H100", "8x H100"),
        ("Apple M2 Max", "Apple M2 Max"),
    ],
)
def test_hardware_names_one_gpu_one_way(raw: str, hardware: str) -> None:
    assert dim.decode_dimension("hardware", raw) == hardware


def test_a_device_index_is_no_hardware() -> None:
    assert dim.decode_dimension("hardware", 0) is None
    assert dim.decode_dimension("hardware", "1") is None
