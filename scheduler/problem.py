"""The compiled, immutable problem the solver and the checker work on.

``compile_plan(plan)`` expands occurrences and computes, for each one, the
volunteers who could work it on their own (availability, night_ok, hard
travel limit, fixed days off, shift caps of 0, adopted sites, a shift longer
than a day/week/total cap). Pairs that fail are never given a variable, so
models stay sparse (:mod:`scheduler.fast_compile`, all volunteers at once);
``ineligibility(v, o)`` tells why a pair was pruned, one pair at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from scheduler.expand import Occurrence, localize
from scheduler.geo import haversine_km
from scheduler.limits import Limits
from scheduler.models import Config, Plan, Site, Volunteer


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open interval of POSIX seconds."""

    start: float
    end: float


@dataclass(frozen=True)
class Problem:
    plan: Plan
    tz: ZoneInfo
    occurrences: tuple[Occurrence, ...]
    volunteers: tuple[Volunteer, ...]
    limits: tuple[Limits, ...]  # per volunteer index
    sites: dict[str, Site]
    eligible: tuple[tuple[int, ...], ...]  # per occurrence: volunteer indices

    @property
    def config(self) -> Config:
        return self.plan.config

    @cached_property
    def volunteer_index(self) -> dict[str, int]:
        return {v.id: i for i, v in enumerate(self.volunteers)}

    @cached_property
    def occurrence_index(self) -> dict[tuple[str, str, str], int]:
        return {o.key: o.index for o in self.occurrences}

    @cached_property
    def by_volunteer(self) -> tuple[tuple[int, ...], ...]:
        """Per volunteer: the occurrence indices they are eligible for, in time order."""
        acc: list[list[int]] = [[] for _ in self.volunteers]
        for o, vols in enumerate(self.eligible):
            for v in vols:
                acc[v].append(o)
        return tuple(tuple(x) for x in acc)

    @cached_property
    def by_day(self) -> tuple[tuple[tuple[int, ...], ...], ...]:
        """Per volunteer, per day of the horizon: the occurrence indices they are eligible
        for (``by_volunteer`` split by day)."""
        days = self.config.horizon.days
        table = []
        for pairs in self.by_volunteer:
            acc: list[list[int]] = [[] for _ in range(days)]
            for o in pairs:
                acc[self.occurrences[o].day].append(o)
            table.append(tuple(tuple(x) for x in acc))
        return tuple(table)

    @property
    def n_pairs(self) -> int:
        return sum(len(e) for e in self.eligible)

    def distance_km(self, v: Volunteer, site: Site) -> float | None:
        return travel_km(v, site)

    def day_date(self, day: int) -> dt.date:
        return self.config.horizon.start + dt.timedelta(days=day)


def travel_km(v: Volunteer, site: Site) -> float | None:
    """Home-to-site straight-line distance, where both are known."""
    if v.lat is None or v.lon is None or site.location is None:
        return None
    return haversine_km(v.lat, v.lon, site.location.lat, site.location.lon)


@lru_cache(maxsize=4096)  # volunteers share a few window sets (Huai'an: 42 in 150,000)
def _spans(windows: tuple, tz: ZoneInfo) -> tuple[Span, ...]:
    return tuple(
        Span(localize(w.start, tz).timestamp(), localize(w.end, tz).timestamp()) for w in windows
    )


def _reason(
    v: Volunteer,
    lim: Limits,
    o: Occurrence,
    site: Site,
    max_km: float | None,
    avail: tuple[Span, ...],
    unavail: tuple[Span, ...],
) -> str | None:
    s, e = o.start.timestamp(), o.end.timestamp()
    if avail and not any(w.start <= s and e <= w.end for w in avail):
        return "not available then"
    if unavail and any(w.start < e and s < w.end for w in unavail):
        return "marked unavailable then"
    if o.night and not v.night_ok:
        return "does not take night shifts"
    if o.night and lim.max_nights_per_week == 0:
        return "no night shifts (max_night_shifts_per_week is 0)"
    if v.days_off and o.date in v.days_off:
        return "has this day off"
    if site.adopted_by and v.team not in site.adopted_by and v.org not in site.adopted_by:
        return "site is adopted by other teams"
    if lim.max_shifts and lim.max_shifts.get(o.shift) == 0:
        return f"never works {o.shift} shifts"
    for cap, label in (
        (lim.max_day_minutes, "daily"),
        (lim.max_week_minutes, "weekly"),
        (lim.max_total_minutes, "total"),
    ):
        if cap is not None and o.minutes > cap:
            return f"shift is longer than the {label} hours cap"
    if max_km is not None:
        km = travel_km(v, site)
        if km is not None and km > max_km:
            return f"lives {km:.1f} km away (limit {max_km:g} km)"
    return None


def closed(occ: Occurrence, config: Config) -> bool:
    """Whether nobody may work ``occ``: it needs no one and staffing above need is
    forbidden (``weights.over_cover`` unset). Such an occurrence has no eligible
    volunteer, so it makes no one "able to work at all" for fairness."""
    return occ.need == 0 and config.weights.over_cover is None


def ineligibility(problem: Problem, v: int, o: int) -> str | None:
    """Why volunteer ``v`` can never work occurrence ``o`` (whatever else), or None."""
    vol, occ = problem.volunteers[v], problem.occurrences[o]
    if closed(occ, problem.config):
        return "the shift needs no one (need 0, over_cover unset)"
    return _reason(
        vol,
        problem.limits[v],
        occ,
        problem.sites[occ.site],
        problem.config.rules.max_travel_km,
        _spans(vol.available, problem.tz),
        _spans(vol.unavailable, problem.tz),
    )


def compile_plan(plan: Plan) -> Problem:
    """Expand ``plan`` and compute every occurrence's eligible volunteers with
    :class:`scheduler.fast_compile.EligibilityIndex` (numpy, per site and per time slot);
    :func:`ineligibility` applies the same rules one pair at a time."""
    from scheduler.fast_compile import compile_plan_fast  # deferred: it imports this module

    return compile_plan_fast(plan)
