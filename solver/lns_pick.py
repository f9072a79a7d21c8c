"""The greedy row's shift picking (:class:`solver.lns_greedy._Builder`), compiled with numba.

Given a work/off pattern, each worked day takes its most valuable option that still lets
the run go on to its end under the shift caps and forbidden successions; whether a run
can be finished from day d after shift s is a depth-first search (:func:`_finish`),
memoised on (d, s) where no cap can bind before the run ends. Shifts are numbered
0..S-1 and S stands for "no shift yesterday". Options are flat arrays grouped by day
(``start[d]``, ``size[d]``): ``shift[j]`` and ``key[j]`` (value at the price); ``loose``
holds each day's options in the order :func:`_finish` tries them (fewest forbidden
successors first).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _finish(
    d: int, last: int, count: np.ndarray, pattern: np.ndarray, use_memo: bool,
    memo: np.ndarray, loose: np.ndarray, start: np.ndarray, size: np.ndarray,
    shift: np.ndarray, cap: np.ndarray, forbid: np.ndarray,
) -> bool:  # fmt: skip  # pragma: no cover - compiled
    """Whether the run going on at day ``d`` (yesterday's shift ``last``) can be completed
    with ``count`` shifts of each kind so far."""
    if d >= pattern.shape[0] or not pattern[d]:
        return True
    if use_memo and memo[d, last] >= 0:
        return memo[d, last] == 1
    done = False
    for i in range(start[d], start[d] + size[d]):
        s = shift[loose[i]]
        if count[s] < cap[s] and not forbid[last, s]:
            count[s] += 1
            done = _finish(d + 1, s, count, pattern, use_memo, memo, loose, start, size,
                           shift, cap, forbid)  # fmt: skip
            count[s] -= 1
            if done:
                break
    if use_memo:
        memo[d, last] = 1 if done else 0
    return done


@njit(cache=True)
def pick(
    pattern: np.ndarray, key: np.ndarray, start: np.ndarray, size: np.ndarray,
    shift: np.ndarray, loose: np.ndarray, cap: np.ndarray, capped: np.ndarray, room: int,
    forbid: np.ndarray,
) -> np.ndarray:  # fmt: skip  # pragma: no cover - compiled
    """The flat option picked on each worked day of ``pattern``, in day order; ``[-1]``
    when some run cannot be filled. ``cap[s]``: the
    cap on shift s (the horizon when none), ``capped[s]``: s has a cap, ``room``: the
    least cap among capped shifts that are options. Each day's options are tried by
    value (``key``, highest first; ties: the first option)."""
    days = pattern.shape[0]
    n_shifts = forbid.shape[0] - 1
    end = np.full(days + 1, days, dtype=np.int64)  # the first day off at or after d
    for d in range(days - 1, -1, -1):
        end[d] = end[d + 1] if pattern[d] else d
    memo = np.full((days + 1, n_shifts + 1), -1, dtype=np.int8)
    count = np.zeros(n_shifts, dtype=np.int64)
    row = np.empty(days, dtype=np.int64)
    n = 0
    last = n_shifts
    order = np.empty(64, dtype=np.int64)
    for d in range(days):
        if not pattern[d]:
            last = n_shifts
            continue
        left = end[d + 1] - (d + 1)  # days still to fill in this run after d
        k = size[d]
        if k > order.shape[0]:
            order = np.empty(k, dtype=np.int64)
        for a in range(k):  # stable insertion sort by key, highest first
            j = start[d] + a
            b = a
            while b > 0 and key[order[b - 1]] < key[j]:
                order[b] = order[b - 1]
                b -= 1
            order[b] = j
        chosen = -1
        for a in range(k):
            j = order[a]
            s = shift[j]
            if count[s] >= cap[s] or forbid[last, s]:
                continue
            count[s] += 1
            # no cap can bind before the run ends: memoise on (day, last shift)
            low = min(room, cap[s] - count[s]) if capped[s] else room
            done = _finish(d + 1, s, count, pattern, low >= left, memo, loose, start, size,
                           shift, cap, forbid)  # fmt: skip
            count[s] -= 1
            if done:
                chosen = j
                break
        if chosen < 0:
            return np.full(1, -1, dtype=np.int64)
        row[n] = chosen
        n += 1
        last = shift[chosen]
        count[last] += 1
        if capped[last]:
            room = min(room, cap[last] - count[last])
    return row[:n]
