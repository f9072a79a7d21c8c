"""LNS rows drawn for short weekends: the chain a capped weekend needs.

Where a plan caps the weekends its volunteers work (``max_weekends``), the people
missing sit on Saturdays and Sundays while every staff-weekend allowed is in use, many
of them on one day only (Curtois & Qu Instance13: 249 of 250 staff-weekends used, 33 on
one day, every missing person on a weekend). Filling such a gap takes a chain: someone
working one day of that weekend works the other day too and gives up a weekday shift
(their total minutes are at the maximum), which someone with minutes to spare takes.
Uniform rows rarely draw both ends of the chain together; :func:`weekend_staff` does.
"""

from __future__ import annotations

import random
from collections import Counter

from scheduler.problem import Problem
from solver.types import Pair


def capped(problem: Problem) -> bool:
    """Whether some volunteer's worked weekends are capped."""
    return any(lim.max_weekends is not None for lim in problem.limits)


def weekends(problem: Problem) -> list[tuple[int, int]]:
    """(Saturday, Sunday) day indices of the whole weekends in the horizon."""
    days = problem.config.horizon.days
    return [
        (d, d + 1) for d in range(days - 1) if problem.day_date(d).weekday() == 5
    ]  # fmt: skip


def weekend_staff(
    problem: Problem, roster: set[Pair], pool: list[int], n: int, rng: random.Random
) -> list[int]:
    """n volunteers of ``pool``: up to half who work one day of a weekend and could take
    a slot short of people on its other day (drawn by how many such slots), then those
    with a shift's minutes to spare below their maximum total, then any."""
    occ = problem.occurrences
    staffed = Counter(o for o, _ in roster)
    short_days: dict[int, list[int]] = {}
    for o in occ:
        if o.need > staffed.get(o.index, 0):
            short_days.setdefault(o.day, []).append(o.index)
    days: dict[int, set[int]] = {}
    minutes: Counter[int] = Counter()
    for o, v in roster:
        days.setdefault(v, set()).add(occ[o].day)
        minutes[v] += occ[o].minutes
    allowed = set(pool)
    weight: Counter[int] = Counter()
    for sat, sun in weekends(problem):
        for worked, other in ((sat, sun), (sun, sat)):
            for o in short_days.get(other, ()):
                for v in problem.eligible[o]:
                    if v in allowed and worked in days.get(v, ()) and other not in days[v]:
                        weight[v] += 1
    chosen: list[int] = []
    cands = list(weight)
    while cands and len(chosen) < max(1, n // 2):
        v = rng.choices(cands, weights=[weight[c] for c in cands])[0]
        chosen.append(v)
        cands.remove(v)
    shortest = min((o.minutes for o in occ), default=0)
    taken = set(chosen)
    spare = [
        v for v in pool if v not in taken and _room(problem, v, minutes[v]) >= shortest
    ]  # fmt: skip
    chosen += rng.sample(spare, min(len(spare), n - len(chosen)))
    taken = set(chosen)
    rest = [v for v in pool if v not in taken]
    chosen += rng.sample(rest, min(len(rest), n - len(chosen)))
    return sorted(chosen)


def _room(problem: Problem, v: int, worked: int) -> float:
    """Minutes ``v`` may still work under their maximum total (unbounded: infinite)."""
    cap = problem.limits[v].max_total_minutes
    return float("inf") if cap is None else cap - worked
