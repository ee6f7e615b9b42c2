import json
from pathlib import Path

import polars as pl

from tasks.report.summary import final_calls, render_summary
from tasks.schemas import AGENT_CALLS, conform, empty

OPTIONS_A = json.dumps({"num_ctx": 2048, "num_gpu": -1})
OPTIONS_B = json.dumps({"num_ctx": 2048, "num_gpu": 80})


def _call(run: int, agent: str, attempt: int, tokens_per_s: float, ttft_ms: float, **extra):
    return {
        "run": run,
        "scenario": "baseline_vs_chimera",
        "agent": agent,
        "persona": {"A": "DataCollector", "B": "InsightAgent"}[agent],
        "attempt": attempt,
        "backend": "embedded",
        "model": "smollm2-135m",
        "options": OPTIONS_A if agent == "A" else OPTIONS_B,
        "tokens_per_s": tokens_per_s,
        "ttft_ms": ttft_ms,
        "guard_verdict": "accepted" if attempt else "rejected",
        "guard_reasons": [],
        **extra,
    }


def _calls(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, infer_schema_length=None), AGENT_CALLS)


# Four runs. A's first draft in runs 1 and 2 was rejected and retried; the retry is final.
CALLS = _calls(
    [
        _call(1, "A", 0, 500.0, 9000.0),
        _call(1, "A", 1, 10.0, 1000.0),
        _call(2, "A", 0, 500.0, 9000.0),
        _call(2, "A", 1, 11.0, 1100.0),
        _call(3, "A", 0, 12.0, 1200.0),
        _call(4, "A", 0, 13.0, 1300.0),
        *[_call(run, "B", 0, 20.0 + run, 900.0 + run) for run in range(1, 5)],
    ]
)


def test_final_calls_keep_each_agents_last_attempt_per_run():
    final = final_calls(CALLS)

    a = final.filter(pl.col("agent") == "A").sort("run")
    assert a.get_column("tokens_per_s").to_list() == [10.0, 11.0, 12.0, 13.0]
    assert set(final.get_column("config")) == {"A1", "B1"}


def test_summary_states_statistics_of_the_final_calls_and_a_verdict():
    text = render_summary(CALLS)

    assert text.startswith("# Chimera Flows summary over 4 runs")
    assert "8 of 10 calls" in text
    # A's throughput over the final calls 10, 11, 12, 13: mean 11.5, p50 11.5.
    assert "| A1 | 4 | 11.50 | 1.29 | 11.50 |" in text
    # Every B above every A on throughput: with 4 runs each the exact test gives p = 2/70.
    assert "- B is faster: B's mean throughput is" in text
    assert "p=0.029" in text
    # B's TTFT is below all of A's: lower is better there, so B is faster again.
    assert "- B is faster: B's mean time to first token is" in text
    assert (
        "| A1 | A | DataCollector | embedded | smollm2-135m | num_ctx=2048, num_gpu=-1 | 4 |"
        in text
    )


def test_summary_counts_every_call_for_the_guard_table():
    text = render_summary(CALLS)

    assert "| A | DataCollector | 4 | 6 | 2 | 33.3% |" in text
    assert "| B | InsightAgent | 4 | 4 | 0 | 0.0% |" in text


def test_an_agent_whose_options_change_gets_two_configurations():
    other = json.dumps({"num_ctx": 4096, "num_gpu": -1})
    calls = pl.concat([CALLS, _calls([_call(5, "A", 0, 14.0, 1400.0, options=other)])])

    text = render_summary(calls)

    assert (
        "| A2 | A | DataCollector | embedded | smollm2-135m | num_ctx=4096, num_gpu=-1 | 1 |"
        in text
    )
    assert "| A2 | 1 | 14 | n/a | 14 | 14 | n/a (one run) |" in text


def test_chart_links_are_relative_to_the_report_folder(tmp_path: Path):
    charts = {"ttft_distribution": tmp_path / "reports" / "charts" / "ttft.png"}

    text = render_summary(CALLS, charts, report_dir=tmp_path / "reports")

    assert "![Time to first token per model, first prompts marked](charts/ttft.png)" in text


def test_no_calls_say_so():
    text = render_summary(empty(AGENT_CALLS))
    assert "No agent calls were recorded" in text
    assert "over 0 runs" not in text  # the run happened; its agents made no call


def test_two_runs_a_side_get_no_interval_and_no_effect_size_word():
    two_runs = _calls(
        [
            *[_call(run, "A", 0, value, 900.0) for run, value in ((1, 56.68), (2, 65.72))],
            *[_call(run, "B", 0, value, 800.0) for run, value in ((1, 67.37), (2, 72.77))],
        ]
    )

    text = render_summary(two_runs)

    assert "Too few runs to test throughput" in text
    assert "CI +" not in text and "CI -" not in text  # no interval of the change is claimed
    assert "+1.00 (large)" not in text
    assert "| +1.00 |" in text  # every B above every A, said as the number alone
