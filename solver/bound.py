"""Upper bounds on weighted coverage: sum_o priority_o * min(n_o, need_o) over any roster.

Two bounds, both valid for every roster that keeps the hard rules:

* **supply**: ``sum_o priority_o * min(need_o, |eligible_o|)``;
* **LP** (used when it solves): the LP relaxation of the pure coverage problem with
  volunteers aggregated into groups. Volunteers with the same limits are grouped (by
  identical eligibility, or, when that is too large, by home cell and eligible start
  times); a group ``g`` of ``m_g`` people may work the *union* of its members' eligible
  occurrences, which only enlarges the feasible set, so the optimum stays an upper bound.
  Variables ``X[g,o]`` in ``[0, min(m_g, need_o)]`` (people of ``g`` on ``o``);
  maximise ``sum priority_o X[g,o]`` subject to:

  - per occurrence: ``sum_g X[g,o] <= min(need_o, |eligible_o|)``;
  - per group and start instant t: ``sum X[g,o] <= m_g`` over the occurrences with
    ``start_o <= t < end_o + min_rest`` (one person is on at most one of those);
  - per group: day minutes and shifts per day, week minutes, total minutes, night
    shifts per week, shifts per name, each at most ``m_g`` times the per-person cap.

  Runs of days, weekends and successions are left out (that only loosens the bound).
  Solved with HiGHS (``scipy.optimize.linprog(method="highs")``).

The reported bound is min(LP, supply). :func:`coverage_bound` says which was used.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.problem import Problem

Pair = tuple[int, int]
MAX_LP_VARS = 1_500_000


@dataclass(frozen=True)
class CoverageBound:
    value: float  # the bound: min(lp, supply)
    demand: float  # sum priority * need (coverage if nothing were short)
    supply: float
    lp: float | None
    method: str
    groups: int
    seconds: float


def weighted_coverage(problem: Problem, pairs: Iterable[Pair]) -> float:
    """sum_o priority_o * min(n_o, need_o) of a set of (occurrence, volunteer) pairs."""
    n = np.zeros(len(problem.occurrences), dtype=np.int64)
    for o, _ in set(pairs):
        n[o] += 1
    need = np.array([o.need for o in problem.occurrences], dtype=np.int64)
    prio = np.array([o.priority for o in problem.occurrences], dtype=float)
    return float(np.sum(prio * np.minimum(n, need)))


def _limit_key(problem: Problem, v: int) -> tuple:
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


def _pairs(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    lens = np.array([len(e) for e in problem.eligible], dtype=np.int64)
    total = int(lens.sum())
    vol = np.fromiter(itertools.chain.from_iterable(problem.eligible), np.int64, count=total)
    occ = np.repeat(np.arange(len(problem.eligible), dtype=np.int64), lens)
    return occ, vol


def _groups(
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


def lp_bound(problem: Problem, *, max_vars: int = MAX_LP_VARS) -> tuple[float, str, int]:
    """(LP bound, method, groups); raises RuntimeError if HiGHS does not solve it."""
    occ, vol = _pairs(problem)
    if len(occ) == 0:
        return 0.0, "lp (no eligible pairs)", 0
    cell_km: float | None = None
    while True:
        g = _groups(problem, occ, vol, cell_km)
        ng = int(g.max()) + 1
        var = np.unique(g[vol] * len(problem.occurrences) + occ)
        if len(var) <= max_vars or (cell_km is not None and cell_km >= 1000):
            break
        cell_km = 0.5 if cell_km is None else cell_km * 2
    method = (
        "lp (groups of identical volunteers)"
        if cell_km is None
        else f"lp (home cells {cell_km:g} km)"
    )
    value = _solve_lp(
        problem, g, ng, var // len(problem.occurrences), var % len(problem.occurrences)
    )
    return value, method, ng


def _solve_lp(problem: Problem, g: np.ndarray, ng: int, vg: np.ndarray, vo: np.ndarray) -> float:
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    occs = problem.occurrences
    present = np.flatnonzero(g >= 0)
    size = np.bincount(g[present], minlength=ng).astype(float)
    rep = np.zeros(ng, dtype=np.int64)
    rep[g[present]] = present  # one member per group: its limits are the group's
    lims = [problem.limits[int(rep[i])] for i in range(ng)]
    need = np.array([o.need for o in occs], dtype=float)
    elig = np.array([len(e) for e in problem.eligible], dtype=float)
    prio = np.array([o.priority for o in occs], dtype=float)
    start = np.array([o.start.timestamp() for o in occs])
    end = np.array([o.end.timestamp() for o in occs])
    minutes = np.array([o.minutes for o in occs], dtype=float)
    day = np.array([o.day for o in occs], dtype=np.int64)
    week = np.array([o.week for o in occs], dtype=np.int64)
    night = np.array([o.night for o in occs], dtype=bool)
    names = sorted({o.shift for o in occs})
    shift_id = np.array([names.index(o.shift) for o in occs], dtype=np.int64) if names else None

    nvar = len(vg)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rhs: list[np.ndarray] = []
    n_rows = 0

    def block(row_key: np.ndarray, var_idx: np.ndarray, coef: np.ndarray, cap_of_key) -> None:
        nonlocal n_rows
        if len(var_idx) == 0:
            return
        uniq, inv = np.unique(row_key, return_inverse=True)
        rows.append(inv + n_rows)
        cols.append(var_idx)
        vals.append(coef)
        rhs.append(cap_of_key(uniq))
        n_rows += len(uniq)

    idx = np.arange(nvar)
    block(vo, idx, np.ones(nvar), lambda u: np.minimum(need[u], elig[u]))
    # one person, one of any occurrences overlapping a start instant (rest included)
    instants = np.unique(start)
    rest = np.array([(lim.min_rest_minutes or 0) * 60.0 for lim in lims])
    lo = np.searchsorted(instants, start[vo], side="left")
    hi = np.searchsorted(instants, end[vo] + rest[vg], side="left")
    reps = hi - lo
    var_r = np.repeat(idx, reps)
    t_r = np.repeat(lo, reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
    block(
        vg[var_r] * len(instants) + t_r,
        var_r,
        np.ones(len(var_r)),
        lambda u: size[u // len(instants)],
    )

    def capped(
        cap: np.ndarray, key: np.ndarray, coef: np.ndarray, mask: np.ndarray, period: int
    ) -> None:
        sel = mask & ~np.isnan(cap[vg])
        block(
            vg[sel] * period + key[sel],
            idx[sel],
            coef[sel],
            lambda u: size[u // period] * cap[u // period],
        )

    def arr(f) -> np.ndarray:
        return np.array([np.nan if f(lim) is None else float(f(lim)) for lim in lims])

    every = np.ones(nvar, dtype=bool)
    nd, nw = int(day.max()) + 1, int(week.max()) + 1
    capped(arr(lambda x: x.max_day_minutes), day[vo], minutes[vo], every, nd)
    capped(arr(lambda x: x.max_shifts_per_day), day[vo], np.ones(nvar), every, nd)
    capped(arr(lambda x: x.max_week_minutes), week[vo], minutes[vo], every, nw)
    capped(arr(lambda x: x.max_total_minutes), np.zeros(nvar, np.int64), minutes[vo], every, 1)
    capped(arr(lambda x: x.max_nights_per_week), week[vo], np.ones(nvar), night[vo], nw)
    for k, name in enumerate(names):
        cap = arr(lambda x, name=name: x.max_shifts.get(name))
        capped(cap, np.zeros(nvar, np.int64), np.ones(nvar), shift_id[vo] == k, 1)  # type: ignore[index]

    a = coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, nvar)
    ).tocsr()
    upper = np.minimum(size[vg], need[vo])
    res = linprog(
        -prio[vo],
        A_ub=a,
        b_ub=np.concatenate(rhs),
        bounds=np.column_stack((np.zeros(nvar), upper)),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"HiGHS did not solve the coverage LP: {res.message}")
    # HiGHS stops within its tolerances: pad so the bound is never below the optimum
    return float(-res.fun) * (1 + 1e-9) + 1e-6


def supply_bound(problem: Problem) -> float:
    return float(
        sum(
            o.priority * min(o.need, len(e))
            for o, e in zip(problem.occurrences, problem.eligible, strict=True)
        )
    )


def coverage_bound(problem: Problem, *, lp: bool = True) -> CoverageBound:
    """The best valid upper bound available on weighted coverage (see the module doc)."""
    t0 = time.monotonic()
    demand = float(sum(o.priority * o.need for o in problem.occurrences))
    supply = supply_bound(problem)
    value, method, groups, lp_value = supply, "supply (min(need, eligible))", 0, None
    if lp and supply > 0:
        lp_value, lp_method, groups = lp_bound(problem)
        if lp_value < value:
            value, method = lp_value, lp_method
    return CoverageBound(
        value=value,
        demand=demand,
        supply=supply,
        lp=lp_value,
        method=method,
        groups=groups,
        seconds=round(time.monotonic() - t0, 3),
    )


def regional_bound(
    problem: Problem,
    regions: Sequence[Sequence[str]],
    pairs: Iterable[Pair],
    *,
    lp_seconds: float = 120.0,
) -> tuple[CoverageBound, list[dict]]:
    """The bound of a city-scale problem, region by region (regions = lists of site ids).

    Coverage of region r is at most LP_r, the LP above over r's occurrences and *every*
    volunteer eligible for them (their shifts elsewhere dropped: a relaxation), so the
    sum over a partition of the sites is a valid bound for the whole plan. Where the
    roster already reaches a region's supply bound, that is its bound (no LP needed); once
    ``lp_seconds`` are spent on LPs, the remaining regions keep their supply bound.
    ``problem`` may be lazy (:func:`scheduler.fast_compile.compile_plan_fast`).
    """
    from scheduler.fast_compile import eligibility_index

    t0 = time.monotonic()
    index = eligibility_index(problem)
    counts, _ = index.scan()
    occs = problem.occurrences
    need = np.array([o.need for o in occs], dtype=np.int64)
    prio = np.array([o.priority for o in occs], dtype=float)
    n = np.zeros(len(occs), dtype=np.int64)
    for o, _v in set(pairs):
        n[o] += 1
    supply_o = prio * np.minimum(need, counts)
    cover_o = prio * np.minimum(need, n)
    by_site: dict[str, list[int]] = {}
    for o in occs:
        by_site.setdefault(o.site, []).append(o.index)
    rows: list[dict] = []
    total, lp_regions, groups = 0.0, 0, 0
    for r, sites in enumerate(regions):
        idx = np.array([o for s in sites for o in by_site.get(s, ())], dtype=np.int64)
        supply, cover = float(supply_o[idx].sum()), float(cover_o[idx].sum())
        row = {"region": r, "supply": supply, "coverage": cover, "bound": supply, "lp": None}
        if cover < supply - 1e-9 and time.monotonic() - t0 < lp_seconds:
            sub = Problem(
                plan=problem.plan,
                tz=problem.tz,
                occurrences=tuple(occs[o] for o in idx.tolist()),
                volunteers=problem.volunteers,
                limits=problem.limits,
                sites=problem.sites,
                eligible=tuple(tuple(index.eligible(o).tolist()) for o in idx.tolist()),
            )
            value, _method, ng = lp_bound(sub)
            row["lp"], row["bound"] = value, min(supply, value)
            lp_regions += 1
            groups += ng
        total += row["bound"]
        rows.append(row)
    demand = float((prio * need).sum())
    bound = CoverageBound(
        value=total,
        demand=demand,
        supply=float(supply_o.sum()),
        lp=None,
        method=f"regional (supply; LP in {lp_regions} of {len(regions)} regions)",
        groups=groups,
        seconds=round(time.monotonic() - t0, 3),
    )
    return bound, rows
