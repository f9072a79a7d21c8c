"""Work/off day patterns of one volunteer by dynamic programming over run states.

States: on (run length 1..kmax, from the horizon start or inside) and off (run length
1..koff, the last also standing for "off since the start"). Runs touching either horizon
edge are exempt from the minima; days before the horizon count as off.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


def longest_pattern(
    work: list[float | None], kmax: int, kmin: int, koff: int, groups: list[list[int]], cap: int
) -> list[bool]:
    """As :func:`best_pattern`, with at most ``cap`` of the weekends ``groups`` worked (the
    count is part of the state)."""
    neg = -math.inf
    n = 2 * kmax + koff
    first = {g[0] for g in groups}  # Saturdays
    second = {g[1] for g in groups if len(g) > 1}
    score: dict[tuple[int, int], float] = {(n - 1, 0): 0.0}
    if work[0] is not None:
        score[(0, 1 if 0 in first else 0)] = work[0]
    back: list[dict[tuple[int, int], tuple[int, int]]] = [{}]
    for d in range(1, len(work)):
        wd = work[d]
        new: dict[tuple[int, int], float] = {}
        arg: dict[tuple[int, int], tuple[int, int]] = {}
        for (s, c), sc in score.items():
            moves = []
            if s < 2 * kmax:
                r = s % kmax + 1
                if wd is not None and r < kmax:
                    moves.append(((s + 1, c + (d in first)), sc + wd))
                if s < kmax or r >= kmin:
                    moves.append(((2 * kmax, c), sc))
            else:
                moves.append(((min(s + 1, n - 1), c), sc))
                if wd is not None and s - 2 * kmax + 1 >= koff:
                    moves.append(((kmax, c + (d in first or d in second)), sc + wd))
            for key, x in moves:
                if key[1] <= cap and x > new.get(key, neg):
                    new[key], arg[key] = x, (s, c)
        score = new
        back.append(arg)
    key = max(score, key=lambda k: score[k])
    out = [False] * len(work)
    for d in range(len(work) - 1, -1, -1):
        out[d] = key[0] < 2 * kmax
        key = back[d].get(key, key)
    return out


def best_pattern(
    work: list[float | None] | np.ndarray, kmax: int, kmin: int, koff: int,
    fresh: dict[int, float] | None = None,
) -> list[bool]:  # fmt: skip
    """The work/off days maximising the sum of ``work[d]`` over worked days (None, or NaN
    in an array: off), plus ``fresh[d]`` when d is worked after a day off, under the run
    rules: runs of work <= kmax, >= kmin and runs off >= koff except runs touching either
    horizon edge (days before the horizon are off). Compiled (:func:`_best_pattern`)."""
    w = np.array([np.nan if x is None else x for x in work] if isinstance(work, list) else work,
                 dtype=np.float64)  # fmt: skip
    f = np.zeros(len(w))
    for d, x in (fresh or {}).items():
        f[d] = x
    return _best_pattern(w, f, kmax, kmin, koff).tolist()


def best_pattern_array(work: np.ndarray, kmax: int, kmin: int, koff: int) -> np.ndarray:
    """:func:`best_pattern` of a float array (NaN: off), as a bool array."""
    return _best_pattern(work, np.zeros(len(work)), kmax, kmin, koff)


@njit(cache=True)
def _best_pattern(
    work: np.ndarray, fresh: np.ndarray, kmax: int, kmin: int, koff: int
) -> np.ndarray:  # pragma: no cover - compiled
    """The DP of :func:`best_pattern` (ties: the first state and the first move win, as
    the plain-Python version it replaced did)."""
    neg = -np.inf
    # states: 0..kmax-1 on (run r+1, from the start), kmax..2kmax-1 on (run r+1, inside),
    # 2kmax..2kmax+koff-1 off (run min(r+1, koff); the last one also "off from start")
    n = 2 * kmax + koff
    days = work.shape[0]
    score = np.full(n, neg)
    back = np.full((days, n), -1, dtype=np.int64)
    score[n - 1] = 0.0
    if not np.isnan(work[0]):
        score[0] = work[0]
    new = np.empty(n)
    for d in range(1, days):
        wd = work[d]
        on_ok = not np.isnan(wd)
        new[:] = neg
        arg = back[d]
        for s in range(n):
            sc = score[s]
            if sc == neg:
                continue
            if s < 2 * kmax:  # on
                r = s % kmax + 1
                if on_ok and r < kmax:
                    t = s + 1
                    if sc + wd > new[t]:
                        new[t] = sc + wd
                        arg[t] = s
                if s < kmax or r >= kmin:
                    t = 2 * kmax
                    if sc > new[t]:
                        new[t] = sc
                        arg[t] = s
            else:  # off
                r = s - 2 * kmax + 1
                t = min(s + 1, n - 1)
                if sc > new[t]:
                    new[t] = sc
                    arg[t] = s
                if on_ok and r >= koff:
                    x = sc + wd + fresh[d]
                    if x > new[kmax]:
                        new[kmax] = x
                        arg[kmax] = s
        score[:] = new
    s = int(np.argmax(score))
    out = np.zeros(days, dtype=np.bool_)
    for d in range(days - 1, -1, -1):
        out[d] = s < 2 * kmax
        s = back[d, s]
    return out
