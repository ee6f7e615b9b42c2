"""The cyclic garbage collector paused for ingest, and restored after it; Polars' allocator set
to hand freed memory back at once."""

from __future__ import annotations

import gc
import os
import subprocess
import sys

import pytest

from tasks.allocator import (
    POLARS_ALLOCATOR_SETTINGS,
    POLARS_ALLOCATOR_VARIABLE,
    cycle_collection_paused,
)


def test_collection_is_paused_inside_and_back_on_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), cycle_collection_paused():
        assert not gc.isenabled()
        raise ValueError("a stage failed")
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_collection_off_until_the_outer_one_ends() -> None:
    with cycle_collection_paused():
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_as_a_decorator_it_pauses_each_call() -> None:
    @cycle_collection_paused()
    def stage() -> bool:
        return gc.isenabled()

    assert stage() is False
    assert stage() is False
    assert gc.isenabled()


def _allocator_settings(code: str, **env: str) -> str:
    """Polars' allocator settings in a fresh interpreter after `code`."""
    environment = {k: v for k, v in os.environ.items() if k != POLARS_ALLOCATOR_VARIABLE} | env
    shown = f"import os; print(os.environ.get({POLARS_ALLOCATOR_VARIABLE!r}))"
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\n{shown}"],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    )
    return done.stdout.strip()


def test_the_stages_have_polars_hand_freed_memory_back_at_once_when_they_load_it_first() -> None:
    settings = _allocator_settings("import tasks\nimport polars")
    # Polars puts its own defaults first; ours come after them, so they are the ones in force.
    assert settings.endswith(POLARS_ALLOCATOR_SETTINGS)


def test_a_users_allocator_settings_and_polars_loaded_first_are_left_alone() -> None:
    assert POLARS_ALLOCATOR_SETTINGS not in _allocator_settings("import polars\nimport tasks")
    users = "dirty_decay_ms:5000"
    settings = _allocator_settings(
        "import tasks\nimport polars", **{POLARS_ALLOCATOR_VARIABLE: users}
    )
    assert settings.endswith(users) and POLARS_ALLOCATOR_SETTINGS not in settings
