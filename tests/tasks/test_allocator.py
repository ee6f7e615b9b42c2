"""The cyclic garbage collector paused for ingest, and restored after it."""

from __future__ import annotations

import gc

import pytest

from tasks.allocator import cycle_collection_paused


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
