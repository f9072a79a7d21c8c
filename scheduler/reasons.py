"""Why a shift is short: a sentence a coordinator can act on.

The pool of volunteers is split three ways for the occurrence:

* **never eligible** (scheduler.problem.ineligibility), grouped by cause: not available,
  too far, no nights, adopted site, ...;
* **eligible but blocked by the roster**: adding them would break a max-type rule given
  what they already work (overlap, too little rest, day/week/total cap, consecutive days,
  nights per week, shift cap, weekend cap, forbidden succession);
* **free but not used**: said plainly, since the solver left them out on purpose (a
  min-type rule, a re-planning limit, or a lower total cost: fairness, travel, ...).

Site-wide causes (not in an adopting team, too far) are counted first, per site and with a
grid of homes, then :func:`scheduler.problem.ineligibility` names the rest; causes of
sites that bar no one are cached per time slot, so city-scale pools stay fast.

Use :class:`Explainer` to explain many shortfalls of one roster (it indexes the roster
once); :func:`explain` is the one-off form.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Iterable

from scheduler.greedy import Grid
from scheduler.models import Site
from scheduler.problem import Problem, closed, ineligibility, travel_km

Pair = tuple[int, int]

_BLOCKED = {
    "overlap": "already on an overlapping shift",
    "rest": "would get too little rest next to another shift",
    "day": "at their daily hours cap",
    "per_day": "at their shifts-per-day cap",
    "week": "at their weekly cap",
    "total": "at their total hours cap",
    "consecutive": "at their consecutive-days limit",
    "nights": "at their night-shift limit for the week",
    "shift_cap": "at their cap of {shift} shifts",
    "weekend": "at their weekend cap",
    "succession": "barred by a forbidden shift succession",
}
_INELIGIBLE = {
    "not available then": "not available then",
    "marked unavailable then": "marked unavailable then",
    "does not take night shifts": "don't take night shifts",
    "no night shifts (max_night_shifts_per_week is 0)": "may work no nights (weekly night cap 0)",
    "has this day off": "have this day off",
    "site is adopted by other teams": "not in a team adopting this site",
}
_CELL_DEG = 0.05  # grid cell (degrees) for finding homes near a site
_FAR = re.compile(r"^lives .* km away \(limit (?P<limit>.+) km\)$")


def _ineligible_label(reason: str) -> str:
    if m := _FAR.match(reason):
        return f"live more than {m['limit']} km away"
    if reason.startswith("never works "):
        return "never work " + reason.removeprefix("never works ")
    if reason.startswith("shift is longer than the "):
        return "have a cap below this shift's length"
    return _INELIGIBLE.get(reason, reason)


def _groups(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {label}" for label, n in counts.most_common())


class Explainer:
    """Explains the shortfalls of one roster (``pairs``) of ``problem``."""

    def __init__(self, problem: Problem, pairs: Iterable[Pair]) -> None:
        self.problem = problem
        self.grid = g = Grid(problem)
        self.staff: list[set[int]] = [set() for _ in problem.occurrences]
        self.worked: list[list[int]] = [[] for _ in problem.volunteers]
        for o, v in sorted(set(pairs)):
            self.staff[o].add(v)
            self.worked[v].append(o)
        self._times: dict[int, tuple[list[float], list[float]]] = {}
        self.longest = max((g.end[o] - g.start[o] for o in range(len(g.end))), default=0.0)
        self._site_cache: dict[str, tuple[Counter[str], frozenset[int] | None, set[int]]] = {}
        self._slot_cache: dict[tuple, Counter[str]] = {}
        self._cells: dict[tuple[int, int], list[int]] | None = None
        self._unlocated: set[int] = set()
        self._by_group: dict[str, set[int]] = {}  # team or org -> volunteers
        for i, vol in enumerate(problem.volunteers):
            for group in (vol.team, vol.org):
                if group:
                    self._by_group.setdefault(group, set()).add(i)
        self._holders: dict[str, list[int]] = {}
        for i, vol in enumerate(problem.volunteers):
            for skill in vol.skills:
                self._holders.setdefault(skill, []).append(i)

    def _shifts(self, v: int) -> tuple[list[float], list[float]]:
        """Start and end times of ``v``'s shifts, in order; on first use, the grid is given
        them (only the volunteers asked about are loaded)."""
        if v not in self._times:
            g = self.grid
            for o in self.worked[v]:
                g.add(v, o)
            self._times[v] = (
                [g.start[o] for o in self.worked[v]],
                [g.end[o] for o in self.worked[v]],
            )
        return self._times[v]

    def blocker(self, v: int, o: int) -> str | None:
        """Which max-type rule stops adding ``v`` to ``o`` given the roster, or None."""
        g, lim = self.grid, self.problem.limits[v]
        s, e = g.start[o], g.end[o]
        starts, ends = self._shifts(v)
        rest = (lim.min_rest_minutes or 0) * 60
        lo = bisect.bisect_left(starts, s - rest - self.longest)
        hi = bisect.bisect_left(starts, e + rest)
        near = range(lo, hi)  # only these shifts can overlap or be too close
        if any(starts[j] < e and s < ends[j] for j in near):
            return "overlap"
        if rest and any(
            (starts[j] <= s and s - ends[j] < rest) or (s <= starts[j] and starts[j] - e < rest)
            for j in near
        ):
            return "rest"
        return g.cap_blocker(v, o)

    def _near(self, site: Site, limit: float) -> set[int]:
        """Volunteers within ``limit`` km of the site, or with no known home (grid-assisted;
        a lazily compiled city-scale problem answers from its eligibility index)."""
        from scheduler.fast_compile import LazyEligible

        if isinstance(self.problem.eligible, LazyEligible) and site.location is not None:
            index = self.problem.eligible.index
            return set(index.within(limit, site.location.lat, site.location.lon).tolist())
        if self._cells is None:
            self._cells, self._unlocated = {}, set()
            for v, vol in enumerate(self.problem.volunteers):
                if vol.lat is None or vol.lon is None:
                    self._unlocated.add(v)
                else:
                    cell = (math.floor(vol.lat / _CELL_DEG), math.floor(vol.lon / _CELL_DEG))
                    self._cells.setdefault(cell, []).append(v)
        assert site.location is not None
        lat, lon = site.location.lat, site.location.lon
        reach_lat = math.ceil(limit / 111.0 / _CELL_DEG)
        cos = math.cos(math.radians(min(89.0, abs(lat) + limit / 111.0)))
        reach_lon = math.ceil(2 * limit / (111.0 * cos) / _CELL_DEG)
        i0, j0 = math.floor(lat / _CELL_DEG), math.floor(lon / _CELL_DEG)
        if reach_lat * reach_lon > len(self._cells) or abs(lon) > 170:  # faster to test all
            cells: Iterable[list[int]] = self._cells.values()
        else:
            cells = (
                self._cells.get((i, j), [])
                for i in range(i0 - reach_lat, i0 + reach_lat + 1)
                for j in range(j0 - reach_lon, j0 + reach_lon + 1)
            )
        vols = self.problem.volunteers
        near = {v for vs in cells for v in vs if (travel_km(vols[v], site) or 0.0) <= limit}
        return near | self._unlocated

    def _site_pool(self, site_id: str) -> tuple[Counter[str], frozenset[int] | None, set[int]]:
        """(volunteers the site bars, by cause; those it allows or None = all; adopting set)."""
        if site_id not in self._site_cache:
            site, limit = self.problem.sites[site_id], self.problem.config.rules.max_travel_km
            n = len(self.problem.volunteers)
            never: Counter[str] = Counter()
            allowed: set[int] | None = None
            adopting: set[int] = set()
            if site.adopted_by:
                adopting = set().union(*(self._by_group.get(g, set()) for g in site.adopted_by))
                allowed = adopting
                never[_INELIGIBLE["site is adopted by other teams"]] = n - len(adopting)
            if limit is not None and site.location is not None:
                near = self._near(site, limit)
                kept = near if allowed is None else allowed & near
                never[f"live more than {limit:g} km away"] = (
                    n if allowed is None else len(allowed)
                ) - len(kept)
                allowed = kept
            pool = None if allowed is None else frozenset(allowed)
            self._site_cache[site_id] = (+never, pool, adopting)
        return self._site_cache[site_id]

    def _never_label(self, v: int, o: int) -> str:
        site_id = self.problem.occurrences[o].site
        _, allowed, adopting = self._site_pool(site_id)
        if allowed is not None and v not in allowed:
            if self.problem.sites[site_id].adopted_by and v not in adopting:
                return _INELIGIBLE["site is adopted by other teams"]
            return f"live more than {self.problem.config.rules.max_travel_km:g} km away"
        return _ineligible_label(ineligibility(self.problem, v, o) or "not eligible")

    def _slot_never(self, o: int, eligible: frozenset[int]) -> Counter[str]:
        """Causes over everyone not eligible, at a site that bars no one (cached per time slot)."""
        occ = self.problem.occurrences[o]
        key = (occ.start, occ.end, occ.shift, occ.night)
        if key not in self._slot_cache:
            self._slot_cache[key] = Counter(
                self._never_label(v, o)
                for v in range(len(self.problem.volunteers))
                if v not in eligible
            )
        return self._slot_cache[key]

    def _split(
        self, o: int, among: list[int] | None
    ) -> tuple[Counter[str], int, Counter[str], int]:
        """(ineligible causes, #assigned, blocked causes, #free) over ``among`` (None = all)."""
        occ = self.problem.occurrences[o]
        eligible, staff = frozenset(self.problem.eligible[o]), self.staff[o]
        never: Counter[str] = Counter()
        blocked: Counter[str] = Counter()
        free = 0
        if among is None:
            site_never, allowed, _ = self._site_pool(occ.site)
            never.update(site_never)
            if allowed is None:
                never.update(self._slot_never(o, eligible))
            else:
                never.update(self._never_label(v, o) for v in allowed if v not in eligible)
            for v in staff - eligible:  # kept although ineligible (re-planning): not "never"
                never[self._never_label(v, o)] -= 1
            candidates: Iterable[int] = eligible
        else:
            candidates = among
        for v in candidates:
            if v in staff:
                continue
            if v not in eligible:
                never[self._never_label(v, o)] += 1
            elif (why := self.blocker(v, o)) is None:
                free += 1
            else:
                blocked[_BLOCKED[why].format(shift=occ.shift)] += 1
        assigned = len(staff) if among is None else sum(1 for v in among if v in staff)
        return +never, assigned, blocked, free

    def _window(self, o: int) -> str:
        occ = self.problem.occurrences[o]
        s, e = occ.start, occ.end
        return f"{s:%H:%M}–{e:%H:%M} on {s.day} {s:%b}"

    def _need_note(self, o: int) -> str | None:
        occ = self.problem.occurrences[o]
        site = self.problem.sites[occ.site]
        base = site.need_by_shift.get(occ.shift, site.need)
        if occ.need > base:
            return f"need raised from {base} to {occ.need} by a demand change"
        if occ.need < base:
            return f"need lowered from {base} to {occ.need} by a demand change"
        return None

    def explain(self, o: int, missing: int, missing_skills: dict[str, int]) -> str:
        """One sentence (or a few clauses) on why occurrence ``o`` is short."""
        occ = self.problem.occurrences[o]
        heads = [f"{missing} missing"] if missing else []
        heads += [f"{k} `{s}` short" for s, k in sorted(missing_skills.items())]
        clauses: list[str] = []
        if note := self._need_note(o):
            clauses.append(note)
        window = self._window(o)
        if missing:
            clauses.append(self._people_clause(o, window))
        for skill in sorted(missing_skills):
            clauses.append(self._skill_clause(o, skill))
        text = f"{', '.join(heads)} ({occ.shift} {window}): " + "; ".join(clauses)
        return text + "."

    def _people_clause(self, o: int, window: str) -> str:
        pool = range(len(self.problem.volunteers))
        never, assigned, blocked, free = self._split(o, None)
        able = len(pool) - sum(never.values())
        if able == 0:
            why = f" ({_groups(never)})" if never else ""
            return f"no volunteer can work {window}{why}"
        need = self.problem.occurrences[o].need
        out = f"{'only ' if able <= need else ''}{able} of {len(pool)} volunteers can work it"
        if never:
            out += f" ({_groups(never)})"
        out += f"; {assigned} assigned"
        if blocked:
            out += f"; {_groups(blocked)}"
        if free:
            out += (
                f"; {free} free volunteer{'s were' if free != 1 else ' was'} left unused"
                " (a min-type rule, a re-planning limit, or fairness/cost elsewhere)"
            )
            if self.problem.occurrences[o].priority == 0:
                out += "; this site has priority 0, so an uncovered shift here costs nothing"
        elif not blocked:
            out += " (all of them)"
        return out

    def _skill_clause(self, o: int, skill: str) -> str:
        occ = self.problem.occurrences[o]
        if closed(occ, self.problem.config):
            return (
                f"`{skill}` is required {occ.required(skill)} times on a shift that needs "
                "no one (closed, or need set to 0), so no one is on it"
            )
        holders = self._holders.get(skill, [])
        if not holders:
            return f"no volunteer in the plan holds `{skill}`"
        never, assigned, blocked, free = self._split(o, holders)
        able = len(holders) - sum(never.values())
        if able == 0:
            return f"no one holding `{skill}` is available this shift ({_groups(never)})"
        out = f"{able} of {len(holders)} holding `{skill}` can work it: {assigned} assigned"
        if blocked:
            out += f", {_groups(blocked)}"
        if free:
            out += f", {free} free but left unused"
        if occ.required(skill) > occ.need and self.problem.config.weights.over_cover is None:
            out = (
                f"`{skill}` is required {occ.required(skill)} times on a shift that needs "
                f"{occ.need} {'person' if occ.need == 1 else 'people'}; {out}"
            )
        return out


def explain(
    problem: Problem, pairs: Iterable[Pair], occ_index: int, missing: int, missing_skills: dict
) -> str:
    """Why occurrence ``occ_index`` is ``missing`` people and ``missing_skills`` short."""
    return Explainer(problem, pairs).explain(occ_index, missing, missing_skills)
