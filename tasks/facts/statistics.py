"""Statistics, in one place: summaries, intervals and tests of repeated measurements.

In: plain sequences of measurements (or a frame and the columns to group by). Out: summaries
(n, mean, standard deviation, p50, p95, bootstrap 95% confidence interval of the mean), robust
ones (median, interquartile range, 95% interval of the median: bootstrap, or order
statistics above BOOTSTRAP_MAX_N values), tests of several groups
(Kruskal-Wallis), and a `Comparison` of two samples (Mann-Whitney U, Cliff's delta, bootstrap
interval of the relative change) whose `verdict` is one line of words computed from those
numbers. The benchmark findings (tasks.facts.findings) and the agents' A/B summary
(tasks.report.summary) both use these. Pure: numpy and scipy, no I/O, and seeded, so the same
input always gives the same report.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tasks.markdown import p_value, signed_percent

# scipy.stats is imported in the functions that test, not with this module: it holds 61 MB
# from its import on, and a big run's memory peaks (validation, the tables' write) come before
# the first test.
CONFIDENCE = 0.95  # of every interval reported
ALPHA = 0.05  # a difference is called significant when p < ALPHA
BOOTSTRAP_RESAMPLES = 10_000
SEED = 0  # fixed: a report must not change when it is rendered again
# Resampling draws resamples x n values at once: on one 5 MB sweep CSV (groups of thousands
# of values) the findings peaked at 4.6 GB and took 27 s. The draws are made a chunk of at
# most RESAMPLE_CELLS values at a time, and above BOOTSTRAP_MAX_N values the median's interval
# comes from order statistics instead (see median_ci); with Cliff's delta counted by sorting,
# that file's findings take 0.8 s and 1.1 GB peak (the process, tables included).
RESAMPLE_CELLS = 4_000_000
BOOTSTRAP_MAX_N = 1_000
MIN_BOOTSTRAP_N = 6  # below, a bootstrap interval is about the sample's range, not a 95% one
MIN_MEDIAN_CI_N = 6  # the fewest values whose range holds the median 95% of the time (96.9%)
# Cliff's delta magnitudes (Romano et al., 2006): below each bound, the label beside it.
DELTA_MAGNITUDES = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"), (1.0, "large"))
REFERENCE_YEAR = 2006  # of the magnitude thresholds, cited in the method note
# Numbers a report states about its method rather than the data; the number checker allows them.
METHOD_NUMBERS = (
    CONFIDENCE,
    CONFIDENCE * 100,
    ALPHA,
    0.001,  # p-values below it are written "p<0.001"
    BOOTSTRAP_RESAMPLES,
    SEED,
    REFERENCE_YEAR,
    *(bound for bound, _ in DELTA_MAGNITUDES),
)


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    std: float | None  # sample standard deviation (n - 1); None below two values
    p50: float | None
    p95: float | None
    ci_low: float | None  # bootstrap interval of the mean; None below two values
    ci_high: float | None


@dataclass(frozen=True)
class MetricSpec:
    column: str  # the agent_calls column
    label: str  # how a sentence names it: "throughput"
    unit: str
    higher_is_better: bool


THROUGHPUT = MetricSpec("tokens_per_s", "throughput", "tok/s", higher_is_better=True)
TTFT = MetricSpec("ttft_ms", "time to first token", "ms", higher_is_better=False)


@dataclass(frozen=True)
class Comparison:
    metric: MetricSpec
    n_a: int
    n_b: int
    mean_a: float | None
    mean_b: float | None
    change_pct: float | None  # (mean B - mean A) / mean A, in percent
    change_ci_low: float | None  # bootstrap interval of change_pct
    change_ci_high: float | None
    u: float | None  # Mann-Whitney U of B (pairs where B is larger, ties counted half)
    p: float | None  # two-sided
    delta: float | None  # Cliff's delta, P(B > A) - P(B < A): -1 .. 1
    smallest_p: float | None  # the lowest p the test can reach with these sample sizes

    @property
    def magnitude(self) -> str | None:
        return None if self.delta is None else delta_magnitude(self.delta)

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA

    @property
    def verdict(self) -> str:
        return verdict(self)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[np.isfinite(array)]


def bootstrap_mean_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean; None below MIN_BOOTSTRAP_N values, where the
    resamples take only a handful of values and the interval is about the sample's range (two
    runs: their two values, called a 95% interval)."""
    sample = _clean(values)
    if sample.size < MIN_BOOTSTRAP_N:
        return None
    rng = np.random.default_rng(seed)
    means = _resampled_means(sample, resamples, rng)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def _resampled_means(sample: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    return np.concatenate(
        [
            sample[rng.integers(0, sample.size, (count, sample.size))].mean(axis=1)
            for count in _resample_chunks(resamples, sample.size)
        ]
    )


def bootstrap_change_ci(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float] | None:
    """Bootstrap interval of (mean B - mean A) / mean A in percent, resampling A and B apart;
    None below MIN_BOOTSTRAP_N values on either side (see bootstrap_mean_ci)."""
    sample_a, sample_b = _clean(a), _clean(b)
    if sample_a.size < MIN_BOOTSTRAP_N or sample_b.size < MIN_BOOTSTRAP_N:
        return None
    rng = np.random.default_rng(seed)
    means_a = _resampled_means(sample_a, resamples, rng)
    means_b = _resampled_means(sample_b, resamples, rng)
    if np.any(means_a == 0):
        return None  # a change relative to zero has no size
    changes = (means_b - means_a) / means_a * 100
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(changes, [tail, 100 - tail])
    return float(low), float(high)


def median_ci(
    values: Sequence[float] | np.ndarray,
    *,
    confidence: float = CONFIDENCE,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float] | None:
    """95% interval of the median; None below MIN_MEDIAN_CI_N values, where none exists: even
    the sample's whole range holds the median with probability 1 - 2**(1 - n), 93.75% at five
    values (a bootstrap there returns about that range and calls it 95%). Percentile bootstrap
    up to BOOTSTRAP_MAX_N values; above, the distribution-free interval between two order
    statistics (binomial ranks), which needs no resampling and to which the bootstrap's
    converges."""
    sample = _clean(values)
    if sample.size < MIN_MEDIAN_CI_N:
        return None
    if sample.size > BOOTSTRAP_MAX_N:
        return _order_statistic_median_ci(sample, confidence)
    rng = np.random.default_rng(seed)
    medians = np.concatenate(
        [
            np.median(sample[rng.integers(0, sample.size, (count, sample.size))], axis=1)
            for count in _resample_chunks(resamples, sample.size)
        ]
    )
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)


def _order_statistic_median_ci(sample: np.ndarray, confidence: float) -> tuple[float, float]:
    # The median lies between the j-th and (n+1-j)-th smallest values with probability
    # 1 - 2 P(Binomial(n, 1/2) < j); j is the largest rank that keeps that at `confidence`.
    from scipy.stats import binom  # imported here: see the note above CONFIDENCE

    n = sample.size
    j = max(int(binom.ppf((1 - confidence) / 2, n, 0.5)), 1)
    low, high = np.partition(sample, [j - 1, n - j])[[j - 1, n - j]]
    return float(low), float(high)


def _resample_chunks(resamples: int, size: int) -> list[int]:
    """Resamples drawn a chunk at a time, so that no chunk holds more than RESAMPLE_CELLS values."""
    per_chunk = max(1, RESAMPLE_CELLS // size)
    return [min(per_chunk, resamples - start) for start in range(0, resamples, per_chunk)]


def interquartile_range(values: Sequence[float] | np.ndarray) -> float | None:
    """p75 - p25 (linear interpolation): the spread one stray value cannot inflate."""
    sample = _clean(values)
    if sample.size < 2:
        return None
    low, high = np.percentile(sample, [25, 75])
    return float(high - low)


def kruskal_p(groups: Sequence[Sequence[float] | np.ndarray]) -> float | None:
    """Kruskal-Wallis p that the groups come from one distribution; None unless there are two
    groups and every group has two values (one value per level leaves nothing to test)."""
    samples = [_clean(g) for g in groups]
    if len(samples) < 2 or any(s.size < 2 for s in samples):
        return None
    if np.ptp(np.concatenate(samples)) == 0:
        return 1.0  # all equal: nothing to rank
    from scipy.stats import kruskal

    return float(kruskal(*samples).pvalue)


def pairwise_p(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float | None:
    """Two-sided Mann-Whitney p that two groups come from one distribution (exact for small
    groups without ties); None unless each has two values. Kruskal-Wallis on two groups is
    the same test by its chi-square approximation, which at three values a group gives
    p=0.0495 where no ordering of them is that unlikely (the exact test's lowest is 0.1)."""
    sample_a, sample_b = _clean(a), _clean(b)
    if sample_a.size < 2 or sample_b.size < 2:
        return None
    if np.ptp(np.concatenate([sample_a, sample_b])) == 0:
        return 1.0  # all equal: nothing to rank
    from scipy.stats import mannwhitneyu

    return float(mannwhitneyu(sample_a, sample_b, alternative="two-sided", method="auto").pvalue)


def smallest_kruskal_p(sizes: Sequence[int]) -> float:
    """The lowest Kruskal-Wallis p groups of these sizes can reach: every group's values apart
    from every other's. At or above ALPHA no data of these sizes can show a difference."""
    from scipy.stats import kruskal

    groups, start = [], 0
    for size in sizes:
        groups.append(np.arange(start, start + size, dtype=float))
        start += size
    return float(kruskal(*groups).pvalue)


def summarize(values: Sequence[float] | np.ndarray, *, seed: int = SEED) -> Summary:
    """n, mean, standard deviation, p50, p95 (linear interpolation) and the mean's interval."""
    sample = _clean(values)
    if sample.size == 0:
        return Summary(0, None, None, None, None, None, None)
    ci = bootstrap_mean_ci(sample, seed=seed)
    p50, p95 = np.percentile(sample, [50, 95])
    return Summary(
        n=int(sample.size),
        mean=float(sample.mean()),
        std=float(sample.std(ddof=1)) if sample.size > 1 else None,
        p50=float(p50),
        p95=float(p95),
        ci_low=ci[0] if ci else None,
        ci_high=ci[1] if ci else None,
    )


SUMMARY_COLUMNS = pl.Schema(
    {
        "n": pl.Int64,
        "mean": pl.Float64,
        "std": pl.Float64,
        "p50": pl.Float64,
        "p95": pl.Float64,
        "ci_low": pl.Float64,
        "ci_high": pl.Float64,
    }
)


def summarize_groups(frame: pl.DataFrame, by: Sequence[str], column: str) -> pl.DataFrame:
    """One row per group of `by`, in first-seen order: the group keys then SUMMARY_COLUMNS."""
    rows = []
    for keys, group in frame.group_by(list(by), maintain_order=True):
        summary = summarize(group.get_column(column).to_numpy())
        rows.append({**dict(zip(by, keys, strict=True)), **summary.__dict__})
    schema = pl.Schema({**{name: frame.schema[name] for name in by}, **SUMMARY_COLUMNS})
    return pl.DataFrame(rows, schema=schema)


def cliffs_delta(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """P(B > A) - P(B < A) over every pair: +1 when every B is larger, -1 when every B is smaller.

    Equal to the rank-biserial correlation of the Mann-Whitney U test.
    """
    sample_a, sample_b = _clean(a), _clean(b)
    if sample_a.size == 0 or sample_b.size == 0:
        raise ValueError("Cliff's delta needs at least one value in each sample")
    # Counted by binary search in sorted A, not over the n_a x n_b matrix of differences,
    # which for two groups of 64,000 values would be 33 GB.
    ordered = np.sort(sample_a)
    below = np.searchsorted(ordered, sample_b, side="left").sum()  # pairs where B > A
    above = (ordered.size - np.searchsorted(ordered, sample_b, side="right")).sum()  # B < A
    return float((below - above) / (ordered.size * sample_b.size))


def delta_magnitude(delta: float) -> str:
    size = abs(delta)
    return next(label for bound, label in DELTA_MAGNITUDES if size < bound or bound == 1.0)


def smallest_exact_p(n_a: int, n_b: int) -> float:
    """The lowest two-sided p the exact Mann-Whitney test reaches: all of B above all of A."""
    return min(1.0, 2 / math.comb(n_a + n_b, n_a))


def runs_needed(alpha: float = ALPHA) -> int:
    """Runs per agent (equal groups) for the exact test to be able to reach p < alpha."""
    n = 1
    while smallest_exact_p(n, n) >= alpha:
        n += 1
    return n


def compare(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    metric: MetricSpec,
    *,
    seed: int = SEED,
) -> Comparison:
    """Agent B against agent A on one metric (see the module docstring)."""
    sample_a, sample_b = _clean(a), _clean(b)
    mean_a = float(sample_a.mean()) if sample_a.size else None
    mean_b = float(sample_b.mean()) if sample_b.size else None
    change = (mean_b - mean_a) / mean_a * 100 if mean_a and mean_b is not None else None
    ci = bootstrap_change_ci(sample_a, sample_b, seed=seed) if change is not None else None
    u = p = delta = smallest = None
    if sample_a.size and sample_b.size:
        smallest = smallest_exact_p(sample_a.size, sample_b.size)
    # One run against one: the test's p is 1 and Cliff's delta +-1 whatever the values, numbers
    # a reader would take for a result (one against many can still be tested).
    if sample_a.size and sample_b.size and sample_a.size * sample_b.size > 1:
        delta = cliffs_delta(sample_a, sample_b)
        if np.ptp(np.concatenate([sample_a, sample_b])) == 0:
            u, p = sample_a.size * sample_b.size / 2, 1.0  # all equal: nothing to rank
        else:
            from scipy.stats import mannwhitneyu

            test = mannwhitneyu(sample_b, sample_a, alternative="two-sided", method="auto")
            u, p = float(test.statistic), float(test.pvalue)
    return Comparison(
        metric=metric,
        n_a=int(sample_a.size),
        n_b=int(sample_b.size),
        mean_a=mean_a,
        mean_b=mean_b,
        change_pct=change,
        change_ci_low=ci[0] if ci else None,
        change_ci_high=ci[1] if ci else None,
        u=u,
        p=p,
        delta=delta,
        smallest_p=smallest,
    )


def _change_words(c: Comparison) -> str:
    """B's mean against A's, with its interval when there is one."""
    assert c.change_pct is not None
    direction = "higher" if c.change_pct >= 0 else "lower"
    words = f"B's mean {c.metric.label} is {abs(c.change_pct):.1f}% {direction} than A's"
    if c.change_ci_low is not None and c.change_ci_high is not None:
        words += (
            f" [{CONFIDENCE * 100:.0f}% CI {signed_percent(c.change_ci_low)} to "
            f"{signed_percent(c.change_ci_high)}]"
        )
    return words


def verdict(c: Comparison) -> str:
    """One line in words, every part computed from the comparison's numbers."""
    label = c.metric.label
    if c.n_a == 0 or c.n_b == 0:
        return f"no {label} to compare (A has {c.n_a} measured calls, B has {c.n_b})"
    change = _change_words(c) if c.change_pct is not None else None
    if c.smallest_p is not None and c.smallest_p >= ALPHA:
        return (
            f"too few runs to test {label}: with {c.n_a} (A) and {c.n_b} (B) runs p cannot go "
            f"below {c.smallest_p:.3f}, and p<{ALPHA} needs {runs_needed()} runs per agent"
            + (f"; {change}" if change else "")
        )
    assert c.p is not None and c.delta is not None
    if not c.significant:
        return f"no significant difference in {label} ({p_value(c.p)}" + (
            f"; {change})" if change else ")"
        )
    b_larger = c.delta > 0
    winner = "B" if b_larger == c.metric.higher_is_better else "A"
    if change is None:  # A's mean is zero: no relative change to state
        change = f"B's {label} is {'higher' if b_larger else 'lower'} than A's"
    return (
        f"{winner} is faster: {change}, {p_value(c.p)}, Cliff's delta {c.delta:+.2f} "
        f"({c.magnitude})"
    )
