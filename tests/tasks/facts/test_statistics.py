import math

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from tasks.facts.statistics import (
    BOOTSTRAP_MAX_N,
    THROUGHPUT,
    TTFT,
    bootstrap_change_ci,
    bootstrap_mean_ci,
    cliffs_delta,
    compare,
    median_ci,
    runs_needed,
    smallest_exact_p,
    summarize,
    summarize_groups,
)


def test_summary_gives_mean_sd_and_linear_percentiles():
    summary = summarize([1.0, 2.0, 3.0, 4.0, 5.0])

    assert summary.n == 5
    assert summary.mean == pytest.approx(3.0)
    assert summary.std == pytest.approx(math.sqrt(2.5))  # sample SD, n - 1
    assert summary.p50 == pytest.approx(3.0)
    assert summary.p95 == pytest.approx(4.8)  # 1 + 0.95 * 4 positions along the sorted values
    assert summary.ci_low is None and summary.ci_high is None  # five runs: no 95% interval
    six = summarize([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert 1.0 <= six.ci_low < 3.5 < six.ci_high <= 6.0


def test_two_runs_a_side_give_no_interval_of_the_change():
    # Resampling two values per side only ever reaches their extremes: no 95% interval.
    assert bootstrap_change_ci([56.68, 65.72], [67.37, 72.77]) is None
    assert bootstrap_change_ci([1.0, 2, 3, 4, 5, 6], [2.0, 3, 4, 5, 6, 7]) is not None


def test_one_value_has_no_spread_and_no_interval():
    summary = summarize([7.0, float("nan")])

    assert (summary.n, summary.mean, summary.std, summary.ci_low) == (1, 7.0, None, None)


def test_bootstrap_interval_is_seeded_and_narrows_with_more_data():
    rng = np.random.default_rng(5)
    few, many = rng.normal(100, 10, 8), rng.normal(100, 10, 200)

    assert bootstrap_mean_ci(few) == bootstrap_mean_ci(few)
    low_few, high_few = bootstrap_mean_ci(few)
    low_many, high_many = bootstrap_mean_ci(many)
    assert high_many - low_many < high_few - low_few


def test_cliffs_delta_is_the_rank_biserial_of_mann_whitney():
    a = [1.0, 4.0, 6.0, 6.0, 9.0]
    b = [2.0, 6.0, 7.0, 8.0]
    u = mannwhitneyu(b, a).statistic

    assert cliffs_delta(a, b) == pytest.approx(2 * u / (len(a) * len(b)) - 1)
    assert cliffs_delta([1.0, 2.0], [3.0, 4.0]) == 1.0
    assert cliffs_delta([3.0, 4.0], [1.0, 2.0]) == -1.0


def test_exact_test_needs_four_runs_per_agent_to_reach_five_percent():
    assert smallest_exact_p(2, 2) == pytest.approx(1 / 3)
    assert smallest_exact_p(4, 4) == pytest.approx(2 / 70)
    assert runs_needed() == 4


def test_clearly_higher_throughput_for_b_reads_b_is_faster_with_the_change():
    a = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0]  # mean 103.5
    b = [112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0]  # mean 115.5

    result = compare(a, b, THROUGHPUT)

    assert result.significant
    assert result.delta == 1.0
    assert result.verdict.startswith("B is faster: B's mean throughput is 11.6% higher than A's")
    assert "Cliff's delta +1.00 (large)" in result.verdict
    assert result.change_ci_low < result.change_pct < result.change_ci_high


def test_lower_ttft_for_b_is_faster_and_higher_throughput_for_a_favours_a():
    a = [200.0, 210.0, 220.0, 230.0, 240.0]
    b = [100.0, 110.0, 120.0, 130.0, 140.0]

    assert compare(a, b, TTFT).verdict.startswith("B is faster: B's mean time to first token")
    assert "lower than A's" in compare(a, b, TTFT).verdict
    assert compare(a, b, THROUGHPUT).verdict.startswith("A is faster")


def test_overlapping_samples_give_no_significant_difference_with_p():
    a = [10.0, 12.0, 14.0, 16.0, 18.0]
    b = [11.0, 13.0, 15.0, 17.0, 19.0]

    result = compare(a, b, THROUGHPUT)

    assert not result.significant
    assert result.verdict.startswith(f"no significant difference in throughput (p={result.p:.3f}")


def test_two_runs_each_say_the_test_cannot_decide_and_how_many_runs_it_needs():
    verdict = compare([10.0, 11.0], [20.0, 21.0], THROUGHPUT).verdict

    assert verdict.startswith("too few runs to test throughput")
    assert "cannot go below 0.333" in verdict
    assert "needs 4 runs per agent" in verdict


def test_one_run_each_gives_no_test_and_no_effect_size_only_the_change():
    result = compare([24.0], [45.8], THROUGHPUT)

    assert (result.u, result.p, result.delta) == (None, None, None)
    assert result.change_pct == pytest.approx(90.83, abs=0.01)
    assert result.verdict.startswith("too few runs to test throughput")
    # one run against many is a test (1 against 40 can reach p < 0.05)
    assert compare([24.0], [40.0 + i / 10 for i in range(40)], THROUGHPUT).p is not None


def test_identical_values_are_no_difference_and_a_missing_side_is_said():
    assert compare([5.0, 5.0, 5.0, 5.0], [5.0] * 4, THROUGHPUT).p == 1.0
    assert (
        compare([], [1.0], THROUGHPUT).verdict
        == "no throughput to compare (A has 0 measured calls, B has 1)"
    )


def test_summarize_groups_keeps_group_order_and_keys():
    import polars as pl

    frame = pl.DataFrame({"config": ["B1", "A1", "B1"], "value": [2.0, 1.0, 4.0]})

    stats = summarize_groups(frame, ["config"], "value")

    assert stats.get_column("config").to_list() == ["B1", "A1"]
    assert stats.row(0, named=True)["mean"] == pytest.approx(3.0)
    assert stats.row(1, named=True)["std"] is None


def test_cliffs_delta_counts_every_pair_as_the_definition_does():
    rng = np.random.default_rng(3)
    for _ in range(50):
        a = rng.integers(0, 6, rng.integers(1, 40)).astype(float)  # many ties
        b = rng.integers(0, 6, rng.integers(1, 40)).astype(float)
        pairs = b[:, None] - a[None, :]
        assert cliffs_delta(a, b) == pytest.approx(
            (np.sum(pairs > 0) - np.sum(pairs < 0)) / pairs.size
        )


def test_big_groups_are_compared_without_a_matrix_of_every_pair():
    # 200,000 x 200,000 differences would be 320 GB: this must not build them.
    rng = np.random.default_rng(4)
    a, b = rng.normal(50, 5, 200_000), rng.normal(51, 5, 200_000)

    assert 0.05 < cliffs_delta(a, b) < 0.2


def test_median_interval_of_a_big_sample_holds_the_median_and_agrees_with_the_bootstrap():
    rng = np.random.default_rng(6)
    big = rng.lognormal(3, 0.3, 500_000)
    low, high = median_ci(big)

    assert low < np.median(big) < high
    assert high - low < 0.01 * np.median(big)
    # Either side of the size where the method changes, the two intervals agree closely.
    edge = rng.lognormal(3, 0.3, BOOTSTRAP_MAX_N + 1)
    bootstrap = median_ci(edge[:-1])
    order_statistics = median_ci(edge)
    assert order_statistics == pytest.approx(bootstrap, rel=0.01)
