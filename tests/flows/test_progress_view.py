"""What `chimera run` draws on a terminal from the progress events (flows/progress_view.py)."""

from __future__ import annotations

import io
import logging
import os

import pytest
from prefect.logging.handlers import PrefectConsoleHandler
from rich.console import Console

from flows.progress_view import ProgressView, is_interactive, live_progress, progress_display
from tasks.progress import PROGRESS_ATTRIBUTE, TICK_LOGGER, ProgressEvent


def _terminal() -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, force_terminal=True, width=110, color_system=None), screen


def _rows(console: Console, view: ProgressView) -> list[str]:
    """The display as a user sees it once drawn: one line per shown row."""
    with console.capture() as captured:
        console.print(view.progress.get_renderable())
    return [line.rstrip() for line in captured.get().splitlines() if line.strip()]


def _row(rows: list[str], step: str) -> str:
    [line] = [r for r in rows if r[2:].startswith(step + " ")]
    return line


def test_each_step_is_a_row_with_its_latest_line_in_run_order():
    console, _ = _terminal()
    view = ProgressView(progress_display(console))

    view.show(ProgressEvent("discover", 48, 48, "files"), "discover: 48 of 48 files hashed")
    view.show(ProgressEvent("parse", 10, 43, "files"), "parse: 10 of 43 files")
    view.show(ProgressEvent("runs", 1, 3, "runs"), "run 2 of 3: agents A and B ask replay r.jsonl")
    view.show(ProgressEvent("agent B", 0, 3, "drafts"), "agent B: draft 1 of at most 3")
    view.show(ProgressEvent("agent A", 1, 3, "drafts"), "agent A: draft 2 of at most 3")
    rows = _rows(console, view)

    assert [r[2:].split()[0] for r in rows] == [
        "start",
        "discover",
        "parse",
        "runs",
        "agent",
        "agent",
    ]
    assert _row(rows, "start").startswith("✓") and "flow run started" in _row(rows, "start")
    assert _row(rows, "discover").startswith("✓")
    assert _row(rows, "discover").endswith("48 of 48 files hashed")
    assert not _row(rows, "parse").startswith("✓") and _row(rows, "parse").endswith(
        "10 of 43 files"
    )
    assert _row(rows, "runs").endswith("run 2 of 3: agents A and B ask replay r.jsonl")
    assert rows.index(_row(rows, "agent A")) < rows.index(_row(rows, "agent B"))  # fixed order
    assert _row(rows, "agent A").endswith("draft 2 of at most 3")


def test_a_finished_agent_row_starts_again_with_the_next_run():
    console, _ = _terminal()
    view = ProgressView(progress_display(console))

    view.show(ProgressEvent("agent A", 2, 2, "drafts"), "agent A: 2 drafts, 9 claims published")
    assert _row(_rows(console, view), "agent A").startswith("✓")
    view.show(ProgressEvent("agent A", 0, 3, "drafts"), "agent A: draft 1 of at most 3")

    row = _row(_rows(console, view), "agent A")
    assert not row.startswith("✓") and row.endswith("draft 1 of at most 3")


def test_a_line_with_brackets_is_shown_as_written():
    console, _ = _terminal()
    view = ProgressView(progress_display(console))

    view.show(ProgressEvent("findings", 1, 1), "findings: [bold]85[/bold], ranked")

    assert _row(_rows(console, view), "findings").endswith("[bold]85[/bold], ranked")


@pytest.fixture
def prefect_console() -> io.StringIO:
    """A Prefect console handler, as Prefect's logging set-up makes them, writing to a buffer."""
    stream = io.StringIO()
    handler = PrefectConsoleHandler(stream=stream)
    handler.setFormatter(logging.Formatter("%(levelname)s | %(message)s"))
    logger = logging.getLogger("chimera.progress_view_test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def test_while_drawing_prefect_prints_warnings_above_the_display_and_no_info(prefect_console):
    console, screen = _terminal()
    logger = logging.getLogger("chimera.progress_view_test")

    with live_progress(console):
        logger.info(
            "run 1 of 2: agents A and B ask replay r.jsonl",
            extra={PROGRESS_ATTRIBUTE: ProgressEvent("runs", 0, 2, "runs")},
        )
        logging.getLogger(TICK_LOGGER).info(
            "parse: 5 of 9 files", extra={PROGRESS_ATTRIBUTE: ProgressEvent("parse", 5, 9, "files")}
        )
        logger.warning("run 1: model unavailable (no server)")
    shown = screen.getvalue()
    logger.info("after the display: a log line again")
    logging.getLogger(TICK_LOGGER).info(
        "parse: 9 of 9 files", extra={PROGRESS_ATTRIBUTE: ProgressEvent("parse", 9, 9, "files")}
    )

    assert "WARNING | run 1: model unavailable (no server)" in shown
    assert "run 1 of 2: agents A and B ask replay r.jsonl" in shown
    assert "5 of 9 files" in shown
    assert prefect_console.getvalue() == "INFO | after the display: a log line again\n"
    assert screen.getvalue() == shown  # the display no longer listens


def test_the_display_is_drawn_only_when_stdout_and_stderr_are_terminals(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    primary, secondary = os.openpty()
    with os.fdopen(secondary, "w") as terminal:
        assert is_interactive(terminal, terminal)
        assert not is_interactive(terminal, io.StringIO())  # stderr to a file: the log lines
        assert not is_interactive(io.StringIO(), terminal)  # stdout piped
        monkeypatch.setenv("TERM", "dumb")
        assert not is_interactive(terminal, terminal)  # cannot redraw
    os.close(primary)
