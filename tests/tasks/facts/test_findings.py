"""The analysis: what a performance engineer would sign, computed once from the tables."""

import polars as pl
import pytest

from tasks.facts import compute_findings
from tasks.schemas import FINDINGS
from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame


def _findings(rows: list[dict]) -> pl.DataFrame:
    metrics = metrics_frame(rows)
    return compute_findings(files_frame(metrics), metrics)


def _one(findings: pl.DataFrame, **where) -> dict:
    chosen = findings.filter(*[pl.col(k) == v for k, v in where.items()])
    assert chosen.height == 1, chosen.select("finding_id", "kind", "statement")
    return chosen.row(0, named=True)


def test_a_model_clearly_ahead_is_ranked_best_with_its_interval():
    rows = [
        *metric_rows("a/fast.csv", "m-fast", [120.0, 121.5, 119.0, 122.0, 120.5, 121.0]),
        *metric_rows("a/slow.csv", "m-slow", [60.0, 61.0, 59.5, 62.5, 60.5, 61.5]),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert ranking["verdict"] == "significant"
    assert ranking["levels"] == ["m-fast", "m-slow"]
    assert ranking["level_medians"] == [120.75, 60.75]
    assert ranking["ci_low"] > 60.75  # the interval excludes the runner-up
    assert "m-fast has the best throughput" in ranking["statement"]
    assert "95% CI" in ranking["statement"]
    assert len(ranking["source_rows"]) == 12


def test_a_best_states_the_test_of_the_two_leaders_not_only_that_of_all_levels():
    # A third model far behind makes the test of all three confident; the lead itself rests on
    # four values against four, whose exact test cannot go below p=0.029.
    rows = [
        *metric_rows("a/x.csv", "m-fast", [80.0, 80.5, 81.0, 81.5]),
        *metric_rows("a/x.csv", "m-mid", [72.0, 72.5, 73.0, 73.5], start=5),
        *metric_rows("a/x.csv", "m-slow", [45.0, 45.5, 46.0, 46.5], start=9),
    ]
    ranking = _one(_findings(rows), kind="effect", subject="model")

    assert ranking["verdict"] == "significant"
    assert ranking["p_top"] == pytest.approx(1 / 35)  # the lowest 4 against 4 can reach
    assert ranking["p_value"] < ranking["p_top"]
    assert "the two leaders alone: Mann-Whitney p=0.029" in ranking["statement"]


def test_below_six_values_no_95_percent_interval_is_claimed():
    # Five values hold their median between their extremes only 93.75% of the time.
    rows = [
        *metric_rows("a/fast.csv", "m-fast", [120.0, 121.5, 119.0, 122.0, 120.5]),
        *metric_rows("a/slow.csv", "m-slow", [60.0, 61.0, 59.5, 62.5, 60.5]),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert ranking["verdict"] == "significant"  # every value of the best beats the runner-up
    assert ranking["ci_low"] is None and ranking["ci_high"] is None
    assert "CI" not in ranking["statement"]
    assert "[values 119 to 122]" in ranking["statement"]


def test_a_lead_within_noise_is_no_measurable_difference_not_a_best():
    rows = [
        *metric_rows("s/sweep.csv", "m", [100.0, 103.0, 97.0, 101.0], num_gpu=40),
        *metric_rows("s/sweep.csv", "m", [102.0, 98.0, 101.5, 99.0], start=5, num_gpu=80),
    ]
    effect = _one(_findings(rows), kind="effect", subject="num_gpu")

    assert effect["verdict"] == "no measurable difference"
    assert "makes no measurable difference to throughput" in effect["statement"]
    assert "best" not in effect["statement"]


def test_a_shift_the_test_detects_within_the_noise_is_not_called_no_difference():
    # 30 repetitions a level: a 1.2% shift is detected (p < 0.05) but the values at each level
    # spread over 2%; "no measurable difference" would be false, "within the noise" is true.
    spread = [98.0, 99.0, 100.0, 101.0, 102.0] * 6
    rows = [
        *metric_rows("s/sweep.csv", "m", spread, num_gpu=40),
        *metric_rows("s/sweep.csv", "m", [v + 1.2 for v in spread], start=100, num_gpu=80),
    ]
    effect = _one(_findings(rows), kind="effect", subject="num_gpu")

    assert effect["verdict"] == "no measurable difference"  # never a "best" within the noise
    assert effect["p_value"] < 0.05
    assert "no measurable difference" not in effect["statement"]
    assert "the effect of num_gpu on throughput is within the noise" in effect["statement"]
    assert "the test detects a shift, but a smaller one than that spread" in effect["statement"]
    assert "no measurable difference" not in effect["gist"]


def test_a_best_needs_a_test_of_it_against_its_runner_up_that_can_tell_them_apart():
    # Three levels that differ overall; the top two, three values each, all of one above all
    # of the other. Kruskal-Wallis on the two alone said p=0.0495; no test of three against
    # three values can reach p<0.05 (the exact one's lowest is 0.1), so no best is named.
    rows = [
        *metric_rows("s/bench.json", "m", [168.4, 167.9, 168.0], output_tokens=128),
        *metric_rows("s/bench.json", "m", [150.7, 150.8, 150.8], start=4, output_tokens=256),
        *metric_rows("s/bench.json", "m", [140.1, 140.3, 139.9], start=7, output_tokens=512),
    ]
    effect = _one(_findings(rows), kind="effect", subject="output_tokens")

    assert effect["verdict"] == "differs"
    assert "has the best" not in effect["statement"]
    assert "no test of the two can reach p<0.05" in effect["statement"]


def test_a_lead_within_the_spread_of_the_top_two_is_no_best():
    # Five values a level, every value of the best above the runner-up's (the test of the two
    # says p=0.008), but the medians 1.1% apart where the best's values spread over 1.9%.
    best = [99.8, 98.9, 101.3, 99.0, 100.9]
    rows = [
        *metric_rows("s/bench.json", "m", best, num_ctx=2048),
        *metric_rows("s/bench.json", "m", [98.8, 98.7, 98.5, 98.85, 97.0], start=6, num_ctx=4096),
        *metric_rows("s/bench.json", "m", [60.0, 61.0, 59.5, 62.5, 60.5], start=12, num_ctx=8192),
    ]
    effect = _one(_findings(rows), kind="effect", subject="num_ctx")

    assert effect["verdict"] == "differs"
    assert "lead is within the" in effect["statement"]


def test_one_measurement_per_level_is_not_testable():
    rows = [
        *metric_rows("s/sweep.csv", "m", [100.0], num_ctx=1024),
        *metric_rows("s/sweep.csv", "m", [130.0], start=2, num_ctx=2048),
    ]
    effect = _one(_findings(rows), kind="effect", subject="num_ctx")

    assert effect["verdict"] == "not testable"
    assert effect["p_value"] is None
    assert "no test can tell them apart" in effect["statement"]


def test_quarantined_values_never_reach_a_finding():
    rows = metric_rows("a/x.csv", "m", [100.0, 101.0, 99.0]) + [
        {**metric_rows("a/x.csv", "m", [99999.0], start=4)[0], "status": "quarantined"}
    ]
    findings = _findings(rows)

    numbers = findings["numbers"].explode().drop_nulls().to_list()
    assert 99999.0 not in numbers
    configuration = _one(findings, kind="configuration")
    assert configuration["n"] == 3 and configuration["median"] == 100.0


def test_validation_counts_each_record_once_across_its_metrics_and_files():
    # Two files with the same locators: four records (file, row), each with two metrics; one
    # record has one of its two values quarantined, so it counts once as quarantined.
    rows = [
        *metric_rows("a/x.csv", "m", [100.0, 101.0]),
        *metric_rows("a/x.csv", "m", [90.0, 91.0], metric="ttft_ms", unit="ms"),
        *metric_rows("b/y.csv", "m", [102.0, 103.0]),
        *metric_rows("b/y.csv", "m", [92.0], metric="ttft_ms", unit="ms"),
        {**metric_rows("b/y.csv", "m", [-5.0], metric="ttft_ms", unit="ms", start=2)[0],
         "status": "quarantined"},
    ]  # fmt: skip
    quality = _findings(rows).filter(pl.col("kind") == "data_quality")

    assert sorted(quality["statement"].to_list()) == [
        "1 of 4 benchmark records were quarantined as failed or inconsistent runs.",
        "7 measurements passed validation.",
        "8 measurements were read from the files.",
    ]


def test_a_cold_first_call_is_named_and_left_out_of_the_comparison():
    ttft = [4000.0, 90.0, 95.0, 92.0, 91.0]
    rows = [
        *metric_rows("c/runs.csv", "m", ttft, metric="ttft_ms", unit="ms"),
        *metric_rows("c/runs.csv", "m", [30.0, 100.0, 101.0, 99.0, 100.5]),
    ]
    findings = _findings(rows)

    cold = _one(findings, kind="cold_start", subject="first call")
    assert cold["source_rows"] == ["c/runs.csv row 1"]
    assert "4,000 ms against 91.50 ms" in cold["statement"]
    # the whole cold record is left out: its 30 tok/s is not averaged into the configuration
    throughput = _one(findings, kind="configuration", metric="throughput_tok_s")
    assert throughput["n"] == 4 and "c/runs.csv row 1" not in throughput["source_rows"]


def test_calls_that_reloaded_the_model_are_named_and_left_out_of_the_comparison():
    # A sweep reloads the model when num_ctx changes: the first call at each num_ctx, always at
    # temperature 0.2 here, waits seconds for the load and decodes slower. Compared with them,
    # temperature 0.2 looked 3% slower.
    rows = []
    for level, start in ((1024, 1), (2048, 7)):
        for i, temperature in enumerate([0.2, 0.4, 0.8, 0.4, 0.8, 0.2]):
            first = i == 0
            row = {"num_ctx": level, "temperature": temperature}
            at = start + i
            rows += metric_rows(
                "s/sw.csv", "m", [290.0 if first else 300.0 + i % 2], start=at, **row
            )
            rows += metric_rows(
                "s/sw.csv", "m", [3000.0 if first else 60.0 + i], "load_ms", "ms", at, **row
            )
    findings = _findings(rows)

    reload = _one(findings, kind="cold_start", subject="model reload")
    assert reload["source_rows"] == ["s/sw.csv row 1", "s/sw.csv row 7"]
    assert "2 calls in 1 file loaded the model before answering" in reload["statement"]
    temperature = _one(findings, kind="effect", subject="temperature")
    assert temperature["level_n"][temperature["levels"].index("temperature=0.2")] == 2  # not 4
    assert temperature["verdict"] != "significant"


def test_a_reload_of_a_model_in_the_page_cache_is_a_reload_at_eight_times_the_usual_load():
    # Warm calls load in about 90 ms; a reload of a model still in the page cache in 770 ms,
    # 8.5 times that: still a call that waited for the load, not a measurement of its options.
    rows = []
    for level, start in ((1024, 1), (2048, 4), (4096, 7)):
        for i, temperature in enumerate([0.2, 0.4, 0.8]):
            first = i == 0
            row = {"num_ctx": level, "temperature": temperature}
            at = start + i
            rows += metric_rows("s/sw.csv", "m", [60.0 if first else 75.0 + i], start=at, **row)
            rows += metric_rows(
                "s/sw.csv",
                "m",
                [770.0 + level / 100 if first else 85.0 + 5 * i],
                "load_ms",
                "ms",
                at,
                **row,
            )
    findings = _findings(rows)

    reload = _one(findings, kind="cold_start", subject="model reload")
    assert sorted(reload["source_rows"]) == ["s/sw.csv row 1", "s/sw.csv row 4", "s/sw.csv row 7"]
    temperature = _one(findings, kind="effect", subject="temperature")
    assert "temperature=0.2" not in temperature["levels"]


def test_ttft_that_measures_the_model_load_is_said_so_and_not_compared():
    rows = []
    for level, start in ((1024, 1), (4096, 4)):
        rows += metric_rows(
            "s/sw.csv", "m", [100.0, 101.0, 99.0], "ttft_ms", "ms", start, num_ctx=level
        )
        rows += metric_rows(
            "s/sw.csv", "m", [90.0, 91.0, 89.0], "load_ms", "ms", start, num_ctx=level
        )
    findings = _findings(rows)

    load = _one(findings, kind="cold_start", subject="load share")
    assert load["value"] == 90.0
    assert findings.filter(
        (pl.col("kind") == "effect") & (pl.col("metric") == "ttft_ms")
    ).is_empty()


def test_failed_records_are_grouped_by_their_cause():
    failed = [
        {**row, "status": "quarantined", "error": f"[WinError {code}] address not valid"}
        for row, code in zip(
            metric_rows("f/p.csv", "m", [0.0, 0.0, 0.0]), (10049, 10049, 10061), strict=True
        )
    ]
    cause = _one(_findings(failed), kind="failure_cause")

    assert cause["n"] == 3
    # in a record's own words, not with its numbers masked ("[WinError N]" reads as garbled)
    assert 'in the first one\'s words: "[WinError 10049] address not valid"' in cause["statement"]


def test_only_records_the_file_says_failed_are_failures():
    rows = [
        *[
            {**row, "status": "quarantined", "success": False}  # failed, no message
            for row in metric_rows("f/runs.json", "m", [0.0, 0.0])
        ],
        # quarantined for its data (a metric written twice), not a failed run
        *[{**row, "status": "quarantined"} for row in metric_rows("q/dup.csv", "m", [5.0, 6.0])],
    ]
    cause = _one(_findings(rows), kind="failure_cause")

    assert cause["n"] == 2
    assert cause["statement"].startswith(
        '2 failed records in 1 file (in f) share one cause: "marked unsuccessful, no error message"'
    )
    assert all(row.startswith("f/runs.json") for row in cause["source_rows"])


def test_a_failed_run_written_twice_counts_once():
    def failed(path: str, count: int) -> list[dict]:
        return [
            {**row, "status": "quarantined", "error": "triton missing"}
            for row in metric_rows(path, "m", [0.0] * count)
        ]

    rows = [*failed("c/conv_bench.json", 2), *failed("c/conv_bench.md", 2), *failed("d/x.csv", 1)]
    cause = _one(_findings(rows), kind="failure_cause")

    assert cause["n"] == 3  # the .md renders the .json's two records
    assert not any(row.startswith("c/conv_bench.md") for row in cause["source_rows"])


def test_a_failed_run_written_twice_counts_once_where_its_rendering_lost_the_message():
    # The .md rendering keeps a success column but not the error: its record is the .json's.
    rows = [
        *[
            {**row, "status": "quarantined", "error": "BackendCompilerFailed: inductor"}
            for row in metric_rows("c/bench.json", "m", [0.0])
        ],
        *[
            {**row, "status": "quarantined", "success": False}
            for row in metric_rows("c/bench.md", "m", [0.0])
        ],
    ]
    causes = _findings(rows).filter(pl.col("kind") == "failure_cause")

    assert causes.height == 1
    assert causes["statement"][0].endswith('failed with: "BackendCompilerFailed: inductor".')


def test_an_outlier_is_named_with_its_row():
    values = [100.0, 101.0, 99.0, 100.5, 99.5, 7.9]
    outlier = _one(_findings(metric_rows("o/r.csv", "m", values)), kind="outlier")

    assert outlier["source_rows"] == ["o/r.csv row 6"]
    assert outlier["value"] == 7.9


def test_findings_are_ranked_with_unique_ids_and_the_table_schema():
    rows = [
        *metric_rows("a/fast.csv", "m-fast", [120.0, 121.5, 119.0]),
        *metric_rows("a/slow.csv", "m-slow", [60.0, 61.0, 59.5]),
    ]
    findings = _findings(rows)

    assert findings.schema == FINDINGS
    assert findings["finding_id"].to_list() == [f"F{i:03d}" for i in range(1, findings.height + 1)]
    assert findings["importance"].is_sorted(descending=True)
    assert findings.row(0, named=True)["kind"] == "ranking"


def test_settings_only_the_file_states_are_held_fixed_not_pooled_into_levels():
    # llama-bench at two context depths: each prompt length's values at depth 0 and at depth
    # 4096 are no repetitions of one another.
    rows = []
    for depth, slower in (("0", 0.0), ("4096", 600.0)):
        for length, speed in ((512, 1800.0), (2048, 2700.0)):
            rows += metric_rows(
                "b/llama-bench.json",
                "gpt-oss:20b",
                [speed - slower + d for d in (0.0, 4.0, -3.0, 2.0)],
                "prompt_tok_s",
                start=len(rows) + 1,
                input_tokens=length,
                extra=f'{{"n_depth": {depth}, "n_ubatch": 512}}',
            )
    effect = _one(_findings(rows), kind="effect", subject="input_tokens")

    assert effect["level_n"] == [4, 4]  # one depth's repetitions, not both depths pooled
    assert effect["level_medians"] == [2701.0, 1801.0]
    assert effect["config"] == "n_depth=0"
    assert "(gpt-oss:20b, n_depth=0)" in effect["statement"]


def test_folders_that_state_no_hardware_are_ranked_apart():
    rows = [
        *metric_rows("team/a.csv", "gemma3:4b", [100.0, 101.0, 99.0], runtime="ollama"),
        *metric_rows("team/b.csv", "llama3:8b", [77.0, 78.0, 76.5], runtime="ollama"),
        *metric_rows("web/log.txt", "gemma3:1b", [145.0, 146.0, 144.0], runtime="ollama"),
        *metric_rows("web/log2.txt", "qwen3:4b", [60.0, 61.0, 59.5], runtime="ollama"),
    ]
    rankings = _findings(rows).filter(pl.col("kind") == "ranking")

    assert sorted(rankings["config"].to_list()) == [
        "ollama, hardware not stated, in team",
        "ollama, hardware not stated, in web",
    ]
    assert all(len(levels) == 2 for levels in rankings["levels"])


def test_models_measured_on_different_setups_are_ranked_apart():
    # One folder: only the runtimes the files state tell the setups apart.
    rows = [
        *metric_rows("p/vllm.json", "qwen3:4b", [900.0, 905.0, 898.0], runtime="vllm"),
        *metric_rows("p/vllm2.json", "llama3:8b", [600.0, 604.0, 601.0], runtime="vllm"),
        *metric_rows("p/ollama.csv", "gemma3:1b", [180.0, 182.0, 181.0], runtime="ollama"),
        *metric_rows("p/ollama2.csv", "llama3:8b", [77.0, 78.0, 76.5], runtime="ollama"),
    ]
    rankings = _findings(rows).filter(pl.col("kind") == "ranking")

    assert sorted(rankings["config"].to_list()) == [
        "ollama, hardware not stated, in p",
        "vllm, hardware not stated, in p",
    ]
    assert sorted(map(sorted, rankings["levels"].to_list())) == [
        ["gemma3:1b", "llama3:8b"],
        ["llama3:8b", "qwen3:4b"],
    ]
    vllm = "Model ranking over 2 files (vllm, hardware not stated, in p)"
    assert any(s.startswith(vllm) for s in rankings["statement"])


def test_models_measured_by_different_tools_are_ranked_apart():
    # One folder, nothing stated about the setup: only the tools that wrote the files differ.
    rows = [
        *metric_rows("p/genai.json", "qwen3:4b", [24.0, 25.0, 24.5], metric="ttft_ms", unit="ms"),
        *metric_rows(
            "p/llmperf.json", "llama3:8b", [300.0, 305.0, 298.0], metric="ttft_ms", unit="ms"
        ),
        *metric_rows("p/a.csv", "gemma3:1b", [180.0, 182.0, 181.0]),
        *metric_rows("p/b.csv", "llama3:8b", [77.0, 78.0, 76.5]),
    ]
    metrics = metrics_frame(rows)
    readers = {"p/genai.json": "genai-perf json", "p/llmperf.json": "llmperf individual responses"}
    files = files_frame(metrics).with_columns(
        pl.col("relative_path").replace_strict(readers, default="generic csv").alias("reader")
    )
    rankings = compute_findings(files, metrics).filter(pl.col("kind") == "ranking")

    # No ranking of GenAI-Perf's TTFT against LLMPerf's; the generic files' models still rank.
    assert rankings["metric"].to_list() == ["throughput_tok_s"]
    assert sorted(rankings["levels"][0]) == ["gemma3:1b", "llama3:8b"]


def test_models_are_ranked_at_the_settings_each_of_them_was_measured_at():
    # m-sweep ran at two context sizes, m-once at the larger only: pooled over its own
    # settings, m-sweep's median would mix in a setting m-once never ran.
    rows = [
        *metric_rows("a/sweep.csv", "m-sweep", [150.0, 151.0, 149.0], num_ctx=1024),
        *metric_rows("a/sweep.csv", "m-sweep", [90.0, 91.0, 89.5], start=4, num_ctx=4096),
        *metric_rows("a/once.csv", "m-once", [100.0, 101.0, 99.0], num_ctx=4096),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert ranking["levels"] == ["m-once", "m-sweep"]
    assert ranking["level_n"] == [3, 3]
    assert ranking["level_medians"] == [100.0, 90.0]
    assert (
        "at the one setting both models were measured at (num_ctx=4096)" in (ranking["statement"])
    )
    assert ranking["config"] == "at the one setting both models were measured at (num_ctx=4096)"
    assert sorted(ranking["source_rows"]) == [
        *[f"a/once.csv row {i}" for i in (1, 2, 3)],
        *[f"a/sweep.csv row {i}" for i in (4, 5, 6)],
    ]


def test_a_model_that_shares_no_setting_with_the_others_is_named_and_not_ranked():
    rows = [
        *metric_rows("a/x.csv", "m-x", [150.0, 151.0, 149.0], temperature=0.4),
        *metric_rows("a/y.csv", "m-y", [100.0, 101.0, 99.0], temperature=0.4),
        *metric_rows("a/z.csv", "m-z", [300.0, 301.0, 299.0], temperature=0.8),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert sorted(ranking["levels"]) == ["m-x", "m-y"]
    assert "not ranked, measured at none of them: m-z" in ranking["statement"]


def test_models_measured_at_no_common_setting_are_compared_with_that_said():
    rows = [
        *metric_rows("a/x.csv", "m-x", [150.0, 151.0, 149.0], temperature=0.4),
        *metric_rows("a/z.csv", "m-z", [300.0, 301.0, 299.0], temperature=0.8),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert ranking["statement"].startswith(
        "Model ranking over 2 files, each model at its own temperature (no setting in common): "
    )


def test_a_model_left_out_early_is_ranked_when_it_holds_the_setting_the_rest_share():
    # l shares s with a and b, c shares x with a and y with b: l (fewest rows) leaves first,
    # then c; a and b meet at s, which l was measured at too.
    rows = [
        *metric_rows("f/a.csv", "a", [10.0, 11.0, 12.0], num_ctx=1),
        *metric_rows("f/a.csv", "a", [10.0, 11.0, 12.0], start=4, num_ctx=2),
        *metric_rows("f/b.csv", "b", [20.0, 21.0, 22.0], num_ctx=1),
        *metric_rows("f/b.csv", "b", [20.0, 21.0, 22.0], start=4, num_ctx=3),
        *metric_rows("f/l.csv", "l", [30.0, 31.0], num_ctx=1),
        *metric_rows("f/c.csv", "c", [40.0, 41.0], num_ctx=2),
        *metric_rows("f/c.csv", "c", [40.0, 41.0], start=4, num_ctx=3),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert sorted(ranking["levels"]) == ["a", "b", "l"]
    assert "at the one setting all 3 models were measured at (num_ctx=1)" in ranking["statement"]
    assert "not ranked, measured at none of them: c" in ranking["statement"]


def test_files_own_run_labels_and_unstated_settings_do_not_keep_models_apart():
    # "m1-fp16" and "m2-fp16" name the runs, by their models; a setting one file states and
    # the other does not is unknown there, not a difference.
    rows = [
        *metric_rows("r/runs.csv", "m1", [50.0, 51.0, 49.0], config="m1-fp16", num_ctx=4096),
        *metric_rows("r/runs.csv", "m2", [80.0, 81.0, 79.0], start=4, config="m2-fp16"),
    ]
    findings = _findings(rows)

    ranking = _one(findings, kind="ranking")
    assert ranking["level_n"] == [3, 3]
    assert ranking["statement"].startswith("Model ranking over 1 file: ")
    assert _one(findings, kind="effect", subject="model")["level_n"] == [3, 3]


def test_models_measured_at_the_same_settings_are_ranked_as_they_are():
    rows = [
        *metric_rows("a/x.csv", "m-x", [150.0, 151.0, 149.0], num_ctx=1024),
        *metric_rows("a/x.csv", "m-x", [140.0, 141.0, 139.0], start=4, num_ctx=2048),
        *metric_rows("a/y.csv", "m-y", [100.0, 101.0, 99.0], num_ctx=1024),
        *metric_rows("a/y.csv", "m-y", [95.0, 96.0, 94.0], start=4, num_ctx=2048),
    ]
    ranking = _one(_findings(rows), kind="ranking")

    assert ranking["level_n"] == [6, 6]
    assert ranking["statement"].startswith("Model ranking over 2 files: ")
    assert ranking["config"] is None


def test_a_quality_gap_names_the_files_that_hold_quality_without_speed():
    rows = [
        *metric_rows("a/sweep.csv", "m", [100.0, 101.0, 99.0]),
        *metric_rows("a/report.md", "m", [8.5, 9.0], metric="quality_score", unit=None),
    ]
    gap = _one(_findings(rows), kind="coverage_gap", subject="output quality")

    assert gap["statement"] == (
        "1 of 1 file that measures speed yields no metric of output quality (accuracy, score), "
        "so speed is compared alone there (1 file outside them holds one: report.md)."
    )


def test_a_setting_that_goes_with_another_is_named_with_it_not_compared_on_its_own():
    # The ONNX backend alone ran on the CPU: "cpu against cuda" would pool eager and jit as
    # repetitions of cuda; the backends' comparison says which hardware each ran on.
    rows = [
        *metric_rows("c/bench.json", "mlp", [0.24, 0.25, 0.23], backend="eager", hardware="cuda"),
        *metric_rows(
            "c/bench.json", "mlp", [0.21, 0.22, 0.2], start=4, backend="jit", hardware="cuda"
        ),
        *metric_rows(
            "c/bench.json", "mlp", [0.05, 0.06, 0.04], start=7, backend="onnx", hardware="cpu"
        ),
    ]
    effects = _findings(rows).filter(pl.col("kind") == "effect")

    assert effects["subject"].to_list() == ["backend"]
    assert (
        "(mlp), hardware going with backend (eager: cuda, jit: cuda, onnx: cpu): "
        in (effects["statement"][0])
    )
    assert effects["config"][0] == "hardware going with backend (eager: cuda, jit: cuda, onnx: cpu)"


def test_a_configuration_of_means_says_its_values_are_means_not_measurements():
    rows = metric_rows("r/report.md", "m", [98.1, 91.2, 85.2], metric="efficiency", unit="%")
    rows = [row | {"statistic": "mean"} for row in rows]
    configuration = _one(_findings(rows), kind="configuration")

    assert (
        "over 3 values, each a mean of several measurements (interquartile range"
        in (configuration["statement"])
    )


def _around(value: float) -> list[float]:
    """Three measurements around a value: its median, one above, one below."""
    return [value, value + 1.0, value - 1.0]


def _sweep(path: str, cells: list[tuple[dict, list[float]]]) -> list[dict]:
    """A model's rows of one file: each cell's settings measured at its values."""
    rows, start = [], 1
    for settings, values in cells:
        rows += metric_rows(path, "m", values, start=start, **settings)
        start += len(values)
    return rows


def test_a_sweep_of_one_setting_at_a_time_compares_each_at_the_others_it_shares():
    # num_gpu swept at the default num_ctx, num_ctx swept at num_gpu=999: pooled, num_ctx=2048
    # would hold the slow partial offloads and come last, though num_ctx changes nothing.
    rows = _sweep(
        "s/one_at_a_time.csv",
        [
            ({"num_gpu": 20, "num_ctx": 2048}, _around(50.0)),
            ({"num_gpu": 40, "num_ctx": 2048}, _around(80.0)),
            ({"num_gpu": 999, "num_ctx": 2048}, _around(120.0)),
            ({"num_gpu": 999, "num_ctx": 512}, _around(120.5)),
            ({"num_gpu": 999, "num_ctx": 4096}, _around(119.5)),
        ],
    )
    found = _findings(rows)
    by_ctx = _one(found, kind="effect", subject="num_ctx")
    by_gpu = _one(found, kind="effect", subject="num_gpu")

    assert by_ctx["n"] == 9  # the three num_ctx at num_gpu=999, not the 15 rows
    assert sorted(by_ctx["level_medians"]) == [119.5, 120.0, 120.5]
    assert by_ctx["verdict"] != "significant"
    assert (
        "at the one setting every num_ctx was measured at (num_gpu=999): " in (by_ctx["statement"])
    )
    assert by_ctx["config"] == "at the one setting every num_ctx was measured at (num_gpu=999)"
    assert by_gpu["n"] == 9  # the three num_gpu at num_ctx=2048
    assert by_gpu["levels"][0] == "num_gpu=999"
    assert "(num_ctx=2048)" in by_gpu["statement"]


def test_a_full_sweep_compares_each_setting_over_the_whole_grid_without_words():
    cells = [
        ({"num_gpu": gpu, "num_ctx": ctx}, [float(gpu // 10 + ctx // 512 + i) for i in range(3)])
        for gpu in (40, 80)
        for ctx in (512, 1024)
    ]
    found = _findings(_sweep("s/grid.csv", cells))

    for subject in ("num_gpu", "num_ctx"):
        effect = _one(found, kind="effect", subject=subject)
        assert effect["n"] == 12
        assert "measured at" not in effect["statement"]


def test_a_level_measured_at_none_of_the_settings_the_others_share_is_named_not_compared():
    rows = _sweep(
        "s/partial.csv",
        [
            ({"num_gpu": 20, "num_ctx": 512}, _around(50.0)),
            ({"num_gpu": 999, "num_ctx": 512}, _around(120.0)),
            ({"num_gpu": 20, "num_ctx": 1024}, _around(49.0)),
            ({"num_gpu": 999, "num_ctx": 1024}, _around(119.0)),
            ({"num_gpu": 40, "num_ctx": 8192}, _around(70.0)),
        ],
    )
    by_ctx = _one(_findings(rows), kind="effect", subject="num_ctx")

    assert by_ctx["n"] == 12
    assert "num_ctx=8192" not in by_ctx["levels"]
    assert (
        "at the 2 settings of num_gpu every num_ctx was measured at; not compared, measured at "
        "none of them: num_ctx=8192: "
    ) in by_ctx["statement"]


def test_settings_raised_together_are_compared_once_with_each_other_named():
    rows = _sweep(
        "s/together.csv",
        [
            ({"num_gpu": 20, "num_ctx": 512}, _around(50.0)),
            ({"num_gpu": 40, "num_ctx": 1024}, _around(80.0)),
            ({"num_gpu": 999, "num_ctx": 2048}, _around(120.0)),
        ],
    )
    effects = _findings(rows).filter(pl.col("kind") == "effect")
    by_gpu = _one(effects, subject="num_gpu")

    assert effects.height == 1  # num_ctx's medians would be the same numbers again
    assert by_gpu["n"] == 9
    assert (
        "(m), num_ctx going with num_gpu (20: 512, 40: 1024, 999: 2048): " in (by_gpu["statement"])
    )


def test_a_named_setting_is_held_as_a_numeric_one_is():
    # Backends compared at one request in flight; the concurrency sweep ran on vllm alone.
    rows = _sweep(
        "s/serving.json",
        [
            ({"backend": "vllm", "concurrency": 1}, _around(40.0)),
            ({"backend": "vllm", "concurrency": 8}, _around(30.0)),
            ({"backend": "vllm", "concurrency": 32}, _around(20.0)),
            ({"backend": "sglang", "concurrency": 1}, _around(42.0)),
        ],
    )
    by_backend = _one(_findings(rows), kind="effect", subject="backend")

    assert by_backend["n"] == 6
    assert sorted(by_backend["level_medians"]) == [40.0, 42.0]
    assert (
        "at the one setting every backend was measured at (concurrency=1): "
        in (by_backend["statement"])
    )


def test_settings_swept_each_where_the_other_is_unstated_are_both_compared():
    # Two sweeps of one setting each, the other left at a default the file does not state,
    # and two runs that state both: neither setting goes with the other.
    rows = _sweep(
        "s/defaults_unstated.csv",
        [
            *[({"num_gpu": gpu}, _around(base)) for gpu, base in ((20, 50), (40, 80))],
            ({"num_gpu": 999}, _around(120.0)),
            *[({"num_ctx": ctx}, _around(base)) for ctx, base in ((512, 60), (1024, 90))],
            ({"num_ctx": 4096}, _around(130.0)),
            ({"num_gpu": 20, "num_ctx": 512}, _around(51.0)),
            ({"num_gpu": 999, "num_ctx": 4096}, _around(121.0)),
        ],
    )
    found = _findings(rows)
    by_gpu = _one(found, kind="effect", subject="num_gpu")
    by_ctx = _one(found, kind="effect", subject="num_ctx")

    assert (
        "at the one setting every num_gpu was measured at (num_ctx not stated): "
        in (by_gpu["statement"])
    )
    assert by_gpu["n"] == 9 and by_ctx["n"] == 9
    assert "going with" not in by_gpu["statement"] + by_ctx["statement"]


def test_a_setting_swept_where_another_is_unstated_is_not_taken_for_that_ones():
    # num_gpu swept at num_ctx=2048; num_ctx swept with no num_gpu stated: num_ctx is not
    # "going with num_gpu", and its levels are compared where num_gpu is unstated alike.
    rows = _sweep(
        "s/ctx_alone.csv",
        [
            *[
                ({"num_gpu": gpu, "num_ctx": 2048}, _around(base))
                for gpu, base in ((20, 50), (40, 80), (999, 120))
            ],
            ({"num_ctx": 512}, _around(120.5)),
            ({"num_ctx": 1024}, _around(119.5)),
        ],
    )
    by_ctx = _one(_findings(rows), kind="effect", subject="num_ctx")

    assert sorted(by_ctx["levels"]) == ["num_ctx=1024", "num_ctx=512"]
    assert (
        "at the one setting every num_ctx was measured at (num_gpu not stated); not compared, "
        "measured at none of them: num_ctx=2048: "
    ) in by_ctx["statement"]


def test_a_level_that_never_states_a_setting_the_others_vary_is_not_pooled_with_them():
    rows = _sweep(
        "s/never_stated.csv",
        [
            *[
                ({"num_gpu": gpu, "num_ctx": 2048}, _around(base))
                for gpu, base in ((20, 50), (40, 80), (999, 120))
            ],
            *[
                ({"num_gpu": gpu, "num_ctx": 4096}, _around(base))
                for gpu, base in ((20, 49), (999, 119))
            ],
            ({"num_ctx": 512}, _around(100.0)),
        ],
    )
    by_ctx = _one(_findings(rows), kind="effect", subject="num_ctx")

    assert by_ctx["n"] == 12  # 2048 and 4096 at num_gpu 20 and 999: not 2048's num_gpu=40
    assert (
        "at the 2 settings of num_gpu every num_ctx was measured at; not compared, measured at "
        "none of them: num_ctx=512: "
    ) in by_ctx["statement"]


def test_a_level_left_out_that_holds_some_of_the_shared_settings_is_not_said_to_hold_none():
    # num_ctx=1024 and 4096 share num_gpu 20 and 30; 2048 ran at 20 alone, 512 at neither.
    cells = {512: (10, 40), 1024: (10, 20, 30), 2048: (20,), 4096: (20, 30, 40)}
    rows = _sweep(
        "s/some.csv",
        [
            ({"num_ctx": ctx, "num_gpu": gpu}, [100.0 + ctx / 1000 + gpu / 10])
            for ctx, gpus in cells.items()
            for gpu in gpus
        ],
    )
    by_ctx = _one(_findings(rows), kind="effect", subject="num_ctx")

    assert sorted(by_ctx["levels"]) == ["num_ctx=1024", "num_ctx=4096"]
    assert (
        "at the 2 settings of num_gpu every num_ctx was measured at; not compared, measured at "
        "none of them: num_ctx=512; at only some of them: num_ctx=2048: "
    ) in by_ctx["statement"]


def test_a_comparison_of_means_says_its_values_are_means_not_measurements():
    # A compile benchmark writes each backend's mean time over its iterations: one value a
    # level is not one measurement.
    rows = [
        *metric_rows(
            "c/bench.json", "mlp", [0.24], metric="mean_time_ms", unit="ms", backend="eager"
        ),
        *metric_rows("c/bench.json", "mlp", [0.05], "mean_time_ms", "ms", start=2, backend="onnx"),
    ]
    rows = [row | {"statistic": "mean"} for row in rows]
    effect = _one(_findings(rows), kind="effect", subject="backend")

    assert effect["statement"].startswith(
        "In bench.json (mlp), values, each a mean of several measurements: mean_time_ms by backend"
    )
    assert effect["statement"].endswith("; one value per level, so no test can tell them apart.")


def _table(path: str, number: int, cells: list[tuple[dict, list[float]]]) -> list[dict]:
    """A model's rows of one Markdown table of a report: each cell's settings at its values."""
    rows = _sweep(path, cells)
    for i, row in enumerate(rows, 1):
        row.update(locator=f"table {number} row {i}", format="markdown")
    return rows


def test_a_setting_two_tables_of_a_report_vary_is_compared_in_one_table_not_pooled():
    # Two scenarios of one report, each sweeping num_gpu: pooled, the baseline's slow runs
    # would pass for spread at every num_gpu, and the tuned scenario's for a faster num_gpu.
    report = "r/report.md"
    baseline = [({"num_gpu": g}, _around(v)) for g, v in ((60, 50.0), (80, 80.0), (120, 95.0))]
    tuned = [({"num_gpu": g}, [v, v + 0.5, v - 0.5, v]) for g, v in ((60, 200.0), (80, 199.0))]
    found = _findings(_table(report, 1, baseline) + _table(report, 2, tuned))
    by_gpu = _one(found, kind="effect", subject="num_gpu")

    assert by_gpu["n"] == 9  # table 1's three levels, where num_gpu has most measurements
    assert sorted(by_gpu["level_medians"]) == [50.0, 80.0, 95.0]
    assert by_gpu["statement"].startswith("In report.md (m, table 1): ")
    assert by_gpu["config"] == "table 1"


def test_settings_swept_in_separate_tables_are_each_compared_in_their_own():
    report = "r/sweeps.md"
    gpu_sweep = [({"num_gpu": g}, _around(v)) for g, v in ((40, 60.0), (80, 90.0), (999, 120.0))]
    ctx_sweep = [({"num_ctx": c}, _around(v)) for c, v in ((512, 121.0), (2048, 120.0))]
    found = _findings(_table(report, 1, gpu_sweep) + _table(report, 3, ctx_sweep))

    assert "(m, table 1)" in _one(found, kind="effect", subject="num_gpu")["statement"]
    by_ctx = _one(found, kind="effect", subject="num_ctx")
    assert "(m, table 3)" in by_ctx["statement"]
    assert by_ctx["n"] == 6


def test_a_setting_that_only_changes_from_table_to_table_is_compared_across_them():
    # A section per GPU, each with the same rows: the GPU is compared over both tables.
    report = "r/gpus.md"
    tables = [
        _table(
            report,
            n,
            [({"hardware": gpu, "num_ctx": c}, _around(v + c / 1024)) for c in (512, 2048)],
        )
        for n, gpu, v in ((1, "RTX 4090", 100.0), (2, "RTX 3090", 70.0))
    ]
    found = _findings(tables[0] + tables[1])
    by_gpu = _one(found, kind="effect", subject="hardware")

    assert by_gpu["n"] == 12
    assert by_gpu["levels"] == ["RTX 4090", "RTX 3090"]
    assert "table" not in by_gpu["statement"]
    assert "(m, table " in _one(found, kind="effect", subject="num_ctx")["statement"]
