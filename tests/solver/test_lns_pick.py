"""solver.lns_pick: the greedy row's compiled shift picking, against brute force."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from solver.lns_pick import pick


def _case(rng: random.Random):
    """A random pattern of runs, day options over 3 shift kinds, caps and successions."""
    days, n_shifts = rng.randint(3, 8), 3
    pattern = np.array([rng.random() < 0.75 for _ in range(days)])
    opts = [sorted(rng.sample(range(n_shifts), rng.randint(1, n_shifts))) for _ in range(days)]
    shift = np.array([s for day in opts for s in day], dtype=np.int64)
    size = np.array([len(day) for day in opts], dtype=np.int64)
    start = np.cumsum([0, *size[:-1]]).astype(np.int64)
    key = np.array([rng.choice([0.0, 1.0, rng.uniform(-2, 2)]) for _ in shift])
    capped = np.array([rng.random() < 0.5 for _ in range(n_shifts)])
    cap = np.array([rng.randint(0, days) if c else days for c in capped], dtype=np.int64)
    room = min((int(c) for c, on in zip(cap, capped, strict=True) if on), default=days)
    forbid = np.zeros((n_shifts + 1, n_shifts), dtype=np.bool_)
    for a, b in itertools.product(range(n_shifts), repeat=2):
        forbid[a, b] = rng.random() < 0.25
    loose = np.arange(len(shift), dtype=np.int64)
    return pattern, key, start, size, shift, loose, cap, capped, room, forbid


def _ok(row, pattern, start, size, shift, cap, forbid) -> bool:
    """One option of its own day per worked day, caps and successions kept."""
    worked = [d for d in range(len(pattern)) if pattern[d]]
    if len(row) != len(worked):
        return False
    count = np.zeros(len(cap), dtype=np.int64)
    for i, (d, j) in enumerate(zip(worked, row, strict=True)):
        if not start[d] <= j < start[d] + size[d]:
            return False
        count[shift[j]] += 1
        if i and worked[i - 1] == d - 1 and forbid[shift[row[i - 1]], shift[j]]:
            return False
    return bool((count <= cap).all())


@pytest.mark.parametrize("seed", range(40))
def test_pick_keeps_caps_and_successions_and_fails_only_without_a_filling(seed):
    pattern, key, start, size, shift, loose, cap, capped, room, forbid = _case(random.Random(seed))
    got = pick(pattern, key, start, size, shift, loose, cap, capped, room, forbid)
    worked = [d for d in range(len(pattern)) if pattern[d]]
    fillings = [
        row
        for row in itertools.product(*(range(start[d], start[d] + size[d]) for d in worked))
        if _ok(list(row), pattern, start, size, shift, cap, forbid)
    ]
    failed = len(got) == 1 and got[0] < 0
    if not failed:
        assert _ok(got.tolist(), pattern, start, size, shift, cap, forbid)
    if not capped.any():  # runs are independent: complete, and day one's pick is the best
        assert failed == (not fillings)
        if fillings and worked:
            assert key[got[0]] == max(key[row[0]] for row in fillings)


def test_pick_takes_the_most_valuable_option_that_lets_the_run_finish():
    # days 0-1 worked; day 0: shift 0 (key 5) or 1 (key 1); day 1: shift 1 only;
    # 0 -> 1 is forbidden, so day 0 must take shift 1 despite its lower value
    pattern = np.array([True, True])
    shift = np.array([0, 1, 1], dtype=np.int64)
    key = np.array([5.0, 1.0, 2.0])
    start, size = np.array([0, 2], dtype=np.int64), np.array([2, 1], dtype=np.int64)
    forbid = np.zeros((3, 2), dtype=np.bool_)
    forbid[0, 1] = True
    cap, capped = np.array([2, 2], dtype=np.int64), np.zeros(2, dtype=np.bool_)
    got = pick(pattern, key, start, size, shift, np.arange(3), cap, capped, 2, forbid)
    assert got.tolist() == [1, 2]
    forbid[1, 1] = True  # and now no filling at all
    got = pick(pattern, key, start, size, shift, np.arange(3), cap, capped, 2, forbid)
    assert got.tolist() == [-1]
