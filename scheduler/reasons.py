"""Why a shift is short: a sentence a coordinator can act on.

The pool of volunteers is split three ways for the occurrence:

* **never eligible** (scheduler.problem.ineligibility), grouped by cause: not available,
  too far, no nights, adopted site, ...;
* **eligible but blocked by the roster**: adding them would break a max-type rule given
  what they already work (overlap, too little rest, day/week/total cap, consecutive days,
  nights per week, shift cap, weekend cap, forbidden succession);
* **free but not used**: said plainly, since the solver left them out on purpose (a
  min-type rule, a re-planning limit, or a lower total cost: fairness, travel, ...).

Use :class:`Explainer` to explain many shortfalls of one roster (it indexes the roster
once); :func:`explain` is the one-off form.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable

from scheduler.greedy import Grid
from scheduler.problem import Problem, ineligibility, travel_km

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
    "has this day off": "have this day off",
    "site is adopted by other teams": "not in a team adopting this site",
}
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
        self.grid = Grid(problem)
        self.staff: list[set[int]] = [set() for _ in problem.occurrences]
        worked: list[list[int]] = [[] for _ in problem.volunteers]
        for o, v in sorted(set(pairs)):
            self.staff[o].add(v)
            worked[v].append(o)
            self.grid.add(v, o)
        g = self.grid
        self.starts = [[g.start[o] for o in ws] for ws in worked]
        self.ends = [[g.end[o] for o in ws] for ws in worked]
        self.longest = max((g.end[o] - g.start[o] for o in range(len(g.end))), default=0.0)
        self._barred: dict[str, dict[int, str]] = {}
        self._eligible: tuple[int, frozenset[int]] = (-1, frozenset())
        self._holders: dict[str, list[int]] = {}
        for i, vol in enumerate(problem.volunteers):
            for skill in vol.skills:
                self._holders.setdefault(skill, []).append(i)

    def blocker(self, v: int, o: int) -> str | None:
        """Which max-type rule stops adding ``v`` to ``o`` given the roster, or None."""
        g, lim = self.grid, self.problem.limits[v]
        s, e = g.start[o], g.end[o]
        starts, ends = self.starts[v], self.ends[v]
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

    def _site_barred(self, site_id: str) -> dict[int, str]:
        """Volunteers ruled out of every shift at the site (adopted site, too far), cached."""
        if site_id not in self._barred:
            site, limit = self.problem.sites[site_id], self.problem.config.rules.max_travel_km
            out: dict[int, str] = {}
            for v, vol in enumerate(self.problem.volunteers):
                if site.adopted_by and not {vol.team, vol.org} & set(site.adopted_by):
                    out[v] = _INELIGIBLE["site is adopted by other teams"]
                elif limit is not None and (km := travel_km(vol, site)) is not None and km > limit:
                    out[v] = f"live more than {limit:g} km away"
            self._barred[site_id] = out
        return self._barred[site_id]

    def _split(self, o: int, among: Iterable[int]) -> tuple[Counter[str], int, Counter[str], int]:
        """(ineligible causes, #assigned, blocked causes, #free) over volunteers ``among``."""
        occ = self.problem.occurrences[o]
        if self._eligible[0] != o:
            self._eligible = (o, frozenset(self.problem.eligible[o]))
        eligible, staff, barred = self._eligible[1], self.staff[o], self._site_barred(occ.site)
        never: Counter[str] = Counter()
        blocked: Counter[str] = Counter()
        assigned = free = 0
        for v in among:
            if v in staff:
                assigned += 1
            elif v in eligible:
                why = self.blocker(v, o)
                if why is None:
                    free += 1
                else:
                    blocked[_BLOCKED[why].format(shift=occ.shift)] += 1
            elif v in barred:
                never[barred[v]] += 1
            else:
                never[_ineligible_label(ineligibility(self.problem, v, o) or "not eligible")] += 1
        return never, assigned, blocked, free

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
        never, assigned, blocked, free = self._split(o, pool)
        able = len(pool) - sum(never.values())
        if able == 0:
            why = f" ({_groups(never)})" if never else ""
            return f"no volunteer can work {window}{why}"
        out = f"only {able} of {len(pool)} volunteers can work it"
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
        elif not blocked:
            out += " (all of them)"
        return out

    def _skill_clause(self, o: int, skill: str) -> str:
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
        return out


def explain(
    problem: Problem, pairs: Iterable[Pair], occ_index: int, missing: int, missing_skills: dict
) -> str:
    """Why occurrence ``occ_index`` is ``missing`` people and ``missing_skills`` short."""
    return Explainer(problem, pairs).explain(occ_index, missing, missing_skills)
