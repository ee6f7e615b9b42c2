"""Progress of a run: what the stages say as they go, for a log and for a live display.

The flow knows nothing of terminals. A stage reports a step as an ordinary log record whose
message is the line a log shows ("run 2 of 3: agents A and B ask ...") and which carries a
ProgressEvent (step, done, total, unit) under PROGRESS_ATTRIBUTE for a display that draws bars
(flows/progress_view.py, used by `chimera run` on a terminal). Two kinds of record:

- a milestone (`report_progress`): a step finished or a run or draft began; INFO on the run's
  logger, so it is printed where Prefect prints logs and kept by the Prefect server;
- a tick (`Ticker`, `counted`): how far a step is, at most a few a second; on TICK_LOGGER, which
  reaches no log and no server, only a display that listens (a log of 100,000 files would
  otherwise get a line per batch).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar, overload

from prefect import get_run_logger
from prefect.exceptions import MissingContextError

PROGRESS_ATTRIBUTE = "chimera_progress"  # the LogRecord attribute that holds the event
TICK_LOGGER = "chimera.progress.ticks"
TICK_SECONDS = 0.25  # a display redraws a few times a second; more ticks would only cost time

# Ticks are for a display that listens (it sets the level); no log handler is to print them.
logging.getLogger(TICK_LOGGER).propagate = False

T = TypeVar("T")


@dataclass(frozen=True)
class ProgressEvent:
    """Where one step of a run is: `done` of `total` (of `unit`: files, runs, drafts)."""

    step: str  # a display's row: discover, parse, validate, findings, runs, agent A, ...
    done: int
    total: int
    unit: str = ""  # "" when the step is only begun (done 0) or finished (done = total)

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def _run_logger() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:  # a stage's code called outside a flow run (a script, a test)
        return logging.getLogger("chimera.progress")


def report_progress(
    step: str, done: int, total: int, message: str, *args: object, unit: str = ""
) -> None:
    """A milestone: `message % args` at INFO on the run's logger, with its event attached."""
    event = ProgressEvent(step, done, total, unit)
    _run_logger().info(message, *args, extra={PROGRESS_ATTRIBUTE: event})


def tick(step: str, done: int, total: int, message: str, *args: object, unit: str = "") -> None:
    """A tick: `message % args` for a display only (see the module docstring)."""
    event = ProgressEvent(step, done, total, unit)
    logging.getLogger(TICK_LOGGER).info(message, *args, extra={PROGRESS_ATTRIBUTE: event})


class Ticker:
    """Counts one step's work and ticks as it goes: when it starts, then at most every
    TICK_SECONDS, and when the last item is done."""

    def __init__(
        self,
        step: str,
        total: int,
        unit: str,
        message: Callable[[int, int], str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.step, self.total, self.unit = step, total, unit
        self.done = 0
        self._message = message
        self._clock = clock
        self._last = clock()
        self._tick()

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = self._clock()
        if self.done >= self.total or now - self._last >= TICK_SECONDS:
            self._last = now
            self._tick()

    def _tick(self) -> None:
        text = self._message(self.done, self.total)
        tick(self.step, self.done, self.total, "%s", text, unit=self.unit)


class CountedSequence(Sequence[T]):
    """A sequence that advances a Ticker as iteration passes each item, so a stage that walks
    a list reports how far it is without knowing it (discover hashing files)."""

    def __init__(self, items: Sequence[T], ticker: Ticker) -> None:
        self._items = items
        self._ticker = ticker

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self._items[index]

    def __iter__(self) -> Iterator[T]:
        for item in self._items:
            yield item
            self._ticker.advance()  # the consumer asked for the next: this one is done
