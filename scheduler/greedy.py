"""The coordinator's hand method: fill the grid shift by shift, in time order.

For each occurrence (by start time, then site, then shift) the method fills its need:

1. while a required skill is still missing, it takes the least-used eligible volunteer
   *holding a missing skill* (skilled first);
2. then it takes the least-used eligible volunteers (fewest minutes so far; ties by id).

A volunteer is taken only if every *max-type* hard rule still holds with the new shift:
no overlap and ``min_rest`` after the previous shift, day minutes and shifts per day,
week minutes, total minutes, max consecutive working days, night shifts per week,
per-shift-name caps, max weekends and forbidden successions. It never staffs above need.

It **ignores the min-type rules** (``min_hours_total``, ``min_consecutive_days``,
``min_consecutive_days_off``): a hand-filled grid cannot look ahead for them, so a
greedy roster may break them (the checker reports it). Its result is the CP-SAT hint
and the benchmark baseline.

Only eligible pairs (``problem.eligible``) are considered. It keeps incremental
per-volunteer state, so each candidate test is O(1) (plus the length of a working-day run):
2,000 volunteers x 5,040 occurrences (4.4M eligible pairs) take ~2-3 s; the Import Expo
city (42,000 x 6,780, 114M pairs) ~6 s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scheduler.limits import Limits
from scheduler.problem import Problem

Pair = tuple[int, int]  # (occurrence index, volunteer index)


def weekend_of(date: dt.date) -> int | None:
    """Ordinal of the Saturday of ``date``'s weekend, or None on a weekday."""
    wd = date.weekday()
    if wd == 5:
        return date.toordinal()
    if wd == 6:
        return date.toordinal() - 1
    return None


@dataclass(slots=True)
class VolunteerState:
    """What a volunteer has been given so far (grows as the grid fills)."""

    last_end: float = float("-inf")  # POSIX seconds: latest end of an assigned shift
    total: int = 0  # minutes
    day_minutes: dict[int, int] = field(default_factory=dict)
    day_count: dict[int, int] = field(default_factory=dict)
    week_minutes: dict[int, int] = field(default_factory=dict)
    week_nights: dict[int, int] = field(default_factory=dict)
    shift_count: dict[str, int] = field(default_factory=dict)
    weekends: set[int] = field(default_factory=set)
    day_shifts: set[tuple[int, str]] = field(default_factory=set)


def run_length_with(days: dict[int, int], day: int) -> int:
    """Length of the run of working days through ``day`` if ``day`` were worked."""
    left = day - 1
    while left in days:
        left -= 1
    right = day + 1
    while right in days:
        right += 1
    return right - left - 1


class Grid:
    """Feasibility tests and updates against the per-volunteer state."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.state = [VolunteerState() for _ in problem.volunteers]
        self.limits: tuple[Limits, ...] = problem.limits
        occs = problem.occurrences
        self.start = [o.start.timestamp() for o in occs]
        self.end = [o.end.timestamp() for o in occs]
        self.weekend = [weekend_of(o.date) for o in occs]
        self.banned_before: dict[str, set[str]] = {}  # then -> {first}
        self.banned_after: dict[str, set[str]] = {}  # first -> {then}
        for s in problem.config.rules.forbidden_successions:
            self.banned_before.setdefault(s.then, set()).add(s.first)
            self.banned_after.setdefault(s.first, set()).add(s.then)

    def fits(self, v: int, o: int) -> bool:
        """Whether ``v`` can take ``o`` after everything given so far (time-order filling)."""
        rest = (self.limits[v].min_rest_minutes or 0) * 60
        if self.start[o] < self.state[v].last_end + rest:
            return False
        return self.cap_blocker(v, o) is None

    def cap_blocker(self, v: int, o: int) -> str | None:
        """The first max-type rule other than overlap/rest that ``o`` would break, or None.

        Codes: day, per_day, week, total, consecutive, nights, shift_cap, weekend,
        succession.
        """
        st, lim = self.state[v], self.limits[v]
        occ = self.problem.occurrences[o]
        m, day, wk = occ.minutes, occ.day, occ.week
        cap = lim.max_day_minutes
        if cap is not None and st.day_minutes.get(day, 0) + m > cap:
            return "day"
        cap = lim.max_shifts_per_day
        if cap is not None and st.day_count.get(day, 0) >= cap:
            return "per_day"
        cap = lim.max_week_minutes
        if cap is not None and st.week_minutes.get(wk, 0) + m > cap:
            return "week"
        cap = lim.max_total_minutes
        if cap is not None and st.total + m > cap:
            return "total"
        cap = lim.max_consecutive_days
        if cap is not None and day not in st.day_count and run_length_with(st.day_count, day) > cap:
            return "consecutive"
        cap = lim.max_nights_per_week
        if occ.night and cap is not None and st.week_nights.get(wk, 0) >= cap:
            return "nights"
        cap = lim.max_shifts.get(occ.shift) if lim.max_shifts else None
        if cap is not None and st.shift_count.get(occ.shift, 0) >= cap:
            return "shift_cap"
        we, cap = self.weekend[o], lim.max_weekends
        if we is not None and cap is not None and we not in st.weekends and len(st.weekends) >= cap:
            return "weekend"
        firsts = self.banned_before.get(occ.shift)
        if firsts and any((day - 1, f) in st.day_shifts for f in firsts):
            return "succession"
        thens = self.banned_after.get(occ.shift)
        if thens and any((day + 1, t) in st.day_shifts for t in thens):
            return "succession"
        return None

    def add(self, v: int, o: int) -> None:
        st, occ = self.state[v], self.problem.occurrences[o]
        m, day, wk = occ.minutes, occ.day, occ.week
        st.last_end = max(st.last_end, self.end[o])
        st.total += m
        st.day_minutes[day] = st.day_minutes.get(day, 0) + m
        st.day_count[day] = st.day_count.get(day, 0) + 1
        st.week_minutes[wk] = st.week_minutes.get(wk, 0) + m
        if occ.night:
            st.week_nights[wk] = st.week_nights.get(wk, 0) + 1
        st.shift_count[occ.shift] = st.shift_count.get(occ.shift, 0) + 1
        if self.weekend[o] is not None:
            st.weekends.add(self.weekend[o])
        st.day_shifts.add((day, occ.shift))


def greedy(problem: Problem, prefer: Callable[[int, int], float] | None = None) -> frozenset[Pair]:
    """The hand-filled roster as (occurrence index, volunteer index) pairs.

    ``prefer(o, v)``, when given, ranks candidates before "least used" (lower first):
    the same filling guided by, e.g., an LP solution (:mod:`solver.guided`)."""
    grid = Grid(problem)
    vols = problem.volunteers
    n = max(1, len(vols))
    id_rank = [0] * len(vols)
    for rank, v in enumerate(sorted(range(len(vols)), key=lambda i: vols[i].id)):
        id_rank[v] = rank
    key = list(id_rank)  # minutes so far * n + id rank: least used first, ties by id
    holders: dict[str, set[int]] = {}
    for v, vol in enumerate(vols):
        for s in vol.skills:
            holders.setdefault(s, set()).add(v)
    pairs: list[Pair] = []
    for occ in problem.occurrences:
        o, need = occ.index, occ.need
        elig = problem.eligible[o]
        if need <= 0 or not elig:
            continue
        chosen: list[int] = []
        rejected: set[int] = set()
        if prefer is None:
            rank: Callable[[int], Any] = key.__getitem__
        else:
            rank = lambda v, o=o: (prefer(o, v), key[v])  # noqa: E731
        wanted = {s: k for s, k in occ.require if s in holders}
        if wanted:  # skilled first, least used first, while a required skill is missing
            pool = set().union(*(holders[s] for s in wanted))
            for v in sorted((v for v in elig if v in pool), key=rank):
                if not wanted or len(chosen) >= need:
                    break
                skills = vols[v].skills
                if not any(s in skills for s in wanted):
                    continue
                if not grid.fits(v, o):
                    rejected.add(v)
                    continue
                chosen.append(v)
                grid.add(v, o)
                for s in [s for s in wanted if s in skills]:
                    wanted[s] -= 1
                    if wanted[s] <= 0:
                        del wanted[s]
        if len(chosen) < need:
            taken = set(chosen)
            for v in sorted(elig, key=rank):
                if len(chosen) >= need:
                    break
                if v in taken or v in rejected or not grid.fits(v, o):
                    continue
                chosen.append(v)
                grid.add(v, o)
        for v in chosen:
            key[v] = grid.state[v].total * n + id_rank[v]
            pairs.append((o, v))
    return frozenset(pairs)
