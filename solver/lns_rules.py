"""The rules the pure-Python start (:mod:`solver.lns_greedy`) keeps, and a row check.

:func:`applicable`: only these rules can bind (at most one shift a day, shifts that do not
reach into a later day's first shift, forbidden successions, per-shift caps, min/max
total minutes, max/min consecutive working days, min consecutive days off, max weekends;
availability and days off are eligibility) and no skill requirements.
:func:`row_violations` checks one volunteer's row against them; :func:`request_values`
prices requests per (occurrence, volunteer).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter

from scheduler.problem import Problem
from solver.constraints.weekends import weekend_days
from solver.types import Pair


def applicable(problem: Problem) -> bool:
    """Only the rules this module keeps can bind, and no skill requirements."""
    if any(o.require for o in problem.occurrences):
        return False
    for lim in problem.limits:
        if lim.max_shifts_per_day != 1 or lim.max_week_minutes is not None:
            return False
        if lim.max_day_minutes is not None or lim.min_rest_minutes is not None:
            return False
        if lim.max_nights_per_week is not None and any(o.night for o in problem.occurrences):
            return False
    return not _reach_later_days(problem)


def _reach_later_days(problem: Problem) -> bool:
    """Whether some shift ends after a shift of a later day starts (compared as instants:
    by wall clock, a shift ending at 01:10 EST after the clocks went back would look
    like it ends before a 01:15 EDT start)."""
    first = [math.inf] * (problem.config.horizon.days + 1)  # earliest start on day d or later
    for o in problem.occurrences:
        first[o.day] = min(first[o.day], o.start.timestamp())
    for d in range(len(first) - 2, -1, -1):
        first[d] = min(first[d], first[d + 1])
    return any(o.end.timestamp() > first[o.day + 1] for o in problem.occurrences)


def request_values(problem: Problem) -> dict[Pair, float]:
    """Per (occurrence, volunteer): + weight of on-requests it meets, - weight of off ones."""
    index = problem.volunteer_index
    wanted: dict[tuple[int, dt.date, str], list[tuple[str | None, float]]] = {}
    for r in problem.config.requests:
        v = index.get(r.volunteer)
        if v is not None:
            sign = 1.0 if r.want == "on" else -1.0
            wanted.setdefault((v, r.date, r.shift), []).append((r.site, sign * r.weight))
    out: dict[Pair, float] = {}
    if not wanted:
        return out
    slots: dict[tuple[dt.date, str], list[int]] = {}
    for occ in problem.occurrences:
        slots.setdefault((occ.date, occ.shift), []).append(occ.index)
    for (v, date, shift), items in wanted.items():
        for o in slots.get((date, shift), ()):
            if v in problem.eligible[o]:
                site = problem.occurrences[o].site
                out[(o, v)] = sum(w for where, w in items if where in (None, site))
    return out


def row_violations(problem: Problem, v: int, row: list[int]) -> list[str]:
    """The rules of :func:`applicable` that ``row`` (v's occurrences) breaks."""
    occ = problem.occurrences
    lim = problem.limits[v]
    days = problem.config.horizon.days
    bad: list[str] = []
    by_day: dict[int, int] = {}
    for o in row:
        if o not in problem.by_volunteer[v]:
            bad.append(f"occurrence {o} is not eligible")
        if occ[o].day in by_day:
            bad.append(f"two shifts on day {occ[o].day}")
        by_day[occ[o].day] = o
    forbid = {(r.first, r.then) for r in problem.config.rules.forbidden_successions}
    for d, o in by_day.items():
        nxt = by_day.get(d + 1)
        if nxt is not None and (occ[o].shift, occ[nxt].shift) in forbid:
            bad.append(f"{occ[nxt].shift} follows {occ[o].shift} on day {d + 1}")
    names = Counter(occ[o].shift for o in row)
    bad += [
        f"{n} {s} > {lim.max_shifts[s]}" for s, n in names.items() if n > lim.max_shifts.get(s, n)
    ]
    total = sum(occ[o].minutes for o in row)
    if lim.max_total_minutes is not None and total > lim.max_total_minutes:
        bad.append(f"{total} minutes > {lim.max_total_minutes}")
    if lim.min_total_minutes is not None and total < lim.min_total_minutes:
        bad.append(f"{total} minutes < {lim.min_total_minutes}")
    worked = [d in by_day for d in range(days)]
    start = 0
    for d in range(1, days + 1):
        if d < days and worked[d] == worked[start]:
            continue
        n, edge = d - start, start == 0 or d == days
        if worked[start] and n > (lim.max_consecutive_days or n):
            bad.append(f"{n} working days in a row from day {start}")
        if worked[start] and not edge and n < (lim.min_consecutive_days or 0):
            bad.append(f"only {n} working days in a row from day {start}")
        if not worked[start] and not edge and n < (lim.min_consecutive_days_off or 0):
            bad.append(f"only {n} days off in a row from day {start}")
        start = d
    groups = weekend_days(problem.config.horizon.start, days)
    weekends = sum(1 for g in groups if any(worked[d] for d in g))
    if lim.max_weekends is not None and weekends > lim.max_weekends:
        bad.append(f"{weekends} weekends > {lim.max_weekends}")
    return bad
