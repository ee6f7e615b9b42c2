"""Change detection on one series: its points in time order in, its stability and changes out.

A point is one run of a benchmark (one file's values of one fingerprint on one day): its
repetitions, summarised by their median. Two tests find changes:

- E-divisive with a t-test (Apache Otava's `compute_change_points`, the Hunter variant of
  Matteson and James) over the point medians, for series of MIN_EDIVISIVE_POINTS points or more:
  every change point in the history, placed where the series splits best.
- For the latest point only, a t-test against a lookback window (the points since the last
  change, at most LOOKBACK_POINTS), as Bencher's threshold does: the latest median against the
  lookback's point medians when there are 3 or more (a prediction interval: between-run spread
  counts), else Welch's t-test of the latest point's repetitions against the lookback's. This
  sees a step the night it lands, and works on a series of two runs.

Both need the change to be at least MIN_CHANGE_PCT: repeated runs of one benchmark on one
machine differ by a few percent (the corpus's two good llama3.1 q4_0 prompt-suite runs: 1.9%)
while within-run repetitions agree much more closely (0.6%), so a test on repetitions alone
would call ordinary run-to-run drift a change.

A series whose points scatter by more than UNSTABLE_NOISE_PCT from one run to the next (a robust
spread, blind to one step), or whose repetitions scatter by more than UNSTABLE_WITHIN_PCT, is
unstable: no change is called on it, so a noisy machine does not alert. The thresholds were set
with bench/bench_history.py (figures there and in bench/RESULTS.md).

Why a test of our own beside Otava's: E-divisive places a change where both sides have enough
points, so on its own it sees a step one or two nights late, and never on a series of two
runs; letting it call a change with one point after it was the largest source of false alarms
on the bench (a single slow night). The lookback test is the simple threshold the issue asks
for, built on scipy's t-tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec

import numpy as np

# Otava and scipy.stats (which Otava imports) are imported where they are used: they hold 61 MB
# from their import on, and a big run's memory peaks (validation, the tables' write) come
# before the history's first test. Their absence is still said at once.
if find_spec("otava") is None:  # installed apart from pyproject's dependencies (README)
    raise ImportError("apache-otava is not installed: pip install --no-deps apache-otava==0.8.0")

MIN_EDIVISIVE_POINTS = 5  # fewer points and E-divisive's segments are too short to test
EDIVISIVE_WINDOW = 30  # points per sliding window (Otava's default is 50; runs are nightly)
# Stricter than Otava's default 0.001: E-divisive tests the best of many splits, so its p is
# optimistic. On the bench (40 piles, seed 1) Otava's 0.001 with 0.01 for the lookback test
# gave precision 0.79; these two, 0.96, at the same recall for steps of 10% and 20%.
EDIVISIVE_MAX_P = 0.0001
# Points on each side of an E-divisive change: a dip of one or two slow nights is the latest
# test's to call, not a change point. (Bench, seed 0: one of 12 false alarms was such a 2-night
# dip, -10.7%; seed 2, 100 piles: 2 and 3 gave the same recall and precision.)
MIN_SEGMENT_POINTS = 3
LOOKBACK_POINTS = 8
LATEST_MAX_P = 0.001
MIN_CHANGE_PCT = 4.0
# Below 3 earlier points the run-to-run spread is unknown, and the repetitions' own test calls
# ordinary drift a change; the step must then be this large (Bencher's percentage threshold),
# and no repetition of the latest run may fall within the range of the earlier runs'.
SHORT_MIN_CHANGE_PCT = 10.0
SHORT_MAX_P = 0.01
# ... and at least this many times the spread of repetitions within a run: a noisy machine's two
# runs differ by a lot (bench, 100 piles: 12 of 26 false alarms came from such series' first
# nights; 6 of 17 with this rule).
SHORT_NOISE_MULTIPLE = 3.0
MIN_NOISE_POINTS = 4  # points needed to estimate the run-to-run spread
# Repetitions within a run that scatter this much mark a series unstable even before it has
# MIN_NOISE_POINTS points: the project's generator spreads one run's throughput by 3-5% (the
# standard deviation of its uniform ranges: 70-80 tok/s is 3.9%, gemma3:270m's 250-300 is 5.2%),
# the corpus's prompt-suite runs by 0.6-1%; a noisy machine (the bench's: 10% more per request)
# by 11%.
UNSTABLE_WITHIN_PCT = 8.0
# A change smaller than this many run-to-run spreads is not called: with the generator's 3%
# spread per run, E-divisive splits near 5% came and went with the noise (bench, 100 piles,
# seed 2: 1.5 -> 2.0 took precision from 0.90 to 0.92, recall of 5% steps from 0.67 to 0.52,
# and left 10% and 20% steps at 1.00).
NOISE_MULTIPLE = 2.0
UNSTABLE_NOISE_PCT = 6.0
STATUSES = ("stable", "unstable", "short", "single")
EDIVISIVE = "e-divisive (Apache Otava)"
LOOKBACK_TEST = "t-test against the lookback"


@dataclass(frozen=True)
class Change:
    position: int  # index of the first point after the change
    change_pct: float  # after's median against before's
    p_value: float
    method: str
    before_median: float
    after_median: float
    before_points: int
    after_points: int
    before_n: int  # measurements in the segments
    after_n: int


@dataclass(frozen=True)
class Detection:
    status: str  # one of STATUSES
    noise_pct: float | None  # run-to-run spread, % of the median; None below MIN_NOISE_POINTS
    changes: list[Change]


def run_to_run_noise(medians: np.ndarray) -> float | None:
    """The spread of one point to the next, % of the series' median: 1.4826 x the median
    absolute difference of neighbours / sqrt(2) (a step is one large difference among many, so
    it barely moves this)."""
    centre = float(np.median(medians))
    if medians.size < MIN_NOISE_POINTS or centre == 0:
        return None
    spread = 1.4826 * float(np.median(np.abs(np.diff(medians)))) / np.sqrt(2)
    return spread / abs(centre) * 100


def within_run_noise(values: Sequence[np.ndarray]) -> float | None:
    """The spread of repetitions within a run, % of the series' median: the pooled standard
    deviation of each point's values about their mean. Pooled, since four values alone give a
    wild estimate; not a median deviation, which four values bias low (the two middle ones sit
    on their median: on a bench series whose runs spread 10.7%, it read 4.7%)."""
    repeated = [v for v in values if v.size >= 2]
    if not repeated:
        return None
    squares = sum(float(np.sum((v - v.mean()) ** 2)) for v in repeated)
    freedom = sum(v.size - 1 for v in repeated)
    centre = float(np.median([np.median(v) for v in repeated]))
    return float(np.sqrt(squares / freedom)) / abs(centre) * 100 if centre else None


def _pct(before: float, after: float) -> float:
    return (after - before) / abs(before) * 100 if before else 0.0


def _segment_change(
    values: Sequence[np.ndarray], start: int, position: int, stop: int, p: float, method: str
) -> Change:
    before = np.concatenate(values[start:position])
    after = np.concatenate(values[position:stop])
    medians = np.array([np.median(v) for v in values])
    before_median = float(np.median(medians[start:position]))
    after_median = float(np.median(medians[position:stop]))
    return Change(
        position=position,
        change_pct=_pct(before_median, after_median),
        p_value=float(p),
        method=method,
        before_median=before_median,
        after_median=after_median,
        before_points=position - start,
        after_points=stop - position,
        before_n=int(before.size),
        after_n=int(after.size),
    )


def edivisive_changes(values: Sequence[np.ndarray]) -> list[Change]:
    """Otava's change points over the point medians, each with the segments around it."""
    medians = np.array([np.median(v) for v in values], dtype=np.float64)
    if medians.size < MIN_EDIVISIVE_POINTS:
        return []
    from otava.analysis import compute_change_points

    # A list, not an array: Otava 0.8.0's detector cuts its sliding windows out of the series
    # only when it is not an ndarray (given one, it raised ValueError on 768 of 2,000 random
    # series longer than one window step).
    found, _weak = compute_change_points(
        [float(m) for m in medians],
        window_len=EDIVISIVE_WINDOW,
        max_pvalue=EDIVISIVE_MAX_P,
        min_magnitude=MIN_CHANGE_PCT / 100,
    )
    positions = [int(point.index) for point in found]
    bounds = [0, *positions, medians.size]
    changes = []
    for i, point in enumerate(found):
        change = _segment_change(
            values, bounds[i], positions[i], bounds[i + 2], point.stats.pvalue, EDIVISIVE
        )
        enough = min(change.before_points, change.after_points) >= MIN_SEGMENT_POINTS
        if enough and abs(change.change_pct) >= MIN_CHANGE_PCT:
            changes.append(change)
    return changes


def _against_runs(
    medians: np.ndarray, latest: np.ndarray, values: Sequence[np.ndarray], noise_pct: float | None
) -> float | None:
    """p of the latest median against the lookback's medians (a prediction interval)."""
    # A few points can agree by chance: the series' run-to-run spread is a floor, and so is
    # the spread a median of the latest point's repetitions has (1.2533 x sd / sqrt(n)).
    within = (within_run_noise(values) or 0.0) * 1.2533 / np.sqrt(latest.size)
    floor = max(noise_pct or 0.0, within) / 100 * abs(float(np.median(medians)))
    spread = max(float(np.std(medians, ddof=1)), floor)
    if spread == 0:
        return None
    t = (float(np.median(latest)) - float(medians.mean())) / (
        spread * np.sqrt(1 + 1 / medians.size)
    )
    from scipy import stats  # on use: see the note above find_spec

    return float(2 * stats.t.sf(abs(t), medians.size - 1))


def _against_repetitions(latest: np.ndarray, window: Sequence[np.ndarray]) -> float | None:
    """p of Welch's test of the latest run's repetitions against the lookback's."""
    pooled = np.concatenate(window)
    if latest.size < 2 or pooled.size < 2:
        return None
    # With so few runs, the runs must not overlap at all: a noisy machine's runs do.
    if not (latest.max() < pooled.min() or latest.min() > pooled.max()):
        return None
    from scipy import stats

    return float(stats.ttest_ind(latest, pooled, equal_var=False).pvalue)


def latest_change(
    values: Sequence[np.ndarray], since: int = 0, noise_pct: float | None = None
) -> Change | None:
    """Whether the latest point differs from the lookback window before it (see the module
    docstring); `since` is the first point after the last known change, `noise_pct` the
    series' run-to-run spread, the least spread the lookback is taken to have."""
    last = len(values) - 1
    start = max(since, last - LOOKBACK_POINTS)
    window = values[start:last]
    if not window:
        return None
    latest = values[last]
    medians = np.array([np.median(v) for v in window])
    if medians.size >= 3:
        least, most_p = MIN_CHANGE_PCT, LATEST_MAX_P
        p = _against_runs(medians, latest, values[start : last + 1], noise_pct)
    else:
        within = within_run_noise(values[start : last + 1]) or 0.0
        least, most_p = max(SHORT_MIN_CHANGE_PCT, SHORT_NOISE_MULTIPLE * within), SHORT_MAX_P
        p = _against_repetitions(latest, window)
    if p is None or not p < most_p:
        return None
    change = _segment_change(values, start, last, last + 1, p, LOOKBACK_TEST)
    return change if abs(change.change_pct) >= least else None


def detect(values: Sequence[np.ndarray]) -> Detection:
    """Stability and change points of a series: `values` holds each point's repetitions, the
    points in time order."""
    values = [np.asarray(v, dtype=np.float64) for v in values]
    if len(values) < 2:
        return Detection("single", None, [])
    medians = np.array([np.median(v) for v in values])
    noise = run_to_run_noise(medians)
    within = within_run_noise(values)
    if (noise or 0.0) > UNSTABLE_NOISE_PCT or (within or 0.0) > UNSTABLE_WITHIN_PCT:
        return Detection("unstable", noise if noise is not None else within, [])
    status = "short" if noise is None else "stable"
    least = max(MIN_CHANGE_PCT, NOISE_MULTIPLE * (noise or 0.0))
    changes = [c for c in edivisive_changes(values) if abs(c.change_pct) >= least]
    since = changes[-1].position if changes else 0
    latest = latest_change(values, since, noise)
    if latest is not None and abs(latest.change_pct) < least:
        latest = None
    # The latest point's own test only adds what E-divisive has not placed at its end.
    if latest is not None and not any(c.position >= len(values) - 2 for c in changes):
        changes.append(latest)
    return Detection(status, noise, changes)
