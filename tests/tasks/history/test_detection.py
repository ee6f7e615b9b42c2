"""Change detection on one series: steps are found with their size, noise is not alerted on."""

from __future__ import annotations

import numpy as np
import pytest

from tasks.history.detection import EDIVISIVE, LOOKBACK_TEST, detect


def runs(medians: list[float], spread: float = 0.01, per_run: int = 4, seed: int = 0):
    """Runs of `per_run` repetitions around each median, `spread` relative (within a run)."""
    rng = np.random.default_rng(seed)
    return [m * (1 + rng.normal(0, spread, per_run)) for m in medians]


def test_a_fifteen_percent_drop_between_two_runs_is_a_change_of_that_size():
    series = runs([75.0, 75.0 * 0.85])

    found = detect(series)

    assert found.status == "short"
    (change,) = found.changes
    assert change.position == 1
    assert change.method == LOOKBACK_TEST
    assert change.change_pct == pytest.approx(-15, abs=2)
    assert change.p_value < 0.01


def test_two_runs_that_overlap_are_not_a_change_even_when_their_medians_differ():
    # Runs whose repetitions scatter 6% (at most 8% keeps them "stable"): 10% apart, they
    # overlap, so with two runs nothing tells a step from the spread.
    series = [np.array([70.0, 76.0, 80.0, 74.0]), np.array([66.0, 68.0, 71.0, 64.0])]

    assert detect(series).changes == []


def test_a_step_in_a_long_stable_series_is_placed_at_the_step():
    rng = np.random.default_rng(3)
    medians = list(75 * (1 + rng.normal(0, 0.015, 12))) + list(60 * (1 + rng.normal(0, 0.015, 8)))

    found = detect(runs(medians, seed=4))

    assert found.status == "stable"
    placed = [c for c in found.changes if c.method == EDIVISIVE]
    assert [c.position for c in placed] == [12]
    assert placed[0].change_pct == pytest.approx(-20, abs=3)
    assert placed[0].before_points == 12 and placed[0].after_points == 8


def test_a_flat_stable_series_has_no_change():
    rng = np.random.default_rng(5)
    medians = list(75 * (1 + rng.normal(0, 0.015, 25)))

    found = detect(runs(medians, seed=6))

    assert found.status == "stable"
    assert found.changes == []


def test_a_series_that_scatters_from_run_to_run_is_unstable_and_never_alerts():
    rng = np.random.default_rng(7)
    medians = list(75 * (1 + rng.normal(0, 0.12, 12))) + list(55 * (1 + rng.normal(0, 0.12, 8)))

    found = detect(runs(medians, seed=8))

    assert found.status == "unstable"
    assert found.noise_pct > 6
    assert found.changes == []


def test_runs_whose_repetitions_scatter_are_unstable_from_the_second_run():
    series = runs([75.0, 55.0], spread=0.15, per_run=6, seed=9)

    found = detect(series)

    assert found.status == "unstable"
    assert found.changes == []


def test_one_run_is_a_single_point_with_nothing_to_compare():
    found = detect(runs([75.0]))

    assert found.status == "single"
    assert found.changes == []
