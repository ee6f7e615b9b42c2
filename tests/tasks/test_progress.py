"""Progress events: milestones reach the log, ticks only a display that listens."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tasks.progress import (
    PROGRESS_ATTRIBUTE,
    TICK_LOGGER,
    TICK_SECONDS,
    CountedSequence,
    ProgressEvent,
    Ticker,
    report_progress,
)


class _Events(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[ProgressEvent, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, PROGRESS_ATTRIBUTE, None)
        if event is not None:
            self.seen.append((event, record.getMessage()))


@pytest.fixture
def ticks() -> Iterator[_Events]:
    """What a display listening to the ticks receives."""
    logger, handler = logging.getLogger(TICK_LOGGER), _Events()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.setLevel(level)
    logger.removeHandler(handler)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_milestone_is_a_log_line_that_carries_its_event(caplog):
    caplog.set_level(logging.INFO)

    report_progress("runs", 1, 3, "run %d of %d: reports in %s", 2, 3, "out/reports", unit="runs")

    [record] = [r for r in caplog.records if hasattr(r, PROGRESS_ATTRIBUTE)]
    assert record.getMessage() == "run 2 of 3: reports in out/reports"
    assert record.levelno == logging.INFO
    assert getattr(record, PROGRESS_ATTRIBUTE) == ProgressEvent("runs", 1, 3, "runs")


def test_ticks_reach_a_listening_display_and_no_log(ticks):
    root, log = logging.getLogger(), _Events()  # where Prefect's console handler listens
    root.addHandler(log)
    try:
        ticker = Ticker("discover", 3, "files", lambda d, t: f"discover: {d} of {t}")
        ticker.advance(3)
    finally:
        root.removeHandler(log)

    assert [message for _, message in ticks.seen] == ["discover: 0 of 3", "discover: 3 of 3"]
    assert log.seen == []


def test_a_ticker_ticks_at_the_start_at_most_every_interval_and_at_the_end(ticks):
    clock = _Clock()
    ticker = Ticker("parse", 5, "files", lambda d, t: f"parse: {d} of {t} files", clock=clock)

    ticker.advance()  # too soon after the first tick
    clock.now += TICK_SECONDS
    ticker.advance()
    ticker.advance(2)  # too soon again
    ticker.advance()  # the last: always

    assert [message for _, message in ticks.seen] == [
        "parse: 0 of 5 files",
        "parse: 2 of 5 files",
        "parse: 5 of 5 files",
    ]
    assert ticks.seen[-1][0] == ProgressEvent("parse", 5, 5, "files")
    assert ticks.seen[-1][0].finished


def test_a_counted_sequence_reports_each_item_once_it_is_consumed(ticks):
    clock = _Clock()
    ticker = Ticker("discover", 3, "files", lambda d, t: f"{d} of {t}", clock=clock)
    items = CountedSequence(["a", "b", "c"], ticker)

    assert len(items) == 3 and items[1] == "b" and list(items[1:]) == ["b", "c"]
    consumed = []
    for item in items:
        consumed.append((item, ticker.done))

    assert consumed == [("a", 0), ("b", 1), ("c", 2)]  # an item counts once it is done
    assert ticker.done == 3 and ticks.seen[-1][1] == "3 of 3"
