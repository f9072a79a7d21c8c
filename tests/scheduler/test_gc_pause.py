"""The cyclic garbage collector is paused for city-scale work and restored after it."""

from __future__ import annotations

import gc

import pytest

from scheduler.gc_pause import no_cyclic_gc


def test_paused_inside_and_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with no_cyclic_gc():
        assert not gc.isenabled()
        with no_cyclic_gc():  # nested: the outer pause stands
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), no_cyclic_gc():
        raise ValueError
    assert gc.isenabled()


def test_a_decorated_function_runs_paused() -> None:
    @no_cyclic_gc()
    def state() -> bool:
        return gc.isenabled()

    assert state() is False
    assert gc.isenabled()
