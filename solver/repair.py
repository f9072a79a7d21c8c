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
import time
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


def repair(
    problem: Problem,
    pairs: Iterable[Pair],
    *,
    seed: int = 1,
    until: float | None = None,
    at_least: float = 0.0,
) -> set[Pair]:
    """Pairs to add to ``pairs`` (which stay) so that fewer person-shifts are missing.

    With ``until`` (wall clock), no further short occurrence is visited after it, though
    the visits get ``at_least`` seconds; every pair added before keeps every rule, so the
    result is valid wherever it stops.
    """
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
    if until is not None:
        until = max(until, time.time() + at_least)
    for o in short:
        if until is not None and time.time() > until:
            break
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


LNS_MAX_VOLUNTEERS = 400
LNS_SITE_SECONDS = 8.0
LNS_MIN_SECONDS = 1.0
"""No site is re-solved with less of the LNS budget left than this."""


def lns_repair(
    problem: Problem,
    pairs: Iterable[Pair],
    *,
    seconds: float = 60.0,
    seed: int = 1,
) -> tuple[set[Pair], dict[str, int]]:
    """Re-solve short sites with a small CP-SAT each; the improved pairs and counts.

    For a site still short where someone nearby could serve (coverage below its supply
    bound): the volunteers eligible there (at most ``LNS_MAX_VOLUNTEERS``) with *all* their
    shifts. Their shifts elsewhere are fixed, and every other site's occurrence is frozen,
    so each volunteer's rules hold as a whole; the site's own shifts are re-planned from
    the current ones as a hint. A site's new staffing is kept only if it covers more.
    Greedy rosters miss mostly through runs of days (everyone rested on the same day):
    this puts the days off where they cost nothing. ``problem`` may be lazy.
    """
    from scheduler.fast_compile import compile_plan_fast, eligibility_index
    from solver.decompose import sub_plan
    from solver.solve import solve
    from solver.split import Part
    from solver.types import SolveParams

    t0 = time.monotonic()
    pairs = set(pairs)
    occs, vols = problem.occurrences, problem.volunteers
    index = eligibility_index(problem)
    staff: dict[int, set[int]] = {}
    for o, v in pairs:
        staff.setdefault(o, set()).add(v)
    short: dict[str, list[int]] = {}
    by_site: dict[str, list[int]] = {}
    for occ in occs:
        by_site.setdefault(occ.site, []).append(occ.index)
        if len(staff.get(occ.index, ())) < occ.need:
            short.setdefault(occ.site, []).append(occ.index)
    # a fully staffed occurrence adds nothing to a site's gap: only the short are counted
    counts = index.counts(o for site_short in short.values() for o in site_short)

    def gap(site: str) -> int:
        return sum(
            occs[o].priority
            * (min(occs[o].need, counts[o]) - min(occs[o].need, len(staff.get(o, ()))))
            for o in short[site]
        )

    stats = {"lns_sites": 0, "lns_improved": 0, "lns_skipped_large": 0}
    for site in sorted((s for s in short if gap(s) > 0), key=lambda s: (-gap(s), s)):
        if seconds - (time.monotonic() - t0) < LNS_MIN_SECONDS:
            break
        mine = set(by_site[site])
        near: set[int] = set()
        for o in mine:
            near.update(index.eligible(o).tolist())
        if len(near) > LNS_MAX_VOLUNTEERS:
            stats["lns_skipped_large"] += 1
            continue
        theirs = [(o, v) for o, v in pairs if v in near]
        sites = {site} | {occs[o].site for o, _ in theirs}
        plan = sub_plan(
            problem.plan, Part(f"lns-{site}", tuple(sorted(sites)), tuple(sorted(near)))
        )
        sub = compile_plan_fast(plan)
        o_of, v_of = sub.occurrence_index, sub.volunteer_index
        local = {(o_of[occs[o].key], v_of[vols[v].id]) for o, v in theirs}
        here = {o_of[occs[o].key] for o in mine}
        fixed = frozenset(p for p in local if p[0] not in here)
        frozen = frozenset(o.index for o in sub.occurrences if o.index not in here)
        params = SolveParams(
            time_limit=min(LNS_SITE_SECONDS, max(0.1, seconds - (time.monotonic() - t0))),
            workers=1,
            seed=seed,
            hint=frozenset(local),
            fixed=fixed,
            frozen_occurrences=frozen,
        )
        stats["lns_sites"] += 1
        sol = solve(sub, params)
        if not sol.status.has_roster:
            continue
        new = [(o, v) for o, v in sol.assignments if o in here]
        before = sum(
            sub.occurrences[o].priority
            * min(sub.occurrences[o].need, sum(1 for p in local if p[0] == o))
            for o in here
        )
        after = sum(
            sub.occurrences[o].priority
            * min(sub.occurrences[o].need, sum(1 for p in new if p[0] == o))
            for o in here
        )
        if after <= before:
            continue
        g_occ = {
            so.index: problem.occurrence_index[so.key] for so in sub.occurrences if so.index in here
        }
        g_vol = {i: problem.volunteer_index[v.id] for i, v in enumerate(sub.volunteers)}
        for o in mine:
            for v in staff.pop(o, set()):
                pairs.discard((o, v))
        for o, v in new:
            pairs.add((g_occ[o], g_vol[v]))
            staff.setdefault(g_occ[o], set()).add(g_vol[v])
        stats["lns_improved"] += 1
    return pairs, stats
