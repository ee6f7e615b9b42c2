"""Headless Chromium for the tests that look at pages: Debian's `chromium`, driven by Playwright.

Playwright's own browser download cannot run here (closed network), so the tests launch the
system Chromium. The flags keep it from reaching out to the network at start, which this
machine refuses (and which would slow every start). Screenshots go to `test-output/` (or
CHIMERA_TEST_OUTPUT) so a person can look at what the test saw.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO_ROOT = Path(__file__).resolve().parents[1]


def chromium_path() -> str:
    """The system Chromium, or a skip that says how to install it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        missing_part(
            "needs Debian's chromium package (apt-get install chromium); .ci/run installs it",
            "CHIMERA_REQUIRE_BROWSER",
        )
    return path


def missing_part(reason: str, required_by: str) -> NoReturn:
    """Skip a test whose part of the machine is not installed; fail instead where the variable
    `required_by` is 1, as CI sets it once it has installed the part."""
    if os.environ.get(required_by) == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def screenshot_dir() -> Path:
    """Where tests keep screenshots for a person to look at."""
    folder = Path(os.environ.get("CHIMERA_TEST_OUTPUT", REPO_ROOT / "test-output"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def chromium_page(width: int = 1280, height: int = 900) -> Iterator[Page]:
    """A fresh headless Chromium page; closed with its browser on exit."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
