"""Pausing Python's cyclic garbage collector around city-scale work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees memory).

    A city-scale run keeps millions of long-lived objects (150,000 volunteers, their
    occurrences, pairs, the roster) that every full collection walks again: on Huai'an
    that was 14 of 47 s, and the peak RSS is the same without it. Also a decorator.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
