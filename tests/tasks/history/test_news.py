"""A regression as the reader meets it: the report's section, the agents' checked claims, the
event an automation gets and `chimera history`'s listing."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from flows.cli import main
from tasks.agents.claims import Claim
from tasks.agents.guard.claims import check_claims
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tasks.history.events import REGRESSION_DETECTED, regression_events
from tasks.report.changes import ChangesContext, render_what_changed
from tests.tasks.history.piles import Q4, SLOWER, Runs, slow_down, write_nights


@pytest.fixture(scope="module")
def regressed(tmp_path_factory):
    """Two runs of one pile, the second with its file 15% slower."""
    root = tmp_path_factory.mktemp("regressed")
    sources = root / "bench"
    (csv,) = write_nights(sources, 1, lambda night, model: 1.0, models=(Q4,), seed=11)
    runs = Runs(root, sources)
    runs.run()
    slow_down(csv, SLOWER)
    history, findings, events, stage = runs.run()
    return runs, history, findings, events, stage


def _regression(findings: pl.DataFrame) -> dict:
    (row,) = findings.filter(pl.col("kind") == "regression").iter_rows(named=True)
    return row


def test_the_section_names_the_regression_with_its_size_and_its_chart(regressed):
    _, history, findings, _, stage = regressed
    context = ChangesContext(
        brings_news=True,
        first_of_pile=False,
        series=history.view.series,
        changes=history.view.changes,
        charts=history.charts,
        history="out/history",
    )

    section = render_what_changed(findings, context, stage / "reports")

    finding = _regression(findings)
    assert section.startswith("## What changed since the last run")
    assert "fell 15.0%" in section and f"({finding['finding_id']})" in section
    (series_id,) = history.view.news["series_id"].to_list()
    assert f"](charts/history/{series_id}.png)" in section


def test_a_claim_that_says_the_throughput_dropped_passes_the_guard_and_a_best_does_not(
    regressed,
):
    _, _, findings, _, _ = regressed
    finding_id = _regression(findings)["finding_id"]
    claims = [
        Claim(
            "executive_summary",
            finding_id,
            "The throughput of one configuration dropped compared with its earlier runs",
        ),
        Claim("risks", finding_id, "The throughput is the best of the earlier runs", "Re-run it"),
        Claim("gaps", finding_id, "The throughput of one configuration dropped since then"),
    ]

    # The claims span both agents' sections.
    checked = check_claims(claims, findings, DATA_COLLECTOR.outline + INSIGHT_AGENT.outline)

    assert checked.accepted("executive_summary")
    (best,) = checked.checked["risks"]
    assert any('"best" needs a finding with a significant best' in r for r in best.reasons)
    (misplaced,) = checked.checked["gaps"]
    assert any("does not belong in gaps" in r for r in misplaced.reasons)


def test_the_agents_see_the_regression_in_words_alone(regressed):
    _, _, findings, _, _ = regressed

    finding = _regression(findings)

    assert not any(ch.isdigit() for ch in finding["gist"])
    assert 15.0 in finding["numbers"]  # the claim is published with the finding's numbers


def test_one_event_per_regression_with_its_size_confidence_and_runs(regressed):
    runs, history, findings, events, _ = regressed

    (event,) = events
    (change,) = history.view.news.iter_rows(named=True)
    assert event["event"] == REGRESSION_DETECTED
    assert event["resource"]["prefect.resource.id"] == f"chimera.series.{change['series_id']}"
    assert event["resource"]["chimera.model"] == Q4
    assert event["payload"]["magnitude_pct"] == pytest.approx(-15, abs=0.5)
    assert 0.99 < event["payload"]["confidence"] <= 1
    assert event["payload"]["runs_after"] and event["payload"]["runs_before"]
    assert event["payload"]["finding_id"] == _regression(findings)["finding_id"]
    # Sent again (a run repeated after a crash), the same change keeps its id.
    again = regression_events(history.view.changes, str(runs.out), None)
    assert [e["id"] for e in again] == [event["id"]]


def test_chimera_history_lists_the_series_runs_in_time_order_with_the_change(regressed, capsys):
    runs, history, _, _, _ = regressed

    assert main(["history", str(runs.out), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert main(["history", str(runs.out)]) == 0
    text = capsys.readouterr().out

    assert listed["runs"] == 2
    (series,) = [s for s in listed["series"] if s["metric"] == "throughput_tok_s"]
    assert len(series["runs"]) == 2
    assert series["runs"][0]["first_read"] < series["runs"][1]["first_read"]
    (change,) = series["change_points"]
    assert change["kind"] == "regression" and change["at_run"] == 1
    assert series["trend_pct"] == pytest.approx(change["change_pct"])
    assert "change: regression -15." in text
    assert main(["history", str(Path(runs.out) / "nowhere")]) == 2
