from pathlib import Path

import matplotlib.image
import polars as pl
import pytest

from tasks.report.charts import (
    plot_agent_calls_over_runs,
    plot_throughput_by_model,
    plot_ttft_distribution,
    write_charts,
)
from tasks.schemas import AGENT_CALLS, METRICS, conform, empty

METRIC_ROWS = conform(
    pl.DataFrame(
        [
            {
                "source_path": f"b/{model}.csv",
                "locator": f"row {i}",
                "metric": metric,
                "value": value * (1 + i / 10),
                "model": model,
                "config": config,
                "prompt_index": i,
                "status": "passed",
            }
            for model, config, base in (
                ("m1", "fast", 100.0),
                ("m1", "slow", 60.0),
                ("m2", "default", 30.0),
            )
            for i in range(1, 5)
            for metric, value in (("throughput_tok_s", base), ("ttft_ms", 2000.0 / base))
        ],  # fmt: skip
        infer_schema_length=None,
    ),
    METRICS,
)
CALL_ROWS = conform(
    pl.DataFrame(
        [
            {
                "run": run,
                "agent": agent,
                "persona": persona,
                "attempt": attempt,
                "tokens_per_s": 20.0 + run + attempt,
                "ttft_ms": 900.0 - 50 * run,
                "total_ms": 3000.0 + 100 * run,
            }
            for run in (1, 2, 3)
            for agent, persona in (("A", "DataCollector"), ("B", "InsightAgent"))
            for attempt in range(1 if agent == "A" else 2)
        ]  # fmt: skip
    ),
    AGENT_CALLS,
)


def _opens_as_image(path: Path) -> tuple[int, int]:
    pixels = matplotlib.image.imread(path)
    height, width = pixels.shape[:2]
    return width, height


def test_write_charts_writes_three_pngs_that_open_at_a_legible_size(tmp_path: Path):
    charts = write_charts(METRIC_ROWS, CALL_ROWS, tmp_path / "charts")

    assert set(charts) == {"throughput_by_model", "ttft_distribution", "agent_calls_over_runs"}
    for path in charts.values():
        assert path.parent == tmp_path / "charts"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = _opens_as_image(path)
        assert 600 <= width <= 2000
        assert 200 <= height <= 2000


@pytest.mark.parametrize(
    ("plot", "frame"),
    [
        (plot_throughput_by_model, METRIC_ROWS),
        (plot_ttft_distribution, METRIC_ROWS),
        (plot_agent_calls_over_runs, CALL_ROWS),
    ],
)
def test_each_plot_returns_the_path_it_wrote(tmp_path: Path, plot, frame):
    target = tmp_path / "nested" / "chart.png"

    assert plot(frame, target) == target
    assert target.is_file()


def test_empty_tables_still_give_images_so_report_links_do_not_break(tmp_path: Path):
    charts = write_charts(empty(METRICS), empty(AGENT_CALLS), tmp_path)

    assert len(charts) == 3
    for path in charts.values():
        width, height = _opens_as_image(path)
        assert width > 300 and height > 100


def test_quarantined_rows_are_not_drawn(tmp_path: Path):
    quarantined = METRIC_ROWS.with_columns(status=pl.lit("quarantined"))

    path = plot_throughput_by_model(quarantined, tmp_path / "t.png")
    placeholder = plot_throughput_by_model(empty(METRICS), tmp_path / "p.png")

    assert _opens_as_image(path) == _opens_as_image(placeholder)
