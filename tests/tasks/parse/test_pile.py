"""What the pile's values are: model identity, dimensions in paths, roles, and copies linked
to the measurement they repeat, so each measurement counts once."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from flows.ingest import ingest
from tasks.facts.evidence import analysable
from tasks.parse.identity import model_identity, model_in_path
from tasks.parse.paths import model_named_by_folders
from tasks.schemas import PARSED_METRICS

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "chimeraforge"


@pytest.mark.parametrize(
    ("names", "model_id"),
    [
        (["llama3.1:8b-q4_0", "llama3.1:8b-instruct-q4_0"], "llama3.1:8b-instruct-q4_0"),
        (["gemma3:1b-qat", "gemma3:1b-it-qat"], "gemma3:1b-instruct-qat"),
        (["Qwen/Qwen2.5-1.5B-Instruct", "qwen2.5:1.5b"], "qwen2.5:1.5b-instruct"),
        (["gpt-oss-20b-mxfp4.gguf"], "gpt-oss:20b-mxfp4"),
        (["llama-2-7b.Q4_0", "llama 2 7B Q4_0"], "llama2:7b-q4_0"),
        # Hugging Face's GGUF file and repository names (llama.cpp's model_filename)
        (
            ["Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "llama3.1:8b-instruct-q4_K_M"],
            "llama3.1:8b-instruct-q4_k_m",
        ),
        (
            ["meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"],
            "llama3.1:8b-instruct",
        ),
        # Ollama's pull of a Hugging Face GGUF repository, hf.co/<user>/<repo>:<quant>
        (
            [
                "hf.co/bartowski/Llama-3.2-3B-Instruct-GGUF:Q4_K_M",
                "llama3.2:3b-instruct-q4_K_M",
                "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
            ],
            "llama3.2:3b-instruct-q4_k_m",
        ),
        (["hf.co/unsloth/Qwen3-8B-GGUF:Q4_K_XL", "Qwen3-8B-Q4_K_XL.gguf"], "qwen3:8b-q4_k_xl"),
        # llama.cpp's names of its quantizations (llama-bench's model_type)
        (["llama 8B Q4_K - Medium", "llama-8b-Q4_K_M.gguf"], "llama:8b-q4_k_m"),
        (["llama 8B IQ2_XXS - 2.0625 bpw", "llama-8b-IQ2_XXS.gguf"], "llama:8b-iq2_xxs"),
        # a mixture of experts' size in Hugging Face's spelling (it was family "mixtral8")
        (
            ["Mixtral-8x7B-Instruct", "mixtral:8x7b-instruct", "mixtral:8x7b"],
            "mixtral:8x7b-instruct",
        ),
        # a size word is part of the model's name, whichever way it is written
        (["phi4-mini", "phi4-mini:latest"], "phi4-mini:latest"),
        (["microsoft/Phi-4-mini-instruct", "phi4-mini-instruct"], "phi4-mini:instruct"),
        (["phi3:medium", "phi3-medium"], "phi3-medium:latest"),
        (
            ["Mistral-Small-3.1-24B-Instruct", "mistral-small3.1:24b"],
            "mistral-small3.1:24b-instruct",
        ),
        # Amazon Bedrock's ids write llama3.1 as llama3-1
        (["meta.llama3-1-8b-instruct-v1:0"], "llama3.1:8b-instruct-v1-0"),
    ],
)
def test_name_variants_of_one_model_have_one_identity(names: list[str], model_id: str) -> None:
    assert {model_identity(name).model_id for name in names} == {model_id}


@pytest.mark.parametrize(
    "names",
    [
        ["phi4-mini", "phi4"],  # 3.8b and 14b
        ["phi3:mini", "phi3:medium", "phi3"],
        ["mistral-small:24b", "mistral:24b", "mistral-large"],
        ["meta.llama3-1-8b-instruct-v1:0", "meta.llama3-8b-instruct-v1:0"],
    ],
)
def test_different_models_keep_different_identities(names: list[str]) -> None:
    families = [model_identity(name).family for name in names]
    assert len(set(families)) == len(names), families


def test_models_named_in_paths() -> None:
    assert model_in_path("x/gemma3/gemma3_270m_param_tuning.csv") == "gemma3:270m"
    assert model_in_path("x/gemma3_1b-it-qat_baseline.json") == "gemma3:1b-it-qat"
    assert model_in_path("x/results/run_3.csv") is None
    # A version's dot in a folder's name is no file extension: before, these were qwen2 and
    # llama3, other models.
    assert model_in_path("runs/qwen2.5-7b-instruct/run_1.json") == "qwen2.5:7b-instruct"
    assert model_in_path("results/llama3.1_8b/sweep.csv") == "llama3.1:8b"
    assert model_in_path("results/llama3.1/sweep.parquet") == "llama3.1"
    # A Hugging Face name with its organisation, as a folder: the model, not the organisation
    assert model_in_path("runs/Qwen_Qwen2.5-7B-Instruct/run_1.json") == "qwen2.5:7b-instruct"
    # A size word names another model: phi4-mini is no phi4, Mixtral's 8x7B no version "8"
    assert model_identity(model_in_path("sweeps/phi4-mini_sweep.csv")).family == "phi4-mini"
    assert model_in_path("runs/Mixtral-8x7B-Instruct/run.csv") == "mixtral:8x7b-instruct"
    # llama.cpp's tools name no model "llama"
    for folder in ("llama-bench", "llama.cpp", "llama-server", "llama_cpp_runs"):
        assert model_in_path(f"tools/{folder}/results.json") is None
    assert model_in_path("llama-bench/llama_7b_q4_0.json") == "llama:7b-q4_0"


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def pile(tmp_path: Path) -> Path:
    root = tmp_path / "bench"
    # A raw sweep that names its model only in the file name, its summary, and a report.
    _write(
        root,
        "gemma3_270m_sweep.csv",
        "num_gpu,num_ctx,tokens_s,ttft_s\n999,4096,303.89821,0.05358\n80,2048,301.45269,0.06\n",
    )
    _write(
        root,
        "gemma3_270m_sweep_summary.csv",
        "num_gpu,num_ctx,mean_tokens_s\n999,4096,303.89821\n80,2048,301.45269\n",
    )
    _write(
        root,
        "report.md",
        "# Gemma3:270m report\n\n| Config | num_gpu | Throughput (tok/s) |\n|---|---|---|\n"
        "| best | 999 | 303.9 |\n\n- Expected throughput: 350 tok/s\n- GPU utilisation: 85%\n",
    )
    _write(
        root,
        "ollama/20251008-122701/llama3.1_q4_0_runs.csv",
        "model,tokens_s\nllama3.1:q4_0,76.5\n",
    )
    _write(
        root, "ollama/20251008-122714/runs.csv", "model,tokens_s\nllama3.1:8b-instruct-q4_0,77.0\n"
    )
    return root


def test_a_measurement_counts_once_and_its_copies_link_to_it(pile: Path) -> None:
    result = ingest([pile], None, None)
    rows = result.parsed
    # The pile step's new columns too in the table's own types (categories: tasks.schemas)
    assert rows.schema == PARSED_METRICS
    raw = rows.filter(
        (pl.col("value") == 303.89821)
        & pl.col("source_path").cast(pl.Utf8).str.ends_with("sweep.csv")
    ).row(0, named=True)
    assert raw["role"] == "measurement" and raw["copy_of"] is None
    assert raw["model"] == "gemma3:270m" and raw["model_id"] == "gemma3:270m-instruct"
    copies = rows.filter(pl.col("copy_of") == f"{raw['source_path']} {raw['locator']}")
    assert sorted(copies["source_path"].cast(pl.Utf8).str.split("/").list.last()) == [
        "gemma3_270m_sweep_summary.csv",
        "report.md",
    ]
    assert set(copies["role"]) == {"copy"}
    roles = dict(rows.select("raw_metric", "role").iter_rows())
    assert roles["Expected throughput"] == "target"
    assert roles["GPU utilisation"] == "narrative"
    counted = analysable(rows.with_columns(status=pl.lit("passed")))
    best = counted.filter((pl.col("metric") == "throughput_tok_s") & (pl.col("value") > 303))
    assert best.height == 1


def test_identity_and_time_come_from_the_pile_and_the_paths(pile: Path) -> None:
    result = ingest([pile], None, None)
    llama = result.parsed.filter(pl.col("model").cast(pl.Utf8).str.starts_with("llama3.1"))
    assert set(llama["model_id"]) == {"llama3.1:8b-instruct-q4_0"}
    assert set(llama["model"]) == {"llama3.1:q4_0", "llama3.1:8b-instruct-q4_0"}  # as written
    files = result.files.filter(pl.col("relative_path").str.contains("20251008"))
    assert sorted(files["data_time_max"]) == ["2025-10-08T12:27:01", "2025-10-08T12:27:14"]
    summary = result.files.filter(pl.col("relative_path").str.ends_with("summary.csv"))
    assert summary["role"][0] == "copy" and summary["role_evidence"][0].startswith("2 of 2")


@pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus/chimeraforge is not beside the repo"
)
def test_the_real_corpus_knows_what_was_measured() -> None:
    result = ingest([CORPUS], None, None)
    rows, files = result.parsed, result.files
    perf = rows.filter(pl.col("metric").is_in(["throughput_tok_s", "ttft_ms"]))
    # Every sweep row names its model, found in its file name when its content does not.
    sweeps = perf.filter(pl.col("source_path").cast(pl.Utf8).str.contains("param_tuning"))
    assert sweeps["model"].null_count() == 0
    llama = rows.filter(pl.col("model").cast(pl.Utf8).str.starts_with("llama3.1:"))
    identities = llama.group_by("quant").agg(pl.col("model_id").n_unique())
    assert set(identities["model_id"]) == {1}  # q4_0, q5_K_M, q8_0: one identity each
    # 303.89821 tok/s is one measurement; its summary and report copies link to it.
    value = rows.filter((pl.col("value") - 303.89821).abs() < 0.01)
    primary = value.filter(pl.col("copy_of").is_null() & (pl.col("metric") == "throughput_tok_s"))
    assert primary["source_path"].to_list() == [
        "chimeraforge/outputs/reports/gemma3/gemma3_270m_param_tuning.csv"
    ]
    assert files["data_time_max"].max().startswith("2025-10-09")


def test_dimensions_in_paths_fill_what_rows_do_not_say(tmp_path: Path) -> None:
    root = tmp_path / "sweeps"
    _write(
        root,
        "ollama/ctx2048_temp08/run_3/qwen2.5-7b_results.csv",
        "tokens_s,target_tok_s\n41.5,45\n",
    )
    result = ingest([root], None, None)
    rows = {row["metric"]: row for row in result.parsed.iter_rows(named=True)}
    measured = rows["throughput_tok_s"]
    assert (measured["num_ctx"], measured["temperature"], measured["run_index"]) == (2048, 0.8, 3)
    assert measured["runtime"] == "ollama" and measured["model_id"] == "qwen2.5:7b-instruct"
    assert rows["target_tok_s"]["role"] == "target"  # a data file's planned value


def test_a_nearer_name_wins_and_an_outer_folder_still_says_what_nearer_ones_do_not(
    tmp_path: Path,
) -> None:
    root = tmp_path / "sweeps"
    _write(
        root,
        "ollama/20251002-151204/vllm/ctx512/run_2/ctx1024_results.csv",
        "tokens_s\n41.5\n",
    )
    measured = ingest([root], None, None).parsed.row(0, named=True)
    assert measured["runtime"] == "vllm"  # the nearer folder, not the outer "ollama"
    assert measured["num_ctx"] == 1024  # the file's own name before any folder's
    assert measured["run_index"] == 2
    assert measured["timestamp"].startswith("2025-10-02T15:12:04")  # the run's folder


def test_a_serving_files_own_concurrency_wins_over_its_folders() -> None:
    from tasks.parse.paths import path_dimensions

    assert path_dimensions("conc4/bench_c16.json", "vllm")["concurrency"] == 16
    assert path_dimensions("concurrency-100/c2.json", "guidellm json")["concurrency"] == 2
    assert path_dimensions("concurrency-100/c2.json", "generic json")["concurrency"] == 100
    # a sweep's folders per concurrency, and threads as a folder names them
    assert path_dimensions("sweep/c8/benchmarks.json", "guidellm json")["concurrency"] == 8
    assert "concurrency" not in path_dimensions("sweep/c8/runs.csv", "generic csv")
    assert path_dimensions("cpu/threads8/bench.csv", "generic csv")["threads"] == 8


def test_a_gpu_named_in_a_path_is_the_hardware_of_rows_that_name_none(tmp_path: Path) -> None:
    from tasks.parse.paths import path_dimensions

    assert path_dimensions("bench/rtx4090/llama3_8b.csv", None)["hardware"] == "RTX 4090"
    assert path_dimensions("rx7900xtx-vulkan__bench.txt", None)["hardware"] == "RX 7900 XTX"
    assert "hardware" not in path_dimensions("runs/h264/gpu80.csv", None)  # no GPU's name
    _write(
        tmp_path / "bench",
        "rx7900xtx/sweep.csv",
        "model,gpu_name,tokens_s\nllama3.1:8b,,71.5\nllama3.1:8b,AMD Radeon RX 7900 XT,64.0\n",
    )
    rows = ingest([tmp_path / "bench"], None, None).parsed
    # the folder's card where the row names none, the row's own where it does
    assert rows["hardware"].cast(pl.Utf8).to_list() == ["RX 7900 XTX", "RX 7900 XT"]


def test_a_runs_files_share_the_model_and_backend_one_of_them_states(tmp_path: Path) -> None:
    root = tmp_path / "leaderboard"
    summary = {
        "version": "2023-08-31",
        "model": "llama2-70b-4096",
        "framework": "groq",
        "num_concurrent_requests": 5,
        "results_ttft_s_mean": 0.23,
    }
    responses = [{"error_code": None, "ttft_s": 0.2, "request_output_throughput_token_per_s": 170}]
    other = [{"error_code": None, "ttft_s": 0.4, "request_output_throughput_token_per_s": 40}]
    _write(root, "runs/x__summary__groq_70b.json", json.dumps(summary))
    _write(root, "runs/x__individual__groq_70b.json", json.dumps(responses))
    _write(root, "runs/x__individual__bedrock_13b.json", json.dumps(other))  # no summary

    rows = ingest([root], None, None).parsed
    by_file = {
        path.rpartition("/")[2]: row
        for path, row in zip(rows["source_path"], rows.iter_rows(named=True), strict=True)
    }
    groq = by_file["x__individual__groq_70b.json"]
    assert (groq["model"], groq["backend"]) == ("llama2-70b-4096", "groq")
    # and the load it ran under: the responses were not "default options"
    assert groq["concurrency"] == 5
    bedrock = by_file["x__individual__bedrock_13b.json"]
    assert (bedrock["model"], bedrock["backend"]) == (None, None)  # nothing states them
    assert bedrock["concurrency"] is None


def test_a_setting_one_section_of_a_file_states_is_not_given_to_the_others(tmp_path: Path) -> None:
    _write(
        tmp_path / "bench",
        "report.md",
        "## Load test\n\nConcurrency: 8\n\n- Tokens/s: 410.5\n\n"
        "## Single user\n\n| Model | Tokens/s |\n|---|---|\n| llama3.1:8b | 75.1 |\n",
    )
    rows = ingest([tmp_path / "bench"], None, None).parsed
    assert rows.select("value", "concurrency").rows() == [(410.5, 8), (75.1, None)]


def test_two_raw_sweeps_that_measured_the_same_value_both_count(tmp_path: Path) -> None:
    # Only raw files, none written twice: each is a measurement of its own, so an equal value
    # in another sweep is a second measurement, not a copy (the pile step skips the copies).
    root = tmp_path / "bench"
    _write(root, "monday.csv", "model,tokens_s\ngemma3:270m,238.2392\ngemma3:270m,241.5\n")
    _write(root, "tuesday.csv", "model,tokens_s\ngemma3:270m,238.2392\n")
    ingested = ingest([root], None, None)
    rows = ingested.parsed.filter(pl.col("metric") == "throughput_tok_s")
    assert set(rows["role"]) == {"measurement"}
    assert rows["copy_of"].null_count() == rows.height
    counted = analysable(rows.with_columns(status=pl.lit("passed")))
    assert sorted(counted["value"]) == [238.2392, 238.2392, 241.5]
    roles = dict(ingested.files.select("relative_path", "role").iter_rows())
    assert roles == {"bench/monday.csv": "measurement", "bench/tuesday.csv": "measurement"}


def test_a_run_written_as_csv_and_json_counts_once(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    _write(root, "gemma3_270m_baseline.csv", "prompt,tokens_s\nhi,238.2392\nbye,289.3669\n")
    _write(
        root,
        "gemma3_270m_baseline.json",
        '{"model": "gemma3:270m", "results": [{"prompt": "hi", "tokens_s": 238.2392},'
        ' {"prompt": "bye", "tokens_s": 289.3669}]}',
    )
    rows = ingest([root], None, None).parsed
    json_rows = rows.filter(pl.col("source_path").cast(pl.Utf8).str.ends_with(".json"))
    assert set(json_rows["role"]) == {"copy"}
    primaries = set(json_rows["copy_of"].str.split(" ").list.first())
    assert primaries == {"bench/gemma3_270m_baseline.csv"}
    counted = analysable(rows.with_columns(status=pl.lit("passed")))
    assert sorted(counted["value"]) == [238.2392, 289.3669]


def test_a_tools_csv_and_json_export_of_one_run_count_once(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    export = {
        "time_to_first_token": {"unit": "ms", "avg": 24.6242, "p99": 26.2731, "min": 23.5912},
        "output_token_throughput": {"unit": "tokens/sec", "avg": 86.4411},
        "input_config": {"model": ["meta/llama3-8b-instruct"], "concurrency": 4},
    }
    _write(root, "profile_export_genai_perf.json", json.dumps(export))
    _write(
        root,
        "profile_export_genai_perf.csv",
        "Metric,avg,min,max,p99\r\nTime To First Token (ms),24.62,23.59,26.31,26.27\r\n"
        "\r\nMetric,Value\r\nOutput Token Throughput (per sec),86.44\r\n",
    )
    ingested = ingest([root], None, None)
    rows = ingested.parsed
    copies = rows.filter(pl.col("copy_of").is_not_null())

    # The JSON is written with more digits (and its settings): the CSV's values are its copies,
    # but for the maximum, which only the CSV holds.
    assert set(copies["source_path"]) == {"bench/profile_export_genai_perf.csv"}
    assert set(copies["copy_of"].str.split(" ").list.first()) == {
        "bench/profile_export_genai_perf.json"
    }
    assert copies.height == 4
    roles = dict(ingested.files.select("relative_path", "role").iter_rows())
    assert roles["bench/profile_export_genai_perf.csv"] == "copy"
    counted = analysable(rows.with_columns(status=pl.lit("passed")))
    mean_ttft = counted.filter((pl.col("metric") == "ttft_ms") & (pl.col("statistic") == "mean"))
    assert mean_ttft["value"].to_list() == [24.6242]  # counted once, from the JSON


def _folder_named_after_a_family(root: Path) -> None:
    """llama3/: a sweep of llama3.1:8b-instruct-q4_0, its summary (no model column) and a
    report with a table per quantization and a copy of the sweep's best configurations: only
    the folder says "llama3"."""
    _write(
        root,
        "llama3/param_tuning.csv",
        "model,num_gpu,num_ctx,tokens_s\n"
        "llama3.1:8b-instruct-q4_0,999,1024,65.56\nllama3.1:8b-instruct-q4_0,60,4096,79.43\n"
        "llama3.1:8b-instruct-q4_0,80,1024,79.03\n",
    )
    _write(
        root,
        "llama3/param_tuning_summary.csv",
        "num_gpu,num_ctx,mean_tokens_s\n999,1024,65.56\n60,4096,79.43\n80,1024,79.03\n",
    )
    _write(
        root,
        "llama3/benchmark_report.md",
        "# Sweep\n\n| tag | mean_tokens_s |\n|---|---|\n| q4_0 | 73.50 |\n| q8_0 | 45.32 |\n\n"
        "| num_gpu | num_ctx | mean_tokens_s |\n|---|---|---|\n| 60 | 4096 | 79.43 |\n"
        "| 80 | 1024 | 79.03 |\n",
    )


def test_a_summary_in_a_folder_named_after_a_family_takes_its_sweeps_model(
    tmp_path: Path,
) -> None:
    root = tmp_path / "bench"
    _folder_named_after_a_family(root)
    rows = ingest([root], None, None).parsed
    summary = rows.filter(pl.col("source_path").cast(pl.Utf8).str.ends_with("summary.csv"))
    # Its run's sweep names the model; the folder's "llama3" was a guess.
    assert set(summary["model"]) == {"llama3.1:8b-instruct-q4_0"}
    assert set(summary["role"]) == {"copy"}  # so its values count once
    counted = analysable(rows.with_columns(status=pl.lit("passed")))
    throughput = counted.filter(pl.col("metric") == "throughput_tok_s")
    assert set(throughput["model"]) == {"llama3.1:8b-instruct-q4_0"}
    assert sorted(throughput["value"]) == [65.56, 79.03, 79.43]


def test_a_report_under_a_folders_model_is_no_model_of_its_own(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    _folder_named_after_a_family(root)
    rows = ingest([root], None, None).parsed
    report = rows.filter(pl.col("source_path").cast(pl.Utf8).str.ends_with(".md"))
    # The values it repeats link to the sweep though the folder named another model...
    repeated = report.filter(pl.col("value") > 79)
    assert set(repeated["role"]) == {"copy"}
    assert {c.split(" ")[0] for c in repeated["copy_of"]} == {"bench/llama3/param_tuning.csv"}
    # ...a row's tag is part of its model, where the name gives no quantization...
    means = report.filter(pl.col("locator").str.starts_with("table 1"))
    assert sorted(means["model_id"]) == ["llama3:q4_0", "llama3:q8_0"]
    # ...and its own numbers, under a model only the folder names, are no measurement of it.
    counted = analysable(rows.with_columns(status=pl.lit("passed")))
    assert "llama3:q4_0" not in set(counted["model"])
    assert set(counted["source_path"].cast(pl.Utf8)) == {"bench/llama3/param_tuning.csv"}


def test_a_report_names_its_model_once_for_all_its_tables(tmp_path: Path) -> None:
    root = tmp_path / "bench"
    _write(
        root,
        "reports/Technical_Report_1.md",
        "# Report\n\n- **Model:** gemma3:latest\n\n| num_gpu | throughput_tok_s |\n|---|---|\n"
        "| 80 | 101.2 |\n| 120 | 102.3 |\n",
    )
    rows = ingest([root], None, None).parsed
    table = rows.filter(pl.col("locator").str.starts_with("table"))
    assert table.height == 2 and set(table["model_id"]) == {"gemma3:latest"}


def test_a_model_named_by_a_folder_is_told_from_one_a_file_names() -> None:
    assert model_named_by_folders("x/llama3/report.md") == "llama3"
    assert model_named_by_folders("x/llama3/gemma3_270m_sweep.csv") is None  # the file's own
    assert model_named_by_folders("x/results/report.md") is None
