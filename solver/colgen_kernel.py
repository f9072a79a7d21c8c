"""The pricing DP's forward pass, compiled with numba.

Same recurrence as described in :mod:`solver.colgen_price`, over flattened resource states:
``table[t, r]`` is where resource state ``r`` goes when a shift with increment vector ``t``
is worked (-1: beyond a limit); it releases the GIL, so volunteers can be priced in
threads. Tensors: ``on[d, g, k, e, r]`` (yesterday's group ``g``,
run length ``k + 1``, run started on the first day ``e``) and ``off[d, f, r]`` (days off
``f + 1``, the last one "at least"). Unreachable states hold +inf and are skipped, which
is most of them; so are states outside each day's ``band`` (too many minutes already, or
too few to still reach the minimum), which are never written.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, nogil=True)
def forward(
    cost: np.ndarray,  # (D, C) per day and merged class, +inf where not workable
    group: np.ndarray,  # (C,) the group each merged class leaves behind
    allowed: np.ndarray,  # (C, G) groups that may precede each merged class
    mask_id: np.ndarray,  # (C,) index of the class's ``allowed`` row among distinct ones
    n_masks: int,
    t_off: np.ndarray,  # (C, 3) table per day kind (0 weekday, 1 first, 2 second weekend day)
    t_on: np.ndarray,  # (C, 3)
    table: np.ndarray,  # (T, R)
    week: np.ndarray,  # (D,) day kinds
    pen_w: float,  # penalty per weekend worked (when weekends are not in the state)
    kmin: int,
    kmax_sat: bool,
    band: np.ndarray,  # (D, 2) per day, the states [lo, hi) that can still end in a row
    on: np.ndarray,  # (D, G, K, E, R) out (any contents: each day is reset to +inf first)
    off: np.ndarray,  # (D, F, R) out (likewise)
) -> None:
    D, C = cost.shape
    G, K, E, R = on.shape[1], on.shape[2], on.shape[3], on.shape[4]
    F = off.shape[1]
    best = np.empty((n_masks, K, E, R))
    done = np.zeros(n_masks, dtype=np.bool_)
    for d in range(D):
        wk = week[d]
        add_off = pen_w if wk >= 1 else 0.0
        add_on = pen_w if wk == 1 else 0.0
        e0 = 1 if (d == 0 and E == 2) else 0
        lo, hi = band[d, 0], band[d, 1]
        plo, phi = (band[d - 1, 0], band[d - 1, 1]) if d > 0 else (0, 0)
        done[:] = False
        on[d] = INF
        off[d] = INF
        for c in range(C):
            x = cost[d, c]
            if x == INF:
                continue
            g = group[c]
            tab = table[t_off[c, wk]]
            if d == 0:
                r2 = tab[0]
                if lo <= r2 < hi and x + add_off < on[0, g, 0, e0, r2]:
                    on[0, g, 0, e0, r2] = x + add_off
                continue
            for r in range(plo, phi):
                v = off[d - 1, F - 1, r]
                if v == INF:
                    continue
                r2 = tab[r]
                if lo <= r2 < hi and v + x + add_off < on[d, g, 0, e0, r2]:
                    on[d, g, 0, e0, r2] = v + x + add_off
            m = mask_id[c]
            if not done[m]:
                done[m] = True
                best[m] = INF
                for g2 in range(G):
                    if allowed[c, g2]:
                        for k in range(K):
                            for e in range(E):
                                src = on[d - 1, g2, k, e]
                                dst = best[m, k, e]
                                for r in range(plo, phi):
                                    dst[r] = min(dst[r], src[r])
            tab = table[t_on[c, wk]]
            for k in range(K):
                k2 = k + 1
                if k2 >= K:
                    if not kmax_sat:
                        continue
                    k2 = K - 1
                for e in range(E):
                    for r in range(plo, phi):
                        v = best[m, k, e, r]
                        if v == INF:
                            continue
                        r2 = tab[r]
                        if lo <= r2 < hi and v + x + add_on < on[d, g, k2, e, r2]:
                            on[d, g, k2, e, r2] = v + x + add_on
        if d == 0:
            if lo <= 0 < hi:
                off[0, F - 1, 0] = 0.0
            continue
        for r in range(lo, hi):
            end = INF
            for g in range(G):
                for k in range(K):
                    for e in range(E):
                        if k + 1 >= kmin or e == 1:
                            v = on[d - 1, g, k, e, r]
                            if v < end:
                                end = v
            if F == 1:
                off[d, 0, r] = min(end, off[d - 1, 0, r])
            else:
                off[d, 0, r] = end
                for f in range(1, F - 1):
                    off[d, f, r] = off[d - 1, f - 1, r]
                off[d, F - 1, r] = min(off[d - 1, F - 2, r], off[d - 1, F - 1, r])


def warm_up() -> None:
    """Compile (or load from numba's cache) :func:`forward` on a one-day problem, so that
    timing the first real call does not include compilation."""
    on = np.full((1, 1, 1, 1, 1), INF)
    off = np.full((1, 1, 1), INF)
    forward(
        np.zeros((1, 1)), np.zeros(1, np.int64), np.ones((1, 1), np.bool_), np.zeros(1, np.int64),
        1, np.zeros((1, 3), np.int64), np.zeros((1, 3), np.int64), np.zeros((1, 1), np.int64),
        np.zeros(1, np.int64), 0.0, 1, True, np.array([[0, 1]], np.int64), on, off,
    )  # fmt: skip
