"""A pure-Python constructive start for LNS: greedy rows, one volunteer at a time.

Where :func:`solver.lns_rules.applicable` holds, :func:`greedy_roster` builds each
volunteer's row (fewest eligible pairs first) against the cover left by those before: the
value of a shift is what working it saves (an uncovered need, a request) or costs
(over-cover). :func:`greedy_row` finds the best work/off pattern under the run rules by
dynamic programming (:mod:`solver.lns_patterns`) with a price per worked minute, bisected
until the total lands in the volunteer's bounds (or trimmed at run ends when it jumps
over), then picks shifts day by day (best value that still lets the run finish under the
caps and successions). Both steps are compiled (:mod:`solver.lns_patterns`,
:mod:`solver.lns_pick`): Curtois & Qu Instance24's 150 rows take 3.6 s instead of 10.7 s.
Weekends over the cap are kept off up front: the least valuable, or on a retry those that
leave the most days workable (exact DP). Every row is checked by
:func:`solver.lns_rules.row_violations`; a volunteer whose tries all fail is left to the
caller. :func:`improve_rows` then rebuilds rows one at a time while that saves cost.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter

import numpy as np

from scheduler.problem import Problem
from solver.constraints.weekends import weekend_days
from solver.lns_patterns import best_pattern_array, longest_pattern
from solver.lns_pick import pick
from solver.lns_rules import applicable, request_values, row_violations
from solver.types import Pair

__all__ = ["applicable", "greedy_roster", "greedy_row", "improve_rows", "row_violations"]

TRIES = 4
"""Tries per row (after the first, the weekends kept off are those leaving most days)."""


class _Row:
    """What one volunteer may work, day by day, and the value of each option."""

    def __init__(
        self, problem: Problem, v: int, value: dict[int, float], rng: random.Random, capacity: bool
    ):
        self.problem, self.v, self.value = problem, v, value
        self.lim = problem.limits[v]
        self.days = problem.config.horizon.days
        self.opts: list[list[int]] = [[] for _ in range(self.days)]
        for o in problem.by_volunteer[v]:
            self.opts[problem.occurrences[o].day].append(o)
        self.blocked = self._weekends_off(rng, capacity)

    def best(self, d: int) -> float:
        return max((self.value[o] for o in self.opts[d]), default=-math.inf)

    def _weekends_off(self, rng: random.Random, capacity: bool) -> set[int]:
        cap = self.lim.max_weekends
        groups = weekend_days(self.problem.config.horizon.start, self.days)
        groups = [g for g in groups if any(self.opts[d] for d in g)]
        if cap is None or len(groups) <= cap:
            return set()
        score = [
            (sum(max(0.0, self.best(d)) for d in g) + rng.random(), i) for i, g in enumerate(groups)
        ]
        if capacity:
            return self._weekends_for_capacity(groups, cap)
        off = sorted(score)[: len(groups) - cap]
        return {d for _, i in off for d in groups[i]}

    def _weekends_for_capacity(self, groups: list[list[int]], cap: int) -> set[int]:
        """Weekends off so that the most days can be worked (exact: :func:`longest_pattern`)."""
        lim = self.lim
        kmax = min(lim.max_consecutive_days or self.days, self.days)
        kmin, koff = lim.min_consecutive_days or 1, lim.min_consecutive_days_off or 1
        base = [1.0 + 1e-4 * self.best(d) if self.opts[d] else None for d in range(self.days)]
        pattern = longest_pattern(base, kmax, kmin, koff, groups, cap)
        return {d for g in groups if not any(pattern[d] for d in g) for d in g}


class _Builder:
    """One volunteer's row for a price per worked minute: the best work/off pattern
    (:func:`best_pattern_array`), then shifts day by day, the most valuable first that
    still lets the run finish under the shift caps and forbidden successions
    (:func:`solver.lns_pick.pick`, compiled)."""

    def __init__(
        self, problem: Problem, v: int, opts: list[list[int]], value: dict[int, float],
        forbid: dict[str, set[str]],
    ) -> None:  # fmt: skip
        occ, lim = problem.occurrences, problem.limits[v]
        self.days = days = problem.config.horizon.days
        self.kmax = min(lim.max_consecutive_days or days, days)
        self.kmin = lim.min_consecutive_days or 1
        self.koff = lim.min_consecutive_days_off or 1
        self.flat = [o for ds in opts for o in ds]
        names = sorted({occ[o].shift for o in self.flat})
        number = {name: i for i, name in enumerate(names)}
        self.worked = np.array([d for d in range(days) if opts[d]], dtype=np.int64)
        sizes = [len(opts[d]) for d in range(days)]
        self.size = np.array(sizes, dtype=np.int64)
        self.start = np.cumsum([0, *sizes[:-1]], dtype=np.int64)
        self.starts, self.sizes = self.start[self.worked], self.size[self.worked]
        self.values = np.array([value[o] for o in self.flat], dtype=np.float64)
        self.minutes = np.array([occ[o].minutes for o in self.flat], dtype=np.float64)
        self.shift = np.array([number[occ[o].shift] for o in self.flat], dtype=np.int64)
        # each day's options, those with the fewest forbidden successors first (stable)
        banned = np.array([len(forbid.get(name, ())) for name in names], dtype=np.int64)
        day = np.repeat(np.arange(days), sizes)
        self.loose = np.lexsort((np.arange(len(self.flat)), banned[self.shift], day))
        self.cap = np.array([lim.max_shifts.get(name, days) for name in names], dtype=np.int64)
        self.capped = np.array([name in lim.max_shifts for name in names], dtype=np.bool_)
        self.room = min((lim.max_shifts[name] for name in names if name in lim.max_shifts),
                        default=days)  # fmt: skip
        self.forbid = np.zeros((len(names) + 1, len(names)), dtype=np.bool_)  # last row: none
        for first, then in forbid.items():
            for other in then:
                if first in number and other in number:
                    self.forbid[number[first], number[other]] = True

    def build(self, price: float) -> list[int] | None:
        """The row at ``price`` per worked minute, or None when some run cannot be filled."""
        if not self.flat:
            return []
        key = self.values + price * self.minutes
        work = np.full(self.days, np.nan)  # NaN: no option that day
        work[self.worked] = np.maximum.reduceat(key, self.starts)
        pattern = best_pattern_array(work, self.kmax, self.kmin, self.koff)
        got = pick(pattern, key, self.start, self.size, self.shift, self.loose, self.cap,
                   self.capped, self.room, self.forbid)  # fmt: skip
        if len(got) == 1 and got[0] < 0:
            return None
        flat = self.flat
        return [flat[j] for j in got.tolist()]


def greedy_row(
    problem: Problem, v: int, value: dict[int, float], rng: random.Random, capacity: bool = False
) -> list[int] | None:
    """One row for ``v`` (occurrence indices), or None when this try breaks a rule: the
    best work pattern (:class:`_Builder`) with a price per worked minute found by
    bisection so the total lands in v's bounds, then shifts day by day (caps, successions)."""
    value = {o: x + rng.random() * 0.5 for o, x in value.items()}  # breaks ties
    data = _Row(problem, v, value, rng, capacity)
    occ, lim = problem.occurrences, data.lim
    opts = [[o for o in os_ if d not in data.blocked] for d, os_ in enumerate(data.opts)]
    max_t = lim.max_total_minutes if lim.max_total_minutes is not None else math.inf
    min_t = lim.min_total_minutes or 0
    forbid: dict[str, set[str]] = {}
    for r in problem.config.rules.forbidden_successions:
        forbid.setdefault(r.first, set()).add(r.then)

    builder = _Builder(problem, v, opts, value, forbid)
    build = builder.build

    def minutes(row: list[int] | None) -> float:
        return math.nan if row is None else sum(occ[o].minutes for o in row)

    top = max((abs(x) for x in value.values()), default=0.0) + 1.0
    unit = min((occ[o].minutes for ds in opts for o in ds), default=1) or 1
    a, b = -2 * top / unit, 2 * top / unit  # price: minutes(a) <= min_t ... <= minutes(b)
    best = build(0.0)
    m = minutes(best)
    if m > max_t:
        b = 0.0
    elif not m >= min_t:
        a = 0.0
    if not min_t <= m <= max_t:
        best, above = None, build(b)
        for _ in range(16):
            mid = (a + b) / 2
            row = build(mid)
            m = minutes(row)
            if min_t <= m <= max_t:
                best = row
                break
            if m != m or m < min_t:
                a = mid
            else:
                b, above = mid, row
        if best is None and above is not None:
            best = _trim(problem, v, above, value, min_t, max_t, builder.kmin)
    if best is None or row_violations(problem, v, best):
        return None
    return best


def _trim(
    problem: Problem, v: int, row: list[int], value: dict[int, float], min_t: int, max_t: float,
    kmin: int,
) -> list[int] | None:  # fmt: skip
    """Drop the least valuable run ends (runs stay >= kmin inside) until minutes <= max_t."""
    occ = problem.occurrences
    days = problem.config.horizon.days
    by_day = {occ[o].day: o for o in row}
    total = sum(occ[o].minutes for o in row)
    while total > max_t:
        ends = []
        for d, o in by_day.items():
            if (d - 1 in by_day) and (d + 1 in by_day):
                continue
            first, last = d, d
            while first - 1 in by_day:
                first -= 1
            while last + 1 in by_day:
                last += 1
            length = last - first + 1
            if length > kmin or length == 1 or first == 0 or last == days - 1:
                ends.append((value[o], d))
        ends = [(x, d) for x, d in ends if total - occ[by_day[d]].minutes >= min_t]
        if not ends:
            return None
        _, d = min(ends)
        total -= occ[by_day.pop(d)].minutes
    return sorted(by_day.values())


def _values(
    problem: Problem, v: int, staffed: Counter[int], requests: dict[Pair, float]
) -> dict[int, float]:
    """What v working each occurrence saves, given everyone else's cover (``staffed``)."""
    w = problem.config.weights
    over = float(w.over_cover or 0)
    value = {}
    for o in problem.by_volunteer[v]:
        occ = problem.occurrences[o]
        gain = w.uncovered * occ.priority if staffed[o] < occ.need else -over
        value[o] = gain + requests.get((o, v), 0.0)
    return value


def _row(problem: Problem, v: int, value: dict[int, float], rng: random.Random) -> list[int] | None:
    for attempt in range(TRIES):
        row = greedy_row(problem, v, value, rng, capacity=attempt > 0)
        if row is not None:
            return row
    return None


def greedy_roster(problem: Problem, seed: int) -> tuple[set[Pair], list[int]]:
    """Greedy rows for every volunteer (fewest eligible pairs first); returns the roster and
    the volunteers left without a row (every try broke a rule)."""
    rng = random.Random(seed)
    order = sorted(range(len(problem.volunteers)),
                   key=lambda v: (len(problem.by_volunteer[v]), rng.random()))  # fmt: skip
    requests = request_values(problem)
    staffed = Counter[int]()
    roster: set[Pair] = set()
    failed: list[int] = []
    for v in order:
        row = _row(problem, v, _values(problem, v, staffed, requests), rng)
        if row is None:
            failed.append(v)
            continue
        for o in row:
            staffed[o] += 1
            roster.add((o, v))
    return roster, failed


def improve_rows(problem: Problem, roster: set[Pair], seed: int, deadline: float) -> set[Pair]:
    """Rebuild one volunteer's row at a time against everyone else's cover, keeping a new
    row when it saves cost (the sum of its values is exactly the cost it saves), until a
    pass changes nothing or ``deadline`` (time.monotonic) passes."""
    rng = random.Random(seed + 1)
    requests = request_values(problem)
    rows: dict[int, list[int]] = {v: [] for v in range(len(problem.volunteers))}
    for o, v in roster:
        rows[v].append(o)
    staffed = Counter(o for o, _ in roster)
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        order = list(rows)
        rng.shuffle(order)
        for v in order:
            if time.monotonic() >= deadline:
                break
            staffed.subtract(rows[v])
            value = _values(problem, v, staffed, requests)
            row = _row(problem, v, value, rng)
            if row is not None and sum(value[o] for o in row) > sum(value[o] for o in rows[v]):
                rows[v], changed = row, True
            staffed.update(rows[v])
    return {(o, v) for v, row in rows.items() for o in row}
