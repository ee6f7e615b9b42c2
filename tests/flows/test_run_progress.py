"""A run's progress as a user sees it: plain log lines when output is not a terminal, a live
display when it is. The agents answer from the recorded replies (`--backend replay`)."""

from __future__ import annotations

import fcntl
import logging
import os
import re
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest

from flows.benchmark_report import benchmark_report
from tasks.progress import PROGRESS_ATTRIBUTE, TICK_LOGGER
from tasks.samples.corpus import write_sample_corpus

RECORDING = Path(__file__).parents[1] / "fixtures" / "sample_replies.jsonl"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bench")
    write_sample_corpus(folder)
    return folder


def test_the_log_says_each_step_and_a_display_gets_the_rest(sources, tmp_path, prefect_server):
    log, display = _Records(), _Records()  # Prefect's console handler sits where `log` does
    ticks = logging.getLogger(TICK_LOGGER)
    logging.getLogger().addHandler(log)
    ticks.addHandler(display)
    ticks.setLevel(logging.INFO)
    try:
        benchmark_report(
            sources=[str(sources)],
            out_dir=str(tmp_path / "out"),
            backend="replay",
            model=str(RECORDING),
            measure_concurrency=True,  # fresh calls: no result reused from another test's run
        )
    finally:
        ticks.setLevel(logging.NOTSET)
        ticks.removeHandler(display)
        logging.getLogger().removeHandler(log)

    lines = [r.getMessage() for r in log.records if hasattr(r, PROGRESS_ATTRIBUTE)]
    for expected in (
        r"^48 files: parsed 43 \(0 kept from the last run\) in this process: \d+ measurements$",
        r"^validate: [\d,]+ measurements passed, [\d,]+ quarantined$",
        r"^findings: \d+ findings, ranked$",
        r"^run 1 of 1: agents A and B ask replay .*sample_replies.jsonl$",
        r"^agent A: draft 1 of at most 3$",
        r"^agent B: \d drafts, \d+ claims published$",
        r"^run 1 of 1: reports in .*/out/reports \(claims published: A \d+, B \d+\)$",
        r"^published: tables, quality and reports in .*/out$",
    ):
        assert any(re.match(expected, line) for line in lines), (expected, lines)
    assert not any(line.startswith("discover:") for line in lines)  # ticks stay off the log
    ticked = [r.getMessage() for r in display.records]
    assert "discover: 48 of 48 files hashed" in ticked and "parse: 43 of 43 files" in ticked
    events = sorted(
        (r for r in log.records + display.records if hasattr(r, PROGRESS_ATTRIBUTE)),
        key=lambda r: r.created,
    )
    first_seen = list(dict.fromkeys(getattr(r, PROGRESS_ATTRIBUTE).step for r in events))
    assert first_seen[:6] == ["discover", "parse", "resolve", "validate", "findings", "runs"]
    assert first_seen[-2:] == ["summary", "publish"]


def _chimera_run(sources: Path, out: Path, tmp_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "flows.cli",
        "run",
        str(sources),
        "--out",
        str(out),
        "--backend",
        "replay",
        "--model",
        str(RECORDING),
    ]


def _fresh_results(tmp_path: Path) -> dict[str, str]:
    """The environment of a run whose agents ask afresh: its own result storage."""
    return {**os.environ, "PREFECT_LOCAL_STORAGE_PATH": str(tmp_path / "results")}


@pytest.mark.slow
def test_chimera_run_piped_prints_plain_progress_lines(sources, tmp_path):
    command = _chimera_run(sources, tmp_path / "out", tmp_path)

    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=_fresh_results(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    for line in (
        "run 1 of 1: agents A and B ask replay",
        "agent A: draft 1 of at most 3",
        "run 1 of 1: reports in",
        "published: tables, quality and reports in",
    ):
        assert line in result.stderr
    assert "discover: 48 of 48 files hashed" not in result.stderr
    assert not ANSI.search(result.stdout + result.stderr)  # nothing drawn
    assert f"in a browser: {tmp_path / 'out' / 'reports' / 'report.html'}" in result.stdout


@pytest.mark.slow
def test_chimera_run_on_a_terminal_draws_each_step_then_the_summary(sources, tmp_path):
    command = _chimera_run(sources, tmp_path / "out", tmp_path)
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {**_fresh_results(tmp_path), "TERM": "xterm-256color"}
    env.pop("FORCE_COLOR", None)
    screen = bytearray()

    def read() -> None:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal closed: the run ended
                return
            if not chunk:
                return
            screen.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    process = subprocess.Popen(
        command, stdin=secondary, stdout=secondary, stderr=secondary, env=env
    )
    os.close(secondary)
    code = process.wait(timeout=300)
    reader.join(timeout=10)
    os.close(primary)
    text = ANSI.sub("", screen.decode("utf-8", errors="replace")).replace("\r", "\n")

    assert code == 0, text[-3000:]
    rows = text.split("48 files (43 parsed this run)")[0]  # the display, before the summary
    for row in (
        r"✓ discover .* 48 of 48 files hashed",
        r"✓ validate .* measurements passed, [\d,]+ quarantined",
        r"✓ runs .* run 1 of 1: reports in",
        r"✓ agent A .* \d drafts, \d+ claims published",
        r"✓ publish .* published: tables, quality and reports in",
    ):
        assert re.search(row, rows), row
    assert "Finished in state" not in rows  # Prefect's log lines gave way to the display
    assert f"in a browser: {tmp_path / 'out' / 'reports' / 'report.html'}" in text
