"""What changed, run after run, through the history's own stages (no Prefect): the news each run
tells, the findings it adds, and what the store keeps."""

from __future__ import annotations

import polars as pl

from tasks.history.lifecycle import CHART_FOLDER
from tasks.history.store import read_history
from tests.tasks.history.piles import Q4, Q8, SLOWER, Runs, slow_down, write_nights


def test_dated_run_folders_form_series_on_the_first_run_in_time_order(tmp_path):
    sources = tmp_path / "bench"
    write_nights(sources, 14, lambda night, model: 1.0 if night < 7 else 0.75, models=(Q4,))

    history, findings, events, _ = Runs(tmp_path, sources).run()

    series = history.view.series.filter(pl.col("metric") == "throughput_tok_s")
    assert series["points"].to_list() == [14]
    times = history.view.points.filter(pl.col("series_id") == series["series_id"][0])["time"]
    assert times.is_sorted() and times.n_unique() == 14
    (change,) = history.view.news.filter(pl.col("metric") == "throughput_tok_s").iter_rows(
        named=True
    )
    # The step landed on night 7; one night either way is the generator's noise (a run of four
    # values from a 70-80 tok/s range can sit 8% low).
    assert change["kind"] == "regression" and abs(change["position"] - 7) <= 1
    assert -32 < change["change_pct"] < -18
    assert "regression" in findings["kind"].to_list()
    assert [e["payload"]["finding_id"] for e in events] == [change["finding_id"]]


def test_a_second_run_with_a_file_made_slower_reports_the_regression_with_its_size(tmp_path):
    sources = tmp_path / "bench"
    (csv,) = write_nights(sources, 1, lambda night, model: 1.0, models=(Q4, Q8), seed=1)
    runs = Runs(tmp_path, sources)
    first, first_findings, first_events, _ = runs.run()
    slow_down(csv, SLOWER)

    second, findings, events, stage = runs.run()

    assert first.view.first_of_pile and first.view.news.is_empty() and not first_events
    regressions = findings.filter(pl.col("kind") == "regression")
    assert regressions.height == 2  # both models in the file
    for statement in regressions["statement"]:
        assert "throughput" in statement and "fell 15.0%" in statement
    news = second.view.news
    assert sorted(news["finding_id"].to_list()) == sorted(regressions["finding_id"].to_list())
    for series_id in news["series_id"]:
        assert (stage / CHART_FOLDER / f"{series_id}.png").read_bytes()[:4] == b"\x89PNG"
    assert {e["payload"]["magnitude_pct"] for e in events} == {
        round(c, 3) for c in news["change_pct"]
    }
    stored = read_history(runs.out / "history")
    assert stored.runs.height == 2
    assert stored.measurements["measurement_key"].is_duplicated().sum() == 0
    assert (
        stored.runs["measurements_added"][1]
        == stored.measurements.filter(pl.col("sha256") != stored.measurements["sha256"][0]).height
    )


def test_a_re_render_of_unchanged_files_tells_the_same_news_and_sends_no_event(tmp_path):
    sources = tmp_path / "bench"
    (csv,) = write_nights(sources, 1, lambda night, model: 1.0, models=(Q4,), seed=2)
    runs = Runs(tmp_path, sources)
    runs.run()
    slow_down(csv, SLOWER)
    _, news_findings, news_events, _ = runs.run()

    again, findings, events, _ = runs.run()

    assert not again.view.brings_news
    assert events == [] and len(news_events) == 1
    told = ["regression", "improvement"]
    assert (
        findings.filter(pl.col("kind").is_in(told))["statement"].to_list()
        == news_findings.filter(pl.col("kind").is_in(told))["statement"].to_list()
    )
    stored = read_history(runs.out / "history")
    assert stored.runs["measurements_added"].to_list()[2] == 0
    assert stored.runs["reported_run_id"][2] == stored.runs["run_id"][1]


def test_new_and_removed_configurations_are_findings_once_the_pile_has_a_run(tmp_path):
    sources = tmp_path / "bench"
    night_0, _ = write_nights(sources, 2, lambda night, model: 1.0, models=(Q4,), seed=3)
    runs = Runs(tmp_path, sources)
    runs.run()
    write_nights(sources, 1, lambda night, model: 1.0, models=(Q8,), seed=4, first_night=5)
    night_0.unlink()  # q4_0's series go on with night 1

    history, findings, _, _ = runs.run()

    kinds = findings["kind"].to_list()
    assert kinds.count("new_configuration") == 2  # q8_0's throughput and time to first token
    assert "removed_configuration" not in kinds  # q4_0 still has night 1
    new = findings.filter(pl.col("kind") == "new_configuration")["statement"]
    assert all(Q8 in statement for statement in new)

    for csv in sources.rglob("prompt_suite_runs.csv"):
        if Q8 not in csv.read_text():
            csv.unlink()  # q4_0 is gone altogether

    history, findings, _, _ = runs.run()

    removed = findings.filter(pl.col("kind") == "removed_configuration")["statement"]
    assert removed.len() == 2 and all(Q4 in statement for statement in removed)
    assert history.view.brings_news


def test_quarantined_rows_never_enter_a_series(tmp_path):
    sources = tmp_path / "bench"
    (csv,) = write_nights(sources, 1, lambda night, model: 1.0, models=(Q4,), seed=5)
    frame = pl.read_csv(csv)
    failed = frame.with_columns(
        pl.lit(0.0).alias("tokens_s"), pl.lit("Connection refused").alias("error")
    )
    pl.concat([frame, failed.with_columns(pl.col("prompt_index") + 5)]).write_csv(csv)

    history, *_ = Runs(tmp_path, sources).run()

    values = history.view.measurements.filter(pl.col("metric") == "throughput_tok_s")["value"]
    assert values.min() > 0  # the zero-throughput failed records are not in any series
