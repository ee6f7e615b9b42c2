"""What `chimera run` shows while a run goes: a live display on a terminal, log lines elsewhere.

The flow reports its progress as log records that carry a ProgressEvent (tasks/progress.py).
On a terminal, `live_progress` draws them as one row per step (rich), in place of Prefect's log
lines, which would scroll the display away; warnings and errors are still printed, above it.
Anywhere else (a pipe, a file, cron) nothing is drawn and Prefect's log lines are the progress:
"run 2 of 3: agents A and B ask ...".
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

from tasks.progress import PROGRESS_ATTRIBUTE, TICK_LOGGER, ProgressEvent

START = "start"
_SHOWN = "chimera_shown_above_display"  # a record printed above the display once already
# The rows, in the order a run reaches them (agent A above B, whichever drafts first); a row
# shows once its step reports. Each is a ProgressEvent's step (tasks/progress.py).
STEPS = (
    START,
    "discover",
    "parse",
    "resolve",
    "validate",
    "findings",
    "runs",
    "agent A",
    "agent B",
    "summary",
    "publish",
)


def is_interactive(stdout: TextIO | None = None, stderr: TextIO | None = None) -> bool:
    """Whether to draw: stdout a terminal that can redraw, and stderr one too (Prefect's log
    lines go there: redirected, they are the record someone asked for, so they stay)."""
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    console = Console(file=stdout)
    return console.is_terminal and not console.is_dumb_terminal and stderr.isatty()


class ProgressView:
    """One rich Progress row per step, updated from the run's progress events."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self._rows: dict[str, TaskID] = {
            # Started when the step first reports, so the time shown is the step's own.
            step: progress.add_task(step, total=None, visible=False, start=False, message="")
            for step in STEPS
        }
        self._flow_started = False
        progress.start_task(self._rows[START])
        progress.update(self._rows[START], visible=True, message="starting the flow run (Prefect)")

    def show(self, event: ProgressEvent, message: str) -> None:
        """Move the event's row to where the event says; its line as the row's text."""
        if not self._flow_started:  # the first event: the flow run is under way
            self._flow_started = True
            self.progress.update(
                self._rows[START], total=1, completed=1, message="flow run started"
            )
        if event.step not in self._rows:  # a step this display does not know: a new row
            self._rows[event.step] = self.progress.add_task(event.step, total=None, message="")
        row = self._rows[event.step]
        text = message.removeprefix(f"{event.step}: ")
        task = next(t for t in self.progress.tasks if t.id == row)
        if not task.started:
            self.progress.start_task(row)
        elif event.done == 0 and task.finished:
            self.progress.reset(row, total=None)  # the next run's agent rows start afresh
        if event.finished:
            total = max(event.total, 1)
            self.progress.update(row, total=total, completed=total, visible=True, message=text)
        elif event.unit:
            self.progress.update(
                row, total=event.total, completed=event.done, visible=True, message=text
            )
        else:  # begun, not counted: the bar pulses
            self.progress.update(row, total=None, visible=True, message=text)


class _ProgressHandler(logging.Handler):
    """Hands the records that carry a progress event to the view."""

    def __init__(self, view: ProgressView) -> None:
        super().__init__(level=logging.INFO)
        self.view = view

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, PROGRESS_ATTRIBUTE, None)
        if isinstance(event, ProgressEvent):
            try:
                self.view.show(event, record.getMessage())
            except Exception:  # a display fault must never fail the run
                self.handleError(record)


class _AboveTheDisplay(logging.Filter):
    """On one of Prefect's console handlers while drawing: warnings and errors go to the
    console, above the display, as that handler writes them (once, whichever handler sees the
    record first); the rest is the display's to show."""

    def __init__(self, console: Console, handler: logging.Handler) -> None:
        super().__init__()
        self.console = console
        self.handler = handler

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING and not getattr(record, _SHOWN, False):
            setattr(record, _SHOWN, True)
            self.console.print(Text(self.handler.format(record)), soft_wrap=True)
        return False


def _console_handlers() -> list[logging.Handler]:
    """Prefect's console handlers: on the root logger and on any logger of its own."""
    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    found = {
        id(h): h for lg in loggers for h in lg.handlers if isinstance(h, PrefectConsoleHandler)
    }
    return list(found.values())


def progress_display(console: Console) -> Progress:
    """The display's columns: done mark, step, bar, time, the step's latest line."""
    return Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}", style="bold"),
        BarColumn(bar_width=24),
        TimeElapsedColumn(),
        # One line a row: a long path ends in an ellipsis rather than wrapping under the bar.
        TextColumn(
            "{task.fields[message]}",
            markup=False,
            table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis"),
        ),
        console=console,
        expand=True,  # the line takes the width the other columns leave
        transient=False,
    )


@contextmanager
def live_progress(console: Console) -> Iterator[ProgressView]:
    """Draw the run's progress on `console` for the block, in place of Prefect's log lines."""
    from prefect.logging.configuration import ensure_logging_setup

    ensure_logging_setup()  # Prefect's console handlers exist before they are muted
    progress = progress_display(console)
    view = ProgressView(progress)
    handler = _ProgressHandler(view)
    muted = [(h, _AboveTheDisplay(console, h)) for h in _console_handlers()]
    root, ticks = logging.getLogger(), logging.getLogger(TICK_LOGGER)
    tick_level = ticks.level
    for console_handler, above in muted:
        console_handler.addFilter(above)
    root.addHandler(handler)
    ticks.addHandler(handler)
    ticks.setLevel(logging.INFO)
    try:
        with progress:
            yield view
    finally:
        ticks.setLevel(tick_level)
        ticks.removeHandler(handler)
        root.removeHandler(handler)
        for console_handler, above in muted:
            console_handler.removeFilter(above)
