"""The roster cost (the objective), term by term, as the brief defines it.

    uncovered     * priority_o * max(0, need_o - n_o)
  + missing_skill * sum_s max(0, req_o,s - #assigned holding s)
  + over_cover    * max(0, n_o - need_o)                       (0 when unset)
  + travel_km     * round(km(v, site))  per assignment, 0 where a location is unknown
  + preference    * [v.prefers non-empty and site not in v.prefers]  per assignment
  + team_split    * [v has a team and no teammate on the occurrence (a team of one: always)]
  + fairness      * (max_v minutes_v - min_v minutes_v) / 60  over volunteers eligible for
                    >= 1 occurrence (0 if fewer than two)
  + request weights: want=on and no such shift worked; want=off and one worked
  + change        * |assigned pairs XOR previous pairs|      (only when re-planning)

The core :func:`cost_terms` works on plain data (anything with the occurrence fields it
reads), so the independent checker feeds it its own expansion and eligibility.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from scheduler.geo import haversine_km
from scheduler.models import Config, Site, Volunteer
from scheduler.problem import Problem

Pair = tuple[int, int]  # (occurrence index, volunteer index)
TERMS = (
    "uncovered",
    "missing_skill",
    "over_cover",
    "travel_km",
    "preference",
    "team_split",
    "fairness",
    "requests",
    "change",
)


class Slot(Protocol):
    """What the cost reads of an occurrence."""

    site: str
    shift: str
    date: dt.date
    minutes: int
    need: int
    priority: int
    require: tuple[tuple[str, int], ...]


def number(x: float) -> float | int:
    """A cost as reported: an int when integral (to 1e-9), else a float."""
    r = round(x)
    return int(r) if abs(x - r) < 1e-9 else x


def km_rounded(v: Volunteer, site: Site) -> int:
    """round(home-to-site km), 0 where either location is unknown."""
    if v.lat is None or v.lon is None or site.location is None:
        return 0
    return round(haversine_km(v.lat, v.lon, site.location.lat, site.location.lon))


def cost_terms(
    config: Config,
    volunteers: Sequence[Volunteer],
    slots: Sequence[Slot],
    staff: Sequence[Sequence[int]],
    fair_pool: Iterable[int],
    changes: int | None = None,
) -> dict[str, float]:
    """Each weighted term of the cost. ``staff[o]``: volunteer indices on slot ``o``."""
    w = config.weights
    t = dict.fromkeys(TERMS, 0.0)
    km_cache: dict[tuple[int, str], int] = {}
    sites = {s.id: s for s in config.sites}
    minutes = [0] * len(volunteers)
    worked: set[tuple[int, dt.date, str, str | None]] = set()  # (v, date, shift, site)
    for o, occ in enumerate(slots):
        people = staff[o]
        n = len(people)
        t["uncovered"] += w.uncovered * occ.priority * max(0, occ.need - n)
        for skill, req in occ.require:
            have = sum(1 for v in people if skill in volunteers[v].skills)
            t["missing_skill"] += w.missing_skill * max(0, req - have)
        t["over_cover"] += (w.over_cover or 0) * max(0, n - occ.need)
        teams = Counter(volunteers[v].team for v in people if volunteers[v].team)
        for v in people:
            vol = volunteers[v]
            minutes[v] += occ.minutes
            if config.requests:  # only requests read it
                worked.add((v, occ.date, occ.shift, occ.site))
                worked.add((v, occ.date, occ.shift, None))  # any site
            if w.travel_km:
                key = (v, occ.site)
                if key not in km_cache:
                    km_cache[key] = km_rounded(vol, sites[occ.site])
                t["travel_km"] += w.travel_km * km_cache[key]
            if vol.prefers and occ.site not in vol.prefers:
                t["preference"] += w.preference
            if vol.team and teams[vol.team] < 2:
                t["team_split"] += w.team_split
    pool = [minutes[v] for v in set(fair_pool)]
    if len(pool) >= 2:
        t["fairness"] = w.fairness * (max(pool) - min(pool)) / 60
    index = {v.id: i for i, v in enumerate(volunteers)}
    for r in config.requests:
        v = index.get(r.volunteer)
        if v is None:
            continue
        hit = (v, r.date, r.shift, r.site) in worked
        if (r.want == "on" and not hit) or (r.want == "off" and hit):
            t["requests"] += r.weight
    if changes is not None:
        t["change"] = w.change * changes
    return t


def shortfall_cost(terms: dict[str, float]) -> float:
    """What a roster leaves short, as its cost terms (``cost_breakdown``) price it:
    uncovered x priority plus missing skilled people."""
    return terms["uncovered"] + terms["missing_skill"]


def weighted_shortfall(problem: Problem, pairs: Iterable[Pair]) -> float:
    """What ``pairs`` leave short, priced as the objective prices it (uncovered x
    priority plus missing skilled people): :func:`shortfall_cost` of their breakdown."""
    return shortfall_cost(cost_breakdown(problem, pairs))


def cost_breakdown(
    problem: Problem, pairs: Iterable[Pair], previous: Iterable[Pair] | None = None
) -> dict[str, float]:
    """Each term of the cost of ``pairs`` (re-planning against ``previous`` if given)."""
    pairs = set(pairs)
    staff: list[list[int]] = [[] for _ in problem.occurrences]
    for o, v in sorted(pairs):
        staff[o].append(v)
    pool = {v for vols in problem.eligible for v in vols}
    changes = None if previous is None else len(pairs.symmetric_difference(set(previous)))
    return cost_terms(problem.config, problem.volunteers, problem.occurrences, staff, pool, changes)


def total_cost(
    problem: Problem, pairs: Iterable[Pair], previous: Iterable[Pair] | None = None
) -> float | int:
    """The objective of ``pairs``: an int when integral."""
    return number(sum(cost_breakdown(problem, pairs, previous).values()))
