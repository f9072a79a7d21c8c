"""Work/off day patterns of one volunteer by dynamic programming over run states.

States: on (run length 1..kmax, from the horizon start or inside) and off (run length
1..koff, the last also standing for "off since the start"). Runs touching either horizon
edge are exempt from the minima; days before the horizon count as off.
"""

from __future__ import annotations

import math


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
    work: list[float | None], kmax: int, kmin: int, koff: int, fresh: dict[int, float] | None = None
) -> list[bool]:
    """The work/off days maximising the sum of ``work[d]`` over worked days (None: off),
    plus ``fresh[d]`` when d is worked after a day off, under the run rules: runs of work
    <= kmax, >= kmin and runs off >= koff except runs touching either horizon edge (days
    before the horizon are off)."""
    fresh = fresh or {}
    neg = -math.inf
    # states: 0..kmax-1 on (run r+1, from the start), kmax..2kmax-1 on (run r+1, inside),
    # 2kmax..2kmax+koff-1 off (run min(r+1, koff); the last one also "off from start")
    n = 2 * kmax + koff
    score = [neg] * n
    back: list[list[int]] = []
    w0 = work[0]
    score[2 * kmax + koff - 1] = 0.0
    if w0 is not None:
        score[0] = w0
    back.append([-1] * n)
    for d in range(1, len(work)):
        wd = work[d]
        new = [neg] * n
        arg = [-1] * n
        for s, sc in enumerate(score):
            if sc == neg:
                continue
            if s < 2 * kmax:  # on
                r = s % kmax + 1
                if wd is not None and r < kmax:
                    t = s + 1
                    if sc + wd > new[t]:
                        new[t], arg[t] = sc + wd, s
                if s < kmax or r >= kmin:
                    t = 2 * kmax
                    if sc > new[t]:
                        new[t], arg[t] = sc, s
            else:  # off
                r = s - 2 * kmax + 1
                t = min(s + 1, n - 1)
                if sc > new[t]:
                    new[t], arg[t] = sc, s
                if wd is not None and r >= koff:
                    x = sc + wd + fresh.get(d, 0.0)
                    if x > new[kmax]:
                        new[kmax], arg[kmax] = x, s
        score = new
        back.append(arg)
    s = max(range(n), key=lambda i: score[i])
    out = [False] * len(work)
    for d in range(len(work) - 1, -1, -1):
        out[d] = s < 2 * kmax
        s = back[d][s]
    return out
