import polars as pl
import pytest

from tasks.report.findings import (
    best_and_worst,
    cold_starts,
    failed_runs_by_folder,
    few_repetitions,
    render_findings,
)
from tasks.schemas import FILES, METRICS, conform


def _row(metric, value, *, model="m1", config=None, source="bench/a.csv", locator="row 1",
         prompt_index=None, status="passed"):  # fmt: skip
    return {
        "source_path": source,
        "locator": locator,
        "metric": metric,
        "value": value,
        "model": model,
        "config": config,
        "prompt_index": prompt_index,
        "status": status,
    }


def _metrics(rows: list[dict]) -> pl.DataFrame:
    return conform(pl.DataFrame(rows, infer_schema_length=None), METRICS)


def _throughput(config: str, values: list[float], model: str = "m1") -> list[dict]:
    return [
        _row("throughput_tok_s", v, model=model, config=config, locator=f"{config} {i}")
        for i, v in enumerate(values)
    ]


FILES_FRAME = conform(
    pl.DataFrame(
        {
            "relative_path": ["bench/a.csv", "bench/b.csv", "other/c.json"],
            "folder": ["bench", "bench", "other"],
        }
    ),
    FILES,
)


def test_best_and_worst_rank_only_configurations_with_three_measurements():
    metrics = _metrics(
        _throughput("slow", [10.0, 11.0, 12.0])
        + _throughput("fast", [20.0, 21.0, 22.0])
        + _throughput("lucky", [99.0])  # one measurement: not ranked, however high
    )

    ranked = best_and_worst(metrics, "throughput_tok_s", "mean", higher_is_better=True)

    row = ranked.row(0, named=True)
    assert (row["best"], row["best_value"], row["worst"], row["worst_value"]) == (
        "fast",
        21.0,
        "slow",
        11.0,
    )
    assert (row["configs"], row["ranked"]) == (3, 2)
    assert row["spread_pct"] == pytest.approx(10 / 11 * 100)
    assert few_repetitions(metrics).rows() == [("m1", "lucky", 1)]


def test_quarantined_rows_do_not_rank_but_count_as_failed_runs_per_folder():
    metrics = _metrics(
        _throughput("a", [10.0, 11.0, 12.0])
        + _throughput("b", [20.0, 21.0, 22.0])
        + [
            _row(
                "throughput_tok_s",
                500.0,
                config="a",
                source="bench/b.csv",
                locator="row 9",
                status="quarantined",
            ),
            _row(
                "ttft_ms",
                1.0,
                config="a",
                source="bench/b.csv",
                locator="row 9",
                status="quarantined",
            ),
        ]  # fmt: skip
    )

    ranked = best_and_worst(metrics, "throughput_tok_s", "mean", higher_is_better=True)
    failed = failed_runs_by_folder(metrics, FILES_FRAME)

    assert ranked.row(0, named=True)["worst_value"] == 11.0
    # One failed record (two rows) among 7 records, all in folder "bench".
    assert failed.rows() == [("bench", 7, 1, pytest.approx(100 / 7))]


def test_a_first_prompt_far_above_the_models_median_is_a_cold_start():
    cold = [5000.0, 100.0, 110.0, 90.0]
    warm = [95.0, 105.0, 100.0]
    metrics = _metrics(
        [
            _row("ttft_ms", v, source="bench/a.csv", locator=f"row {i}", prompt_index=i)
            for i, v in enumerate(cold, start=1)
        ]
        + [
            _row("ttft_ms", v, source="bench/b.csv", locator=f"row {i}", prompt_index=i)
            for i, v in enumerate(warm, start=1)
        ]
    )

    found = cold_starts(metrics)

    assert found.height == 1
    row = found.row(0, named=True)
    assert (row["source_path"], row["locator"], row["first_ttft_ms"]) == (
        "bench/a.csv",
        "row 1",
        5000.0,
    )
    assert row["model_median_ms"] == 100.0  # median of all seven of m1's TTFTs
    assert row["ratio"] == pytest.approx(50.0)


def test_findings_section_reads_as_markdown_and_sets_unnamed_models_aside():
    metrics = _metrics(
        _throughput("slow", [10.0, 11.0, 12.0])
        + _throughput("fast", [20.0, 21.0, 22.0])
        + _throughput("x", [50.0, 60.0], model=None)
    )

    text = render_findings(metrics, FILES_FRAME)

    assert text.startswith("## Benchmark findings")
    assert "2 throughput and TTFT measurements do not name their model" in text
    assert "| m1 | 2 of 2 | fast | 21 | 3 | slow | 11 | 3 | 90.9% |" in text
    assert "### Cold starts\n" in text and "None found." in text
    assert "Every configuration has at least 3 throughput measurements." in text
    assert "No benchmark record was quarantined." in text


def test_long_lists_are_cut_and_say_how_many_more():
    metrics = _metrics([r for i in range(20) for r in _throughput(f"c{i:02d}", [float(i + 1)])])

    text = render_findings(metrics, FILES_FRAME)

    assert "20 of 20 configurations have fewer than 3 throughput measurements" in text
    assert "... and 5 more configurations." in text
    assert "| m1 | c14 | 1 |" in text and "| m1 | c15 | 1 |" not in text
