"""Repair pass of the city decomposition: fill what the parts left short, across borders.

Each part only used its own volunteers, so an occurrence can stay short while a
volunteer just across the border had time left. On the whole compiled problem this pass
visits the short occurrences (highest priority first, then in time order) and adds
eligible volunteers whose every max-type hard rule still holds with the extra shift,
checked against *all* their shifts (rest and overlap on both sides, day/week/total
minutes, runs of days, nights, shift caps, weekends, successions): skilled people first
while a required skill is missing, then the least used. Volunteers bound by a min-type
rule (min hours, min runs of days on or off) are left alone, since adding a shift can
break those. It never staffs above need.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from scheduler.greedy import Grid
from scheduler.problem import Problem

Pair = tuple[int, int]


class RepairGrid(Grid):
    """The greedy's per-volunteer state, with rest/overlap tested against every shift."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem)
        self.spans: dict[int, list[tuple[float, float]]] = {}

    def add(self, v: int, o: int) -> None:
        super().add(v, o)
        bisect.insort(self.spans.setdefault(v, []), (self.start[o], self.end[o]))

    def fits(self, v: int, o: int) -> bool:
        st = self.state[v]
        saved, st.last_end = st.last_end, float("-inf")
        try:
            ok = super().fits(v, o)
        finally:
            st.last_end = saved
        if not ok:
            return False
        rest = (self.limits[v].min_rest_minutes or 0) * 60
        s, e = self.start[o], self.end[o]
        for a, b in self.spans.get(v, ()):
            if (a <= s and s - b < rest) or (s <= a and a - e < rest):
                return False
        return True


def _movable(problem: Problem, v: int) -> bool:
    lim = problem.limits[v]
    return not (lim.min_total_minutes or lim.min_consecutive_days or lim.min_consecutive_days_off)


def repair(problem: Problem, pairs: Iterable[Pair], *, seed: int = 1) -> set[Pair]:
    """Pairs to add to ``pairs`` (which stay) so that fewer person-shifts are missing."""
    del seed  # deterministic: ties broken by volunteer id
    pairs = set(pairs)
    grid = RepairGrid(problem)
    staff: dict[int, set[int]] = {}
    for o, v in sorted(pairs, key=lambda p: grid.start[p[0]]):
        grid.add(v, o)
        staff.setdefault(o, set()).add(v)
    occs, vols = problem.occurrences, problem.volunteers
    short = [o.index for o in occs if o.need > len(staff.get(o.index, ()))]
    short.sort(key=lambda o: (-occs[o].priority, grid.start[o], o))
    added: set[Pair] = set()
    for o in short:
        occ = occs[o]
        on = staff.setdefault(o, set())
        cands = [v for v in problem.eligible[o] if v not in on and _movable(problem, v)]
        if not cands:
            continue
        cands.sort(key=lambda v: (grid.state[v].total, vols[v].id))
        wanted = dict(occ.require)
        for skill in list(wanted):
            wanted[skill] -= sum(1 for v in on if skill in vols[v].skills)
        wanted = {s: k for s, k in wanted.items() if k > 0}
        skilled = [v for v in cands if wanted and any(s in vols[v].skills for s in wanted)]
        for v in [*skilled, *cands]:
            if len(on) >= occ.need:
                break
            if v in on or not grid.fits(v, o):
                continue
            grid.add(v, o)
            on.add(v)
            added.add((o, v))
    return added
