"""Fast repair of a published roster: keep every assignment that can stay, fill the gaps.

The re-plan's first step (milliseconds, not seconds): start from the published pairs
still eligible, drop staff above a reduced need (non-fixed first), then fill each
uncovered shift (not started, in time order) with volunteers who can take it on top of
what they already work: skilled people first while a required skill is missing, then the
least loaded. Every hard rule a single addition can break is tested (overlap and rest,
day/week/total minutes, shifts per day, consecutive days, runs of days on and off, nights
per week, per-shift caps, weekends, forbidden successions), and the result still goes
through the independent checker before it is published. Changes are only the forced
removals and the additions, so a surge costs exactly the person-shifts it restores.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from scheduler.greedy import weekend_of
from scheduler.problem import Problem
from scheduler.roster import Roster, Status
from solver.types import Pair


def _runs(days: set[int], horizon: int) -> list[tuple[int, int, bool]]:
    """(first day, length, worked) runs over [0, horizon)."""
    out: list[tuple[int, int, bool]] = []
    d = 0
    while d < horizon:
        worked = d in days
        e = d
        while e < horizon and (e in days) == worked:
            e += 1
        out.append((d, e - d, worked))
        d = e
    return out


class Schedules:
    """Per-volunteer assigned occurrences, with the test for one more."""

    def __init__(self, problem: Problem, pairs: Iterable[Pair]):
        self.problem = problem
        self.occs = problem.occurrences
        self.by_vol: dict[int, list[int]] = {}
        for o, v in pairs:
            self.by_vol.setdefault(v, []).append(o)
        rules = problem.config.rules.forbidden_successions
        self.banned = {(s.first, s.then) for s in rules}
        self.minutes = {v: sum(self.occs[o].minutes for o in os) for v, os in self.by_vol.items()}

    def add(self, v: int, o: int) -> None:
        self.by_vol.setdefault(v, []).append(o)
        self.minutes[v] = self.minutes.get(v, 0) + self.occs[o].minutes

    def fits(self, v: int, o: int) -> bool:
        occ, lim, occs = self.occs[o], self.problem.limits[v], self.occs
        mine = self.by_vol.get(v, [])
        if o in mine:
            return False
        rest = (lim.min_rest_minutes or 0) * 60
        s0, e0 = occ.start.timestamp(), occ.end.timestamp()
        for a in mine:
            sa, ea = occs[a].start.timestamp(), occs[a].end.timestamp()
            gap = s0 - ea if sa <= s0 else sa - e0
            if gap < rest or (sa < e0 and s0 < ea):
                return False
        same_day = [a for a in mine if occs[a].day == occ.day]
        day_minutes = sum(occs[a].minutes for a in same_day) + occ.minutes
        if lim.max_day_minutes is not None and day_minutes > lim.max_day_minutes:
            return False
        if lim.max_shifts_per_day is not None and len(same_day) + 1 > lim.max_shifts_per_day:
            return False
        if lim.max_week_minutes is not None:
            week = sum(occs[a].minutes for a in mine if occs[a].week == occ.week)
            if week + occ.minutes > lim.max_week_minutes:
                return False
        total = self.minutes.get(v, 0) + occ.minutes
        if lim.max_total_minutes is not None and total > lim.max_total_minutes:
            return False
        if occ.night and lim.max_nights_per_week is not None:
            nights = sum(1 for a in mine if occs[a].night and occs[a].week == occ.week)
            if nights + 1 > lim.max_nights_per_week:
                return False
        cap = lim.max_shifts.get(occ.shift) if lim.max_shifts else None
        if cap is not None and sum(1 for a in mine if occs[a].shift == occ.shift) + 1 > cap:
            return False
        if lim.max_weekends is not None and (we := weekend_of(occ.date)) is not None:
            weekends = {weekend_of(occs[a].date) for a in mine} - {None}
            if we not in weekends and len(weekends) + 1 > lim.max_weekends:
                return False
        for a in mine:
            da = occs[a].day
            if (da == occ.day - 1 and (occs[a].shift, occ.shift) in self.banned) or (
                da == occ.day + 1 and (occ.shift, occs[a].shift) in self.banned
            ):
                return False
        return self._runs_ok(v, {occs[a].day for a in mine} | {occ.day})

    def _runs_ok(self, v: int, days: set[int]) -> bool:
        lim, horizon = self.problem.limits[v], self.problem.config.horizon.days
        for first, length, worked in _runs(days, horizon):
            edge = first == 0 or first + length == horizon
            cap = lim.max_consecutive_days
            if worked and cap is not None and length > cap:
                return False
            if edge:
                continue
            if worked and lim.min_consecutive_days and length < lim.min_consecutive_days:
                return False
            if (
                not worked
                and lim.min_consecutive_days_off
                and length < lim.min_consecutive_days_off
            ):
                return False
        return True


def repair(
    problem: Problem,
    previous: frozenset[Pair],
    fixed: frozenset[Pair],
    frozen: frozenset[int],
    max_changes: int | None = None,
) -> tuple[frozenset[Pair], int]:
    """(pairs, removed above need): the published pairs kept, trimmed and topped up."""
    occs, vols = problem.occurrences, problem.volunteers
    staff: dict[int, list[int]] = {}
    for o, v in previous:
        staff.setdefault(o, []).append(v)
    pairs: set[Pair] = set(previous)
    trimmed = 0
    if problem.config.weights.over_cover is None:
        for o, vs in staff.items():
            extra = len(vs) - occs[o].need
            if extra > 0:
                order = sorted(vs, key=lambda v: ((o, v) in fixed, vols[v].id))
                for v in order[:extra]:
                    pairs.discard((o, v))
                    vs.remove(v)
                    trimmed += 1
    budget = None if max_changes is None else max(0, max_changes - trimmed)
    sched = Schedules(problem, pairs)
    for occ in occs:
        o = occ.index
        have = staff.get(o, [])
        missing = occ.need - len(have)
        if missing <= 0 or o in frozen:
            continue
        held = [s for s, _ in occ.require]
        wanted = {s: n - sum(1 for v in have if s in vols[v].skills) for s, n in occ.require}
        cands = sorted(
            (v for v in problem.eligible[o] if v not in have),
            key=lambda v: (
                -sum(1 for s in held if s in vols[v].skills and wanted[s] > 0),
                sched.minutes.get(v, 0),
                vols[v].id,
            ),
        )
        for v in cands:
            if missing <= 0 or budget == 0:
                break
            if not sched.fits(v, o):
                continue
            sched.add(v, o)
            pairs.add((o, v))
            have = [*have, v]
            missing -= 1
            for s in held:
                if s in vols[v].skills:
                    wanted[s] -= 1
            if budget is not None:
                budget -= 1
    return frozenset(pairs), trimmed


def repaired_roster(
    problem: Problem,
    previous: frozenset[Pair],
    fixed: frozenset[Pair],
    frozen: frozenset[int],
    *,
    max_changes: int | None,
    version: int,
) -> Roster | None:
    """The repaired roster, checked; None when the independent checker rejects it."""
    from scheduler.build import build_roster
    from scheduler.checker import RosterInvalid, assert_valid
    from scheduler.cost import number, total_cost
    from solver.bound_floor import floor_bound

    t0 = time.monotonic()
    pairs, _ = repair(problem, previous, fixed, frozen, max_changes)
    objective = total_cost(problem, pairs, previous)
    roster = build_roster(
        problem,
        status=Status.feasible,
        objective=objective,
        # no search, so no proven bound: the shortfall no roster avoids (as rota plan does)
        bound=number(min(floor_bound(problem), objective)),
        pairs=pairs,
        version=version,
        stats={"method": "repair", "seconds": round(time.monotonic() - t0, 3)},
    )
    occs, vols = problem.occurrences, problem.volunteers
    before = frozenset(
        (vols[v].id, occs[o].site, occs[o].shift, occs[o].start.isoformat()) for o, v in previous
    )
    try:
        assert_valid(problem, roster, previous=before)
    except RosterInvalid:
        return None
    return roster
