"""The LP upper bound on weighted coverage, built over volunteer groups, solved with HiGHS.

The LP relaxation of the pure coverage problem with volunteers aggregated into groups
(:mod:`solver.bound_groups`). Variables ``X[g,o]`` in ``[0, min(m_g, need_o)]`` (people
of group ``g``, of size ``m_g``, on occurrence ``o``); maximise ``sum priority_o X[g,o]``
subject to:

- per occurrence: ``sum_g X[g,o] <= min(need_o, |eligible_o|)``;
- per group and start instant t: ``sum X[g,o] <= m_g`` over the occurrences with
  ``start_o <= t < end_o + min_rest`` (one person is on at most one of those);
- per group: day minutes and shifts per day, week minutes, total minutes, night
  shifts per week, shifts per name, each at most ``m_g`` times the per-person cap.

Runs of days, weekends and successions are left out (that only loosens the bound).
Solved with HiGHS (``scipy.optimize.linprog(method="highs")``).
"""

from __future__ import annotations

import numpy as np

from scheduler.problem import Problem
from solver.bound_groups import eligible_pairs, group_volunteers
from solver.bound_supply import need_priority

MAX_LP_VARS = 1_500_000


def lp_bound(problem: Problem, *, max_vars: int = MAX_LP_VARS) -> tuple[float, str, int]:
    """(LP bound, method, groups); raises RuntimeError if HiGHS does not solve it.

    Groups are of identical volunteers while the LP has at most ``max_vars`` variables,
    else of home cells from 0.5 km, doubled until it fits (or the cells reach 1000 km).
    """
    occ, vol = eligible_pairs(problem)
    if len(occ) == 0:
        return 0.0, "lp (no eligible pairs)", 0
    cell_km: float | None = None
    while True:
        g = group_volunteers(problem, occ, vol, cell_km)
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
    """The LP's optimum over variables (group ``vg[i]``, occurrence ``vo[i]``), padded up."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    occs = problem.occurrences
    present = np.flatnonzero(g >= 0)
    size = np.bincount(g[present], minlength=ng).astype(float)
    rep = np.zeros(ng, dtype=np.int64)
    rep[g[present]] = present  # one member per group: its limits are the group's
    lims = [problem.limits[int(rep[i])] for i in range(ng)]
    need_int, prio = need_priority(occs)
    need = need_int.astype(float)
    elig = np.array([len(e) for e in problem.eligible], dtype=float)
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
