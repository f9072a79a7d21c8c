"""The checker's own eligibility: why a volunteer may never serve at a site or work a
shift occurrence, and which volunteers are eligible for anything (the fairness pool).

Deliberately independent of the eligibility code of :mod:`scheduler.problem` and of
``problem.eligible`` (see :mod:`scheduler.checker`).
"""

from __future__ import annotations

import functools
import math
from zoneinfo import ZoneInfo

from scheduler.checker_model import CheckOcc, VolLimits, local_time
from scheduler.geo import haversine_km
from scheduler.models import Config, Site, Volunteer, Window
from scheduler.problem import Problem


def site_reason(config: Config, v: Volunteer, site: Site) -> str | None:
    """Why ``v`` may never serve at ``site`` (adopted site, travel limit), or None."""
    if site.adopted_by and v.team not in site.adopted_by and v.org not in site.adopted_by:
        return f"site adopted by {', '.join(site.adopted_by)} only"
    limit = config.rules.max_travel_km
    if limit is not None and v.lat is not None and v.lon is not None and site.location:
        km = haversine_km(v.lat, v.lon, site.location.lat, site.location.lon)
        if km > limit:
            return f"lives {km:.1f} km away (max {limit:g})"
    return None


@functools.lru_cache(maxsize=1 << 16)
def _span(w: Window, tz: ZoneInfo) -> tuple[float, float]:
    return local_time(w.start, tz).timestamp(), local_time(w.end, tz).timestamp()


def time_reason(
    tz: ZoneInfo, v: Volunteer, lim: VolLimits, occ: CheckOcc, *, caps: bool = False
) -> str | None:
    """Why ``v`` may never work ``occ`` for its time (with ``caps``: a cap of 0 or too short)."""
    s, e = occ.start_ts, occ.end_ts
    if v.available and not any(a <= s and e <= b for a, b in (_span(w, tz) for w in v.available)):
        return "outside their available times"
    if any(a < e and s < b for a, b in (_span(w, tz) for w in v.unavailable)):
        return "marked unavailable"
    if occ.night and not v.night_ok:
        return "night shift, night_ok is false"
    if occ.date in v.days_off:
        return "a fixed day off"
    if caps and (
        lim.max_shifts.get(occ.shift) == 0
        or (occ.night and lim.max_nights == 0)
        or any(
            c is not None and occ.minutes > c for c in (lim.max_day, lim.max_week, lim.max_total)
        )
    ):
        return "a cap below this shift"
    return None


class _NearSites:
    """Sites that may lie within the travel limit of a home: a grid of limit-sized cells."""

    def __init__(self, config: Config) -> None:
        self.sites = list(config.sites)
        self.cells: dict[tuple[int, int], list[Site]] | None = None
        limit = config.rules.max_travel_km
        located = [s for s in self.sites if s.location is not None]
        if limit is None or not located or limit > 500:
            return
        lat_max = max(abs(s.location.lat) for s in located if s.location) + limit / 111.0
        if lat_max > 80 or any(abs(s.location.lon) > 170 for s in located if s.location):
            return  # near a pole or the antimeridian: no grid, test every site
        # |dlat| <= d / 111.19 km; |dlon| <= ~d / (111.19 km * cos lat): cells twice that
        # wide, and at least 1 km (a limit of 0 would make them empty)
        cell_km = max(limit, 1.0)
        self.dlat = cell_km / 111.0
        self.dlon = 2 * cell_km / (111.0 * math.cos(math.radians(lat_max)))
        self.unlocated = [s for s in self.sites if s.location is None]
        self.cells = {}
        for s in located:
            assert s.location is not None
            self.cells.setdefault(self._cell(s.location.lat, s.location.lon), []).append(s)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.dlat), math.floor(lon / self.dlon)

    def around(self, v: Volunteer) -> list[Site]:
        if self.cells is None or v.lat is None or v.lon is None:
            return self.sites
        i, j = self._cell(v.lat, v.lon)
        near = [
            s
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            for s in self.cells.get((i + di, j + dj), ())
        ]
        return self.unlocated + near


def fairness_pool(
    problem: Problem, per_vol: list[list[CheckOcc]], limits: list[VolLimits], occs: list[CheckOcc]
) -> set[int]:
    """Volunteers statically eligible for at least one occurrence."""
    config, tz = problem.config, problem.tz
    by_site: dict[str, list[CheckOcc]] = {}
    for o in occs:
        by_site.setdefault(o.site, []).append(o)
    near = _NearSites(config)
    pool: set[int] = set()
    for v, vol in enumerate(problem.volunteers):
        lim = limits[v]
        if any(  # usually one of their own shifts settles it
            not site_reason(config, vol, problem.sites[o.site])
            and not time_reason(tz, vol, lim, o, caps=True)
            for o in per_vol[v]
        ) or any(
            not site_reason(config, vol, site)
            and any(not time_reason(tz, vol, lim, o, caps=True) for o in by_site.get(site.id, ()))
            for site in near.around(vol)
        ):
            pool.add(v)
    return pool
