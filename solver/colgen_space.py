"""The static shape of one volunteer's rows, as the pricing DP (:mod:`solver.colgen_price`)
walks them.

* *Option classes* ``j``: the volunteer's distinct (shift name, minutes).
* *Groups* ``g``: classes that forbid the same shift names the next day. The DP remembers
  only the group of yesterday's shift, which is all a succession rule needs.
* *Merged classes* ``c``: classes with the same group, the same allowed groups before
  them and the same resource increments behave alike; on any day only the cheapest of
  them matters.
* *Resources*: minutes worked (in units of the gcd of the shift lengths, when the
  volunteer has a total bound), weekends worked (when ``max_weekends`` can bind) and
  shifts of each name whose cap can bind, each a tensor axis; when the tensor would exceed
  ``max_states`` they leave the state (caps first, the largest first, then weekends,
  then minutes) and are priced by penalties instead. :func:`state_budget` sets
  ``max_states`` by the horizon and the staff; above MIN_STATES only caps below LOOSE_CAP
  stay in the state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scheduler.problem import Problem
from solver.constraints.weekends import weekend_days


@dataclass(frozen=True)
class Space:
    """What one volunteer may work, as the pricing DP sees it."""

    v: int
    days: int
    raw_minutes: tuple[int, ...]  # per class j
    name_of: tuple[int, ...]  # per class j: index into ``cap_names``
    cap_names: tuple[str, ...]
    day_of: np.ndarray  # per eligible occurrence (``occs`` order): its day
    class_of: np.ndarray  # ... its class j
    occs: np.ndarray  # the volunteer's eligible occurrences
    merged_of: tuple[int, ...]  # per class j: its merged class c
    group: tuple[int, ...]  # per merged class c: its group
    allowed: tuple[np.ndarray, ...]  # per merged class c: groups that may precede it (bool)
    inc: np.ndarray  # (C, axes): what working merged class c adds on each axis
    groups: int
    kmax: int
    kmax_sat: bool  # no maximum run: the run counter saturates at kmax
    kmin: int
    koff: int
    week: tuple[int, ...]  # per day: 0 weekday, 1 first day of a weekend, 2 its second day
    sizes: tuple[int, ...]  # tracked resource axes
    m_axis: int | None  # the minutes axis
    m_sat: bool  # its last state means "at least" (a minimum and no maximum)
    lo: int  # minimum minutes in units (on the minutes axis)
    w_axis: int | None  # the weekends axis
    pen_caps: tuple[tuple[int, int], ...]  # (name index, cap) priced by penalty
    pen_weekends: int | None  # weekend cap priced by penalty
    pen_minutes: tuple[int | None, int | None]  # total bounds priced by penalty
    table: np.ndarray  # (T, R): flat resource state r -> state after an increment (-1: over)
    t_off: np.ndarray  # (C, 3): table of merged class c from a day off, by day kind
    t_on: np.ndarray  # (C, 3): ... from a worked day
    mask_id: np.ndarray  # (C,): index of c's ``allowed`` among the distinct ones
    band: np.ndarray  # (D, 2): flat resource states [lo, hi) that can still end in a row

    @property
    def run_shape(self) -> tuple[int, int, int]:
        return (self.groups, self.kmax, 2 if self.kmin > 1 else 1)

    @property
    def exact(self) -> bool:
        """Every rule is in the state (the DP's row is the cheapest that keeps them)."""
        if not len(self.occs):
            return True
        return not self.pen_caps and self.pen_weekends is None and self.pen_minutes == (None, None)


MIN_STATES = 150_000
MAX_STATES = 1_000_000
MAX_CELLS = 40_000_000
MAX_TOTAL = 30_000_000
"""State budget per day for :func:`state_budget`: up to MAX_CELLS over the horizon (the
day tensors are kept for backtracking: 8 bytes a cell) and MAX_TOTAL over the volunteers
(a pricing round's work), within [MIN_STATES, MAX_STATES]."""


LOOSE_CAP = 16
"""Beyond MIN_STATES, only caps below this are worth their axis: a loose cap rarely binds
and costs cap + 1 states (Curtois & Qu Instance18: a cap of 43 shifts of 54 made pricing
2.5x slower for the same LP)."""


def state_budget(problem: Problem) -> int:
    """How many states a day's pricing tensor may hold before rules become penalties:
    more on short horizons, where exact pricing is affordable (Curtois & Qu Instance15,
    42 days: at 150 000 states one shift cap is penalised and the LP stalls at 4 352,
    above the optimum 3 829; at 666 000 it converges to 3 824)."""
    days = max(1, problem.config.horizon.days)
    people = max(1, len(problem.volunteers))
    return max(MIN_STATES, min(MAX_STATES, MAX_CELLS // days, MAX_TOTAL // people))


def _binding_caps(problem: Problem, v: int, keys: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(name, cap) of the caps that a row could exceed."""
    occ, lim = problem.occurrences, problem.limits[v]
    out = []
    for name, cap in sorted(lim.max_shifts.items()):
        lengths = [m for n, m in keys if n == name]
        if not lengths:
            continue
        most = len({occ[o].day for o in problem.by_volunteer[v] if occ[o].shift == name})
        if lim.max_total_minutes is not None:
            most = min(most, lim.max_total_minutes // min(lengths))
        if cap < most:
            out.append((name, cap))
    return out


def _week(problem: Problem) -> tuple[list[int], list[list[int]]]:
    days = problem.config.horizon.days
    groups = weekend_days(problem.config.horizon.start, days)
    week = [0] * days
    for g in groups:
        week[g[0]] = 1
        for d in g[1:]:
            week[d] = 2
    return week, groups


def _tables(
    inc: np.ndarray, sizes: tuple[int, ...], w_axis: int | None, m_axis: int | None,
    m_sat: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Transition tables over flattened resource states, and which one each merged class
    uses from a day off / a worked day on each day kind (0 weekday, 1 first, 2 second
    weekend day): a weekend is counted when its first day is worked, or its second day
    after a day off."""
    coords = np.indices(sizes).reshape(len(sizes), -1).T if sizes else np.zeros((1, 0), int)
    vectors: dict[tuple[int, ...], int] = {}
    t_off = np.zeros((len(inc), 3), dtype=np.int64)
    t_on = np.zeros((len(inc), 3), dtype=np.int64)
    for c, base in enumerate(inc):
        for kind in range(3):
            for out, counted in ((t_off, kind >= 1), (t_on, kind == 1)):
                vec = [int(x) for x in base]
                if w_axis is not None:
                    vec[w_axis] = int(counted)
                out[c, kind] = vectors.setdefault(tuple(vec), len(vectors))
    table = np.full((max(1, len(vectors)), len(coords)), -1, dtype=np.int64)
    for vec, t in vectors.items():
        moved = coords + np.array(vec, dtype=np.int64)
        if m_sat and m_axis is not None:
            moved[:, m_axis] = np.minimum(moved[:, m_axis], sizes[m_axis] - 1)
        ok = (moved < np.array(sizes)).all(axis=1) if sizes else np.ones(len(coords), bool)
        flat = np.ravel_multi_index(moved[ok].T, sizes) if sizes else np.zeros(int(ok.sum()), int)
        table[t, ok] = flat
    return table, t_off, t_on


def max_worked(n: int, kmax: int | None, koff: int) -> int:
    """The most days worked in ``n`` consecutive days with runs of at most ``kmax`` days
    (None: no maximum) and at least ``koff`` days off between them."""
    if kmax is None:
        return max(0, n)
    period = kmax + koff
    return (n // period) * kmax + min(n % period, kmax)


def minutes_band(
    units: np.ndarray, lo: int, top: int, kmax: int | None, koff: int
) -> np.ndarray:  # fmt: skip
    """Per day d, the minutes states [lo, hi] (in units, inclusive) after day d from which
    a row can still end within its bounds: no more than the days up to d can hold, and
    enough that the days after d can still reach the minimum ``lo``. ``units`` is the most
    a day can add, per day; ``top`` the last state. States outside cannot lead to a row,
    so the DP skips them (exactly: the same cheapest row, in a fraction of the work on a
    long horizon)."""
    days = len(units)
    so_far = np.maximum.accumulate(units)  # the most a day up to d can add
    to_come = np.maximum.accumulate(units[::-1])[::-1]  # ... a day from d on
    out = np.zeros((days, 2), dtype=np.int64)
    for d in range(days):
        most = max_worked(d + 1, kmax, koff) * int(so_far[d])
        rest = max_worked(days - 1 - d, kmax, koff) * int(to_come[d + 1]) if d + 1 < days else 0
        out[d] = (max(0, lo - rest), min(top, most))
    return out


def build_space(problem: Problem, v: int, max_states: int) -> Space:
    """The classes, run rules and resources of volunteer ``v``."""
    occ, lim = problem.occurrences, problem.limits[v]
    days = problem.config.horizon.days
    mine = problem.by_volunteer[v]
    keys = sorted({(occ[o].shift, occ[o].minutes) for o in mine})
    index = {k: j for j, k in enumerate(keys)}
    forbid: dict[str, set[str]] = {}
    for r in problem.config.rules.forbidden_successions:
        forbid.setdefault(r.first, set()).add(r.then)
    names = sorted({n for n, _ in keys})
    fsets = sorted({frozenset(forbid.get(n, set()) & set(names)) for n in names}, key=sorted)
    group_of_name = {n: fsets.index(frozenset(forbid.get(n, set()) & set(names))) for n in names}
    kmin = max(1, lim.min_consecutive_days or 1)
    kmax_sat = lim.max_consecutive_days is None or lim.max_consecutive_days >= days
    kmax = kmin if kmax_sat else max(1, lim.max_consecutive_days or 1)
    koff = max(1, lim.min_consecutive_days_off or 1)
    week, wgroups = _week(problem)
    workable = {occ[o].day for o in mine}
    live = sum(1 for g in wgroups if any(d in workable for d in g))
    w_cap = lim.max_weekends if lim.max_weekends is not None and lim.max_weekends < live else None
    caps = _binding_caps(problem, v, keys)
    unit = max(1, math.gcd(*(m for _, m in keys))) if keys else 1
    lo = 0 if lim.min_total_minutes is None else -(-lim.min_total_minutes // unit)
    m_size = 1
    if keys and lim.max_total_minutes is not None:
        m_size = lim.max_total_minutes // unit + 1
    elif keys and lim.min_total_minutes is not None:
        m_size = lo + 1
    run = max(1, len(fsets)) * kmax * (2 if kmin > 1 else 1) + koff
    track_m, track_w, tracked = m_size > 1, w_cap is not None, list(caps)
    while tracked or track_w or track_m:
        size = run * (m_size if track_m else 1) * ((w_cap or 0) + 1 if track_w else 1)
        full = size * math.prod(c + 1 for _, c in tracked)
        if full <= min(max_states, MIN_STATES):
            break
        if full <= max_states and all(c < LOOSE_CAP for _, c in tracked):
            break
        if tracked:
            tracked.remove(max(tracked, key=lambda nc: nc[1]))
        elif track_w:
            track_w = False
        else:
            track_m = False
    sizes: list[int] = []
    m_axis = w_axis = None
    if track_m:
        m_axis = len(sizes)
        sizes.append(m_size)
    if track_w:
        w_axis = len(sizes)
        sizes.append((w_cap or 0) + 1)
    sizes += [c + 1 for _, c in tracked]

    def inc(name: str, minutes: int) -> tuple[int, ...]:
        out = [minutes // unit] if track_m else []
        out += [0] if track_w else []
        return tuple(out + [int(n == name) for n, _ in tracked])

    merged: dict[tuple, int] = {}
    merged_of = []
    for name, minutes in keys:
        allowed = tuple(name not in f for f in fsets)
        key = (group_of_name[name], allowed, inc(name, minutes))
        merged_of.append(merged.setdefault(key, len(merged)))
    name_index = {n: i for i, n in enumerate(names)}
    incs = np.array([k[2] for k in merged], dtype=np.int64).reshape(len(merged), len(sizes))
    m_sat = track_m and lim.max_total_minutes is None
    table, t_off, t_on = _tables(incs, tuple(sizes), w_axis, m_axis, m_sat)
    masks = [k[1] for k in merged]
    flat = math.prod(sizes)
    band = np.tile(np.array([0, flat], dtype=np.int64), (days, 1))
    if track_m and keys:
        units = np.zeros(days, dtype=np.int64)
        np.maximum.at(units, [occ[o].day for o in mine], [occ[o].minutes // unit for o in mine])
        per = flat // m_size  # the minutes axis is the first: a state range per unit
        span = minutes_band(units, lo, m_size - 1, None if kmax_sat else kmax, koff)
        band = np.stack([span[:, 0] * per, (span[:, 1] + 1) * per], axis=1)
        band[:, 1] = np.maximum(band[:, 0], band[:, 1])
    return Space(
        v=v,
        days=days,
        raw_minutes=tuple(m for _, m in keys),
        name_of=tuple(name_index[n] for n, _ in keys),
        cap_names=tuple(names),
        day_of=np.array([occ[o].day for o in mine], dtype=np.int64),
        class_of=np.array([index[(occ[o].shift, occ[o].minutes)] for o in mine], dtype=np.int64),
        occs=np.array(mine, dtype=np.int64),
        merged_of=tuple(merged_of),
        group=tuple(k[0] for k in merged),
        allowed=tuple(np.array(k[1], dtype=bool) for k in merged),
        inc=incs,
        groups=max(1, len(fsets)),
        kmax=kmax,
        kmax_sat=kmax_sat,
        kmin=kmin,
        koff=koff,
        week=tuple(week),
        sizes=tuple(sizes),
        m_axis=m_axis,
        m_sat=m_sat,
        lo=lo if track_m else 0,
        w_axis=w_axis,
        pen_caps=tuple((name_index[n], c) for n, c in caps if (n, c) not in tracked),
        pen_weekends=w_cap if w_cap is not None and not track_w else None,
        pen_minutes=(None, None) if track_m else (lim.min_total_minutes, lim.max_total_minutes),
        table=table,
        t_off=t_off,
        t_on=t_on,
        mask_id=np.array([sorted(set(masks)).index(m) for m in masks], dtype=np.int64),
        band=band,
    )
