"""The alias table: names as files write them map to one canonical metric, unit and scale."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from tasks.parse.vocabulary import MetricName, known_alias, resolve_metric, snake_case


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tokens_s", MetricName("throughput_tok_s", "tok/s", 1.0)),
        ("tokens_per_second", MetricName("throughput_tok_s", "tok/s", 1.0)),
        ("Tokens/s", MetricName("throughput_tok_s", "tok/s", 1.0)),
        ("Tokens per Second", MetricName("throughput_tok_s", "tok/s", 1.0)),
        ("mean_tokens_s", MetricName("throughput_tok_s", "tok/s", 1.0, "mean")),
        ("throughput", MetricName("throughput_tok_s", "tok/s", 1.0)),
        ("ttft_s", MetricName("ttft_ms", "ms", 1000.0)),
        ("TTFT (s)", MetricName("ttft_ms", "ms", 1000.0)),
        ("ttft_ms", MetricName("ttft_ms", "ms", 1.0)),
        ("load_s", MetricName("load_ms", "ms", 1000.0)),
        ("prompt_eval_s", MetricName("prompt_eval_ms", "ms", 1000.0)),
        ("eval_s", MetricName("eval_ms", "ms", 1000.0)),
        ("total_duration", MetricName("total_ms", "ms", 1e-6)),
        ("load_duration", MetricName("load_ms", "ms", 1e-6)),
        ("prompt_eval_duration", MetricName("prompt_eval_ms", "ms", 1e-6)),
        ("eval_duration", MetricName("eval_ms", "ms", 1e-6)),
        ("eval_count", MetricName("eval_count", "tokens", 1.0)),
        ("prompt_eval_count", MetricName("prompt_eval_count", "tokens", 1.0)),
    ],
)
def test_aliases_map_to_canonical_metrics(name: str, expected: MetricName) -> None:
    assert resolve_metric(name) == expected


@pytest.mark.parametrize("name", ["TOKENS-PER-SECOND", "tokens per second", "Tokens_Per_Second"])
def test_matching_ignores_case_spaces_and_punctuation(name: str) -> None:
    assert resolve_metric(name).metric == "throughput_tok_s"


def test_a_unit_written_with_the_value_wins_over_the_name() -> None:
    assert resolve_metric("TTFT", "ms") == MetricName("ttft_ms", "ms", 1.0)
    assert resolve_metric("Mean TTFT (warm)", "s") == MetricName("ttft_ms", "ms", 1000.0, "mean")


def test_a_value_in_another_kind_of_unit_is_not_filed_under_the_canonical_metric() -> None:
    # "+34%" in a Delta column under "Mean Throughput" is a change, not a throughput.
    assert resolve_metric("Mean Throughput", "%") == MetricName("mean_throughput", "%", 1.0, "mean")


def test_unknown_names_are_kept_in_snake_case_with_their_unit() -> None:
    assert resolve_metric("Energy per token", "J") == MetricName("energy_per_token", "J", 1.0)
    assert resolve_metric("gpu__time_duration.sum", "us") == MetricName(
        "gpu_time_duration_sum", "us", 1.0
    )
    assert resolve_metric("memory_used_gb") == MetricName("memory_used_gb", "GB", 1.0)
    # a statistic of a name the table does not know either
    assert resolve_metric("p95_latency") == MetricName("p95_latency", None, 1.0, "p95")


def test_a_statistic_of_a_known_metric_is_that_metric() -> None:
    # Percentiles and means are statistics of a metric, not metrics of their own.
    assert resolve_metric("P95 TTFT (s)") == MetricName("ttft_ms", "ms", 1000.0, "p95")
    assert resolve_metric("median_itl_ms") == MetricName("itl_ms", "ms", 1.0, "median")
    assert resolve_metric("p50_e2e_latency_s") == MetricName("e2e_latency_ms", "ms", 1000.0, "p50")


def test_other_harnesses_names_reach_the_canonical_metrics() -> None:
    assert resolve_metric("eval_rate") == MetricName("throughput_tok_s", "tok/s", 1.0)
    assert resolve_metric("tokens/sec") == MetricName("throughput_tok_s", "tok/s", 1.0)
    assert resolve_metric("tg_tps").metric == "throughput_tok_s"
    assert resolve_metric("prompt_eval_rate") == MetricName("prompt_tok_s", "tok/s", 1.0)
    assert resolve_metric("prefill_tps").metric == "prompt_tok_s"
    assert resolve_metric("requests_per_second").metric == "request_throughput_req_s"
    assert resolve_metric("TG t/s").metric == "throughput_tok_s"
    assert resolve_metric("PP t/s").metric == "prompt_tok_s"
    assert resolve_metric("Decode speed (tok/s)").metric == "throughput_tok_s"
    assert resolve_metric("Prefill speed").metric == "prompt_tok_s"
    assert resolve_metric("tok/s/user").metric == "throughput_tok_s"
    assert resolve_metric("First token latency (s)") == MetricName("ttft_ms", "ms", 1000.0)
    assert resolve_metric("E2E (s)") == MetricName("e2e_latency_ms", "ms", 1000.0)
    # no unit in the name, and several things it could mean: kept as written
    assert resolve_metric("latency").metric == "latency"
    assert resolve_metric("output_throughput").metric == "output_throughput"


def test_a_unit_in_parentheses_is_the_unit_of_the_name_without_them() -> None:
    # A request rate is no token throughput, a bandwidth no throughput at all: before, both
    # were throughput_tok_s in tok/s, as the bare "Throughput" is.
    assert resolve_metric("Throughput (req/s)") == MetricName(
        "request_throughput_req_s", "req/s", 1.0
    )
    assert resolve_metric("Throughput (GB/s)").metric != "throughput_tok_s"
    # microseconds, not the seconds a bare "TTFT" is taken for (was a factor of 1000, not 0.001)
    assert resolve_metric("TTFT (us)") == MetricName("ttft_ms", "ms", 0.001)
    assert resolve_metric("Goodput (req/s)") == MetricName("goodput_req_s", "req/s", 1.0)


def test_a_rate_per_second_is_no_time_in_seconds() -> None:
    assert resolve_metric("Requests/s") == MetricName("request_throughput_req_s", "req/s", 1.0)
    assert resolve_metric("Images/s").unit is None  # was "s"
    assert resolve_metric("total_time_s").unit == "s"


def test_names_that_say_a_statistic_say_which() -> None:
    assert resolve_metric("Peak Throughput", "tok/s") == MetricName(
        "throughput_tok_s", "tok/s", 1.0, "max"
    )
    assert resolve_metric("median_tokens_s").statistic == "median"
    assert resolve_metric("tokens_s").statistic is None


def test_snake_case() -> None:
    assert snake_case("Throughput Δ") == "throughput_delta"
    assert snake_case("meanTimeMs") == "mean_time_ms"
    assert snake_case("!!!") == "value"


def test_every_alias_row_resolves_to_itself() -> None:
    """Two rows whose names normalise alike but map differently would shadow each other."""
    text = resources.files("tasks.parse").joinpath("aliases.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) > 40
    for row in rows:
        expected = MetricName(row["metric"], row["unit"] or None, float(row["scale"]))
        assert known_alias(row["alias"]) == expected, row["alias"]
        assert snake_case(row["metric"]) == row["metric"]
