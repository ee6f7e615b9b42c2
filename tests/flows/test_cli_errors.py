"""`chimera run` stops before any work on a wrong argument, an unknown model or no Ollama: one
line on stderr, exit 2 for a usage error and 1 for a failure, nothing written."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tasks.samples.corpus import write_sample_corpus


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    write_sample_corpus(folder)
    return folder


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _chimera(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize(
    ("arguments", "code", "says"),
    [
        (["--runs", "0"], 2, "argument --runs: 0 is not from 1 to 100"),
        (["--backend", "embedded", "--model", "nonexistent"], 2, "choose one of smollm2-135m"),
        (["--backend", "replay", "--model", "no-such-recording.jsonl"], 2, "cannot read"),
        (["--backend", "ollama"], 1, "no Ollama server answers at http://127.0.0.1:"),
    ],
)
def test_a_run_that_cannot_start_says_why_in_one_line(sources, tmp_path, arguments, code, says):
    out = tmp_path / "out"
    ollama = {"OLLAMA_HOST": f"127.0.0.1:{_closed_port()}"}

    result = _chimera(str(sources), "--out", str(out), *arguments, env=ollama)

    assert result.returncode == code, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert says in last
    if code == 1:
        assert "OLLAMA_HOST" in last
    assert "Traceback" not in result.stderr
    assert not out.exists()
