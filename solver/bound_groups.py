"""Volunteers aggregated into groups for the coverage LP (:mod:`solver.bound_lp`).

Volunteers with the same limits are grouped by identical eligibility or, when that makes
the LP too large, by home cell and the set of eligible start instants. A group may work
the *union* of its members' eligible occurrences, which only enlarges the feasible set,
so the LP over groups still bounds coverage from above. Sets are compared by two random
hashes (a fixed seed, so grouping is reproducible).
"""

from __future__ import annotations

import itertools

import numpy as np

from scheduler.problem import Problem


def eligible_pairs(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(occurrence, volunteer) index arrays of every eligible pair, by occurrence."""
    lens = np.array([len(e) for e in problem.eligible], dtype=np.int64)
    total = int(lens.sum())
    vol = np.fromiter(itertools.chain.from_iterable(problem.eligible), np.int64, count=total)
    occ = np.repeat(np.arange(len(problem.eligible), dtype=np.int64), lens)
    return occ, vol


def group_volunteers(
    problem: Problem, occ: np.ndarray, vol: np.ndarray, cell_km: float | None
) -> np.ndarray:
    """Group id per volunteer (-1: in no pair): same limits, same eligibility or cell + starts."""
    nv, no = len(problem.volunteers), len(problem.occurrences)
    rng = np.random.default_rng(12345)
    if cell_km is None:
        w1, w2 = rng.random(no), rng.random(no)
        h1 = np.bincount(vol, weights=w1[occ], minlength=nv)
        h2 = np.bincount(vol, weights=w2[occ], minlength=nv)
    else:  # the set of eligible start instants only
        starts = np.array([o.start.timestamp() for o in problem.occurrences])
        _, slot = np.unique(starts, return_inverse=True)
        ns = int(slot.max()) + 1
        r1, r2 = rng.random(ns), rng.random(ns)
        key = np.unique(vol * ns + slot[occ])
        kv, ks = key // ns, key % ns
        h1 = np.bincount(kv, weights=r1[ks], minlength=nv)
        h2 = np.bincount(kv, weights=r2[ks], minlength=nv)
    keys: dict[tuple, int] = {}
    out = np.full(nv, -1, dtype=np.int64)
    for v in np.unique(vol).tolist():
        vol_ = problem.volunteers[v]
        cell = None
        if cell_km is not None and vol_.lat is not None and vol_.lon is not None:
            cell = (round(vol_.lat * 111.32 / cell_km), round(vol_.lon * 111.32 / cell_km))
        k = (_limit_key(problem, v), cell, round(h1[v], 9), round(h2[v], 9))
        out[v] = keys.setdefault(k, len(keys))
    return out


def _limit_key(problem: Problem, v: int) -> tuple:
    """The limits that enter the LP: volunteers differing in them are never grouped."""
    lim = problem.limits[v]
    return (
        lim.max_week_minutes,
        lim.max_day_minutes,
        lim.max_total_minutes,
        lim.min_rest_minutes,
        lim.max_nights_per_week,
        lim.max_shifts_per_day,
        tuple(sorted(lim.max_shifts.items())),
    )
