"""The checker's own eligibility: why a volunteer may never serve at a site or work a
shift occurrence, and which volunteers are eligible for anything (the fairness pool).

Deliberately independent of the eligibility code of :mod:`scheduler.problem` and of
``problem.eligible`` (see :mod:`scheduler.checker`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.checker_model import CheckOcc, VolLimits, local_time
from scheduler.geo import haversine_km, haversine_km_array
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


GUARD_KM = 1e-6
"""Distances measured with numpy (:func:`scheduler.geo.haversine_km_array`) decide only
farther than this from the travel limit; closer ones are measured again by
:func:`site_reason` (exact)."""


def _coords(lat_lon: Sequence[tuple[float, float] | None]) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes as arrays, NaN where unknown (None)."""
    xy = np.array([(math.nan, math.nan) if c is None else c for c in lat_lon], dtype=float)
    xy = xy.reshape(-1, 2)
    return xy[:, 0], xy[:, 1]


def _home(v: Volunteer) -> tuple[float, float] | None:
    return None if v.lat is None or v.lon is None else (v.lat, v.lon)


def _place(s: Site) -> tuple[float, float] | None:
    return None if s.location is None else (s.location.lat, s.location.lon)


class SiteReasons:
    """:func:`site_reason` per (volunteer index, site id), each pair measured once per check
    (the per-volunteer rules and the fairness pool ask about the same own shifts)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._memo: dict[tuple[int, str], str | None] = {}

    def prime(self, pairs: Sequence[tuple[int, str]]) -> None:
        """Settle at once the pairs clearly within the travel limit of a site nobody adopted
        (no reason); the others are left to :meth:`__call__`."""
        p = self.problem
        limit = p.config.rules.max_travel_km
        if limit is None or not pairs:
            return
        vlat, vlon = _coords([_home(v) for v in p.volunteers])
        ids = {site_id: k for k, site_id in enumerate(p.sites)}
        slat, slon = _coords([_place(site) for site in p.sites.values()])
        vs = np.fromiter((v for v, _ in pairs), dtype=np.int64, count=len(pairs))
        ss = np.fromiter((ids[s] for _, s in pairs), dtype=np.int64, count=len(pairs))
        km = haversine_km_array(vlat[vs], vlon[vs], slat[ss], slon[ss])
        for (v, s), near in zip(pairs, (km <= limit - GUARD_KM).tolist(), strict=True):
            if near and not p.sites[s].adopted_by:
                self._memo[(v, s)] = None

    def __call__(self, v: int, site_id: str) -> str | None:
        key = (v, site_id)
        if key not in self._memo:
            p = self.problem
            self._memo[key] = site_reason(p.config, p.volunteers[v], p.sites[site_id])
        return self._memo[key]


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
        self.far = limit + GUARD_KM
        self.cell_xy = {c: _coords([_place(s) for s in sites]) for c, sites in self.cells.items()}
        number = {s.id: k for k, s in enumerate(self.sites)}
        self.cell_ix = {c: np.array([number[s.id] for s in ss]) for c, ss in self.cells.items()}

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.dlat), math.floor(lon / self.dlon)

    def reachable(self, v: Volunteer) -> list[Site]:
        """Sites in the volunteer's and the 8 neighbouring cells (all without a grid or
        a home), less those clearly beyond the travel limit (numpy)."""
        if self.cells is None or v.lat is None or v.lon is None:
            return self.sites
        i, j = self._cell(v.lat, v.lon)
        cells = [(i + di, j + dj) for di in (-1, 0, 1) for dj in (-1, 0, 1)]
        cells = [c for c in cells if c in self.cells]
        if not cells:
            return self.unlocated
        lat = np.concatenate([self.cell_xy[c][0] for c in cells])
        lon = np.concatenate([self.cell_xy[c][1] for c in cells])
        km = haversine_km_array(np.full(len(lat), v.lat), np.full(len(lat), v.lon), lat, lon)
        near = np.concatenate([self.cell_ix[c] for c in cells])[~(km > self.far)]
        return self.unlocated + [self.sites[k] for k in near.tolist()]


def fairness_pool(
    problem: Problem,
    per_vol: list[list[CheckOcc]],
    limits: list[VolLimits],
    occs: list[CheckOcc],
    site_ok: SiteReasons | None = None,
) -> set[int]:
    """Volunteers statically eligible for at least one occurrence someone may work: one
    that needs people, or any where staffing above need is allowed (``over_cover``)."""
    config, tz = problem.config, problem.tz
    site_ok = site_ok or SiteReasons(problem)
    if config.weights.over_cover is None:  # nobody may work a shift that needs no one
        occs = [o for o in occs if o.need > 0]
        per_vol = [[o for o in mine if o.need > 0] for mine in per_vol]
    by_site: dict[str, list[CheckOcc]] = {}
    for o in occs:
        by_site.setdefault(o.site, []).append(o)
    vols = problem.volunteers
    pool = {  # usually one of their own shifts settles it
        v
        for v, vol in enumerate(vols)
        if any(
            not site_ok(v, o.site) and not time_reason(tz, vol, limits[v], o, caps=True)
            for o in per_vol[v]
        )
    }
    near = _NearSites(config)
    for v, vol in enumerate(vols):
        lim = limits[v]
        if v not in pool and any(
            not site_reason(config, vol, site)
            and any(not time_reason(tz, vol, lim, o, caps=True) for o in by_site.get(site.id, ()))
            for site in near.reachable(vol)
        ):
            pool.add(v)
    return pool
