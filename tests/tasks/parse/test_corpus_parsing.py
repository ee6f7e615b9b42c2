"""Acceptance on the real Chimeraforge corpus: every file is sniffed and parsed without an
exception, and known values written in the files come out with their dimensions."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl
import pytest

from tasks.parse import FileOutcome, FileToParse, parse_batch, sniff_format
from tasks.schemas import PARSED_METRICS

CORPUS_FILES = 107


@pytest.fixture(scope="module")
def corpus(
    corpus_dir: Path,
) -> tuple[dict[str, tuple[str, str | None]], pl.DataFrame, list[FileOutcome]]:
    """Sniff every corpus file, parse the parseable ones in one batch."""
    sniffed: dict[str, tuple[str, str | None]] = {}
    to_parse: list[FileToParse] = []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        relative = path.relative_to(corpus_dir).as_posix()
        data = path.read_bytes()
        sniffed[relative] = sniff_format(path.name, data[:8192])
        fmt, reason = sniffed[relative]
        if reason is None:
            to_parse.append(FileToParse(str(path), relative, hashlib.sha256(data).hexdigest(), fmt))
    frame, outcomes = parse_batch(to_parse)
    return sniffed, frame, outcomes


def rows_of(frame: pl.DataFrame, suffix: str) -> pl.DataFrame:
    return frame.filter(pl.col("source_path").cast(pl.Utf8).str.ends_with(suffix))


def test_every_file_is_sniffed_and_parsed_without_error(corpus) -> None:
    sniffed, frame, outcomes = corpus
    assert len(sniffed) == CORPUS_FILES
    assert frame.schema == PARSED_METRICS
    not_parsed = {path: reason for path, (_, reason) in sniffed.items() if reason is not None}
    assert all(reason for reason in not_parsed.values())
    assert len(outcomes) == CORPUS_FILES - len(not_parsed)
    assert [o for o in outcomes if o.status == "error"] == []
    assert all(o.reason for o in outcomes if o.status == "no_metrics")
    parsed = {o.relative_path: o.metric_rows for o in outcomes if o.status == "parsed"}
    counts = dict(frame.group_by("source_path").len().iter_rows())
    assert counts == parsed


def test_files_that_are_not_benchmark_data_say_why(corpus) -> None:
    sniffed, _, _ = corpus
    assert sniffed["outputs/reports/integration/mcp_integration_diagram.py"] == (
        "empty",
        "empty file",
    )
    assert sniffed["outputs/reports/profiling/ncu_ollama.ncu-rep"] == (
        "binary",
        "binary file (Nsight Compute report)",
    )
    fmt, reason = sniffed["outputs/reports/profiling/ncu_summary.csv"]
    assert fmt == "text"
    assert reason.startswith("UTF-16 text, not a CSV table: ==ERROR==")
    # Text is parsed when a tool's reader recognises it, so it is not skipped by its name.
    assert sniffed["outputs/reports/llama3/baseline_ml_report.txt"] == ("text", None)


def test_gemma3_270m_baseline_first_record(corpus) -> None:
    _, frame, _ = corpus
    first = rows_of(frame, "outputs/reports/gemma3/gemma3_270m_baseline.csv").filter(
        pl.col("locator") == "row 1"
    )
    values = dict(first.select("metric", "value").iter_rows())
    # The file writes tokens_s 238.23929187638413 and ttft_s 7.8366299 (seconds).
    assert values["throughput_tok_s"] == pytest.approx(238.2392918763841, rel=1e-9)
    assert values["ttft_ms"] == pytest.approx(7836.6299, rel=1e-9)
    assert dict(first.select("metric", "unit").iter_rows())["ttft_ms"] == "ms"


def test_conv_bench_eager_mean_time(corpus) -> None:
    _, frame, _ = corpus
    eager = rows_of(frame, "outputs/reports/compilation/conv_bench_20251002-170837.json").filter(
        pl.col("locator").str.starts_with("/backends/eager"),
        pl.col("raw_metric").cast(pl.Utf8).str.ends_with("mean_time_ms"),
    )
    assert eager.select("metric", "value", "backend", "model").rows() == [
        ("mean_time_ms", pytest.approx(3.812139999899955, rel=1e-12), "eager", "conv")
    ]


def test_gemma3_report_config_row(corpus) -> None:
    _, frame, _ = corpus
    row = rows_of(frame, "outputs/reports/gemma3/Gemma3_Benchmark_Report.md").filter(
        pl.col("config") == "g999_c4096_t0.4", pl.col("metric") == "throughput_tok_s"
    )
    assert (102.31, 999, 4096, 0.4) in row.select(
        "value", "num_gpu", "num_ctx", "temperature"
    ).rows()
    assert row["locator"].str.starts_with("table ").all()


@pytest.mark.parametrize(
    "suffix",
    [
        "outputs/reports/ollama/20251002-151204/prompt_suite_runs.csv",
        "outputs/reports/ollama/20251008-122701/gemma3_benchmark_runs.csv",
    ],
)
def test_failed_runs_keep_their_error_and_zero_throughput(corpus, suffix: str) -> None:
    _, frame, _ = corpus
    rows = rows_of(frame, suffix)
    assert rows.height > 0
    assert rows["error"].null_count() == 0
    throughput = rows.filter(pl.col("metric") == "throughput_tok_s")
    assert throughput.height == rows["locator"].n_unique()
    assert (throughput["value"] == 0.0).all()
    assert rows["temperature"].unique().to_list() == [0.3]


def test_success_true_with_error_text_carries_both(corpus) -> None:
    _, frame, _ = corpus
    results = rows_of(frame, "data/csv/baseline_test_results_1759186372.json").filter(
        pl.col("locator").str.starts_with("/results/")
    )
    assert results["locator"].n_unique() == 5
    assert results["success"].to_list() == [True] * results.height
    assert results["error"].str.starts_with("Error generating banter").all()


def test_timed_out_configurations_carry_their_error(corpus) -> None:
    _, frame, _ = corpus
    tuning = rows_of(frame, "outputs/reports/gemma3/gemma3_270m_param_tuning.csv")
    failed = tuning.filter(pl.col("error").is_not_null())
    assert sorted(failed.select("config", "error").unique().rows()) == [
        ("g60_c1024_t0.2", "timed out"),
        ("g60_c1024_t0.4", "timed out"),
    ]
    assert failed["value"].null_count() == failed.height


def test_markdown_glued_tables_are_found(corpus) -> None:
    _, frame, _ = corpus
    summary = rows_of(frame, "outputs/reports/llama3/ollama_benchmark_summary.md")
    quant = summary.filter(pl.col("quant") == "q8_0", pl.col("metric") == "throughput_tok_s")
    # "| q8_0 | 46.57 | 46.64 | 2.008 | ## Parameter Sweep" follows a header glued to prose;
    # its columns are mean_tokens_s and median_tokens_s, statistics of one metric.
    assert sorted(zip(quant["statistic"], quant["value"], strict=True)) == [
        ("mean", 46.57),
        ("median", 46.64),
    ]
