"""Eligibility vectorised with numpy: what :func:`scheduler.problem.compile_plan` uses.

:func:`scheduler.problem.ineligibility` tests one (volunteer, occurrence) pair in Python,
which is fine for explaining a pair and hopeless for 150,000 x 70,000.
:class:`EligibilityIndex` answers the same question (``tests/solver/test_decompose.py``
and ``tests/scheduler/test_properties.py`` compare it with ``ineligibility`` pair by pair)
by splitting the test in two:

* per **site** (travel limit, adopted sites): volunteers sorted by latitude, so only the
  band of latitudes within ``max_travel_km`` is measured (chord lengths on the unit
  sphere); distances within 1e-5 km of the limit are re-measured with
  :func:`scheduler.geo.haversine_km`, so the result is exact;
* per **time slot** (start, end, night, date, shift name, minutes): night_ok, day/week/
  total caps as arrays; availability windows, days off and shift caps of 0 only for the
  volunteers that have them.

An occurrence's eligible volunteers are its site's members that its slot allows.
:func:`compile_plan_fast` returns the :class:`~scheduler.problem.Problem` (what
``compile_plan`` returns); with ``lazy=True`` its ``eligible`` is a read-only sequence computed
per occurrence on access (city scale: a billion pairs never exist at once).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.cost_range import check_cost_range
from scheduler.expand import Occurrence, expand
from scheduler.geo import EARTH_RADIUS_KM, haversine_km
from scheduler.limits import Limits, limits_of
from scheduler.models import Plan, Site
from scheduler.problem import Problem, _spans, closed

_GUARD_KM = 1e-5
"""Distances this close to the travel limit are re-measured exactly (chords on the unit
sphere are off by ~1e-9 km at city distances)."""
_INF = np.iinfo(np.int64).max
_CACHE_SITES = 512


class EligibilityIndex:
    """Who may work what, per site and per time slot (see the module doc)."""

    def __init__(
        self,
        plan: Plan,
        occurrences: Sequence[Occurrence],
        limits: tuple[Limits, ...] | None = None,
    ) -> None:
        config = plan.config
        self.plan, self.occurrences = plan, occurrences
        self.tz = ZoneInfo(config.timezone)
        vols = self.vols = plan.volunteers
        self.n = len(vols)
        self.limits = limits if limits is not None else limits_of(vols, config.rules)
        self.sites = {s.id: s for s in config.sites}
        self.max_km = config.rules.max_travel_km
        self.lat = np.array([np.nan if v.lat is None else v.lat for v in vols], dtype=float)
        self.lon = np.array([np.nan if v.lon is None else v.lon for v in vols], dtype=float)
        self.no_loc = np.isnan(self.lat) | np.isnan(self.lon)
        order = np.flatnonzero(~self.no_loc)
        self.order = order[np.argsort(self.lat[order], kind="stable")]
        self.lat_sorted = self.lat[self.order]
        self.xyz_sorted = _unit_xyz(self.lat_sorted, self.lon[self.order])
        self.codes: dict[str, int] = {}
        self.team = np.array([self._code(v.team, -1) for v in vols], dtype=np.int64)
        self.org = np.array([self._code(v.org, -2) for v in vols], dtype=np.int64)
        self.night_ok = np.array([v.night_ok for v in vols], dtype=bool)
        self.caps = np.array(
            [
                min(
                    _INF if c is None else c
                    for c in (lim.max_day_minutes, lim.max_week_minutes, lim.max_total_minutes)
                )
                for lim in self.limits
            ],
            dtype=np.int64,
        )
        self.special = [
            i
            for i, (v, lim) in enumerate(zip(vols, self.limits, strict=True))
            if v.available or v.unavailable or v.days_off or 0 in lim.max_shifts.values()
        ]
        self._windows = _Windows.of(plan, self.special, self.limits, self.tz)
        self.unlocated = np.flatnonzero(self.no_loc).astype(np.int32)
        self._slots: dict[tuple, np.ndarray] = {}
        self._members: OrderedDict[str, np.ndarray | None] = OrderedDict()
        self._scan: tuple[np.ndarray, np.ndarray] | None = None
        self._pool: np.ndarray | None = None

    def _code(self, name: str | None, none: int) -> int:
        return none if not name else self.codes.setdefault(name, len(self.codes))

    def members(self, site_id: str) -> np.ndarray | None:
        """Sorted volunteer indices who may serve at the site (None = everyone); cached."""
        if site_id in self._members:
            self._members.move_to_end(site_id)
            return self._members[site_id]
        out = self._site_members(self.sites[site_id])
        self._members[site_id] = out
        if len(self._members) > _CACHE_SITES:
            self._members.popitem(last=False)
        return out

    def _site_members(self, site: Site) -> np.ndarray | None:
        members: np.ndarray | None = None
        if self.max_km is not None and site.location is not None:
            members = self.within(self.max_km, site.location.lat, site.location.lon)
        if site.adopted_by:
            allowed = np.array(
                [self.codes[x] for x in site.adopted_by if x in self.codes], dtype=np.int64
            )
            adopt = np.isin(self.team, allowed) | np.isin(self.org, allowed)
            if members is None:
                return np.flatnonzero(adopt).astype(np.int32)
            return members[adopt[members]]
        return members

    def within(self, max_km: float, s_lat: float, s_lon: float) -> np.ndarray:
        """Sorted indices of the volunteers within ``max_km`` of a point, or without a home.

        Only the band of latitudes in reach is looked at (a contiguous slice of the
        volunteers sorted by latitude), by chord length on the unit sphere; the few within
        ``_GUARD_KM`` of the limit are re-measured with :func:`scheduler.geo.haversine_km`,
        as ``ineligibility`` measures them, so the result is exact.
        """
        band = max_km / (math.pi * EARTH_RADIUS_KM / 180.0) + 1e-6
        lo = int(np.searchsorted(self.lat_sorted, s_lat - band, side="left"))
        hi = int(np.searchsorted(self.lat_sorted, s_lat + band, side="right"))
        x, y, z = _unit_xyz(np.array([s_lat]), np.array([s_lon]))[0]
        pts = self.xyz_sorted[lo:hi]
        d2 = (pts[:, 0] - x) ** 2 + (pts[:, 1] - y) ** 2 + (pts[:, 2] - z) ** 2
        inner, outer = _chord(max_km - _GUARD_KM) ** 2, _chord(max_km + _GUARD_KM) ** 2
        cand = self.order[lo:hi]
        near = cand[d2 < inner]
        edge = cand[(d2 >= inner) & (d2 <= outer)]
        if len(edge):
            vols = self.vols
            again = [
                v
                for v in edge.tolist()
                if haversine_km(vols[v].lat, vols[v].lon, s_lat, s_lon) <= max_km  # type: ignore[arg-type]
            ]
            near = np.concatenate((near, np.array(again, dtype=near.dtype)))
        if len(self.unlocated):
            near = np.concatenate((near, self.unlocated))
        out = near.astype(np.int32)
        out.sort()
        return out

    def slot(self, occ: Occurrence) -> np.ndarray:
        """Boolean mask of the volunteers whose own columns allow this time slot; cached."""
        key = (occ.start, occ.end, occ.night, occ.date, occ.shift, occ.minutes)
        mask = self._slots.get(key)
        if mask is not None:
            return mask
        mask = self.caps >= occ.minutes
        if occ.night:
            mask &= self.night_ok
            if self.plan.config.rules.max_night_shifts_per_week == 0:
                mask &= False  # no one works nights
        self._windows.restrict(mask, occ)
        self._slots[key] = mask
        return mask

    def eligible(self, o: int) -> np.ndarray:
        """Sorted volunteer indices eligible for occurrence ``o``."""
        occ = self.occurrences[o]
        if closed(occ, self.plan.config):
            return np.zeros(0, dtype=np.int64)
        mask, members = self.slot(occ), self.members(occ.site)
        return np.flatnonzero(mask) if members is None else members[mask[members]]

    def count(self, o: int) -> int:
        occ = self.occurrences[o]
        if closed(occ, self.plan.config):
            return 0
        mask, members = self.slot(occ), self.members(occ.site)
        return int(mask.sum()) if members is None else int(np.count_nonzero(mask[members]))

    def scan(self) -> tuple[np.ndarray, np.ndarray]:
        """(eligible count per occurrence, mask of volunteers eligible for >= 1 occurrence).

        One pass site by site, so each site's members are computed once; cached.
        """
        if self._scan is not None:
            return self._scan
        counts = np.zeros(len(self.occurrences), dtype=np.int64)
        pool = np.zeros(self.n, dtype=bool)
        by_site: dict[str, list[int]] = {}
        for occ in self.occurrences:
            by_site.setdefault(occ.site, []).append(occ.index)
        for site_id, occs in by_site.items():
            members = self._site_members(self.sites[site_id])
            seen = np.zeros(self.n if members is None else len(members), dtype=bool)
            for o in occs:
                if closed(self.occurrences[o], self.plan.config):
                    continue  # counts[o] stays 0
                mask = self.slot(self.occurrences[o])
                sub = mask if members is None else mask[members]
                counts[o] = int(np.count_nonzero(sub))
                seen |= sub
            if members is None:
                pool |= seen
            else:
                pool[members[seen]] = True
        self._scan = (counts, pool)
        return self._scan

    def counts(self, occurrences: Iterable[int]) -> dict[int, int]:
        """Eligible count of each of ``occurrences`` (for a few; :meth:`scan` counts all)."""
        if self._scan is not None:
            return {o: int(self._scan[0][o]) for o in occurrences}
        return {o: self.count(o) for o in occurrences}

    def pool(self) -> np.ndarray:
        """Boolean mask of the volunteers eligible for at least one occurrence; cached.

        Without counting: per site, its members that the union of its time slots allows
        (sites with the same slots share that union).
        """
        if self._scan is not None:
            return self._scan[1]
        if self._pool is not None:
            return self._pool
        pool = np.zeros(self.n, dtype=bool)
        slots_of: dict[str, dict[tuple, Occurrence]] = {}
        for occ in self.occurrences:
            if closed(occ, self.plan.config):
                continue
            key = (occ.start, occ.end, occ.night, occ.date, occ.shift, occ.minutes)
            slots_of.setdefault(occ.site, {})[key] = occ
        unions: dict[frozenset[tuple], np.ndarray] = {}
        for site_id, slots in slots_of.items():
            sig = frozenset(slots)
            union = unions.get(sig)
            if union is None:
                union = np.zeros(self.n, dtype=bool)
                for occ in slots.values():
                    union |= self.slot(occ)
                unions[sig] = union
            members = self._site_members(self.sites[site_id])
            if members is None:
                pool |= union
            else:
                pool[members[union[members]]] = True
        self._pool = pool
        return pool


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere, one row each (chord length grows with distance)."""
    p, q = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(p) * np.cos(q), np.cos(p) * np.sin(q), np.sin(p)))


def _chord(km: float) -> float:
    """The chord on the unit sphere of a great-circle distance (0 below 0)."""
    return 2 * math.sin(min(math.pi, max(0.0, km) / EARTH_RADIUS_KM) / 2)


@dataclass(frozen=True)
class _Windows:
    """The volunteers with their own availability columns, flattened into arrays.

    Availability windows (a shift must lie inside one), unavailability windows (a shift
    must not overlap one), days off and shift caps of 0, as ``ineligibility`` tests them.
    """

    n: int
    avail_v: np.ndarray
    avail_start: np.ndarray
    avail_end: np.ndarray
    has_avail: np.ndarray
    unavail_v: np.ndarray
    unavail_start: np.ndarray
    unavail_end: np.ndarray
    off_by_date: dict[dt.date, np.ndarray]
    zero_by_shift: dict[str, np.ndarray]

    @classmethod
    def of(
        cls, plan: Plan, special: Sequence[int], limits: Sequence[Limits], tz: ZoneInfo
    ) -> _Windows:
        vols = plan.volunteers
        av: list[tuple[int, float, float]] = []
        un: list[tuple[int, float, float]] = []
        off: dict[dt.date, list[int]] = {}
        zero: dict[str, list[int]] = {}
        for i in special:
            vol = vols[i]
            av.extend((i, w.start, w.end) for w in _spans(vol.available, tz))
            un.extend((i, w.start, w.end) for w in _spans(vol.unavailable, tz))
            for day in vol.days_off:
                off.setdefault(day, []).append(i)
            for shift, cap in limits[i].max_shifts.items():
                if cap == 0:
                    zero.setdefault(shift, []).append(i)

        def columns(rows: list[tuple[int, float, float]]) -> tuple[np.ndarray, ...]:
            v = np.array([r[0] for r in rows], dtype=np.int64)
            return v, np.array([r[1] for r in rows]), np.array([r[2] for r in rows])

        avail_v, avail_start, avail_end = columns(av)
        unavail_v, unavail_start, unavail_end = columns(un)
        has_avail = np.zeros(len(vols), dtype=bool)
        has_avail[avail_v] = True
        return cls(
            n=len(vols),
            avail_v=avail_v,
            avail_start=avail_start,
            avail_end=avail_end,
            has_avail=has_avail,
            unavail_v=unavail_v,
            unavail_start=unavail_start,
            unavail_end=unavail_end,
            off_by_date={d: np.array(v, dtype=np.int64) for d, v in off.items()},
            zero_by_shift={k: np.array(v, dtype=np.int64) for k, v in zero.items()},
        )

    def restrict(self, mask: np.ndarray, occ: Occurrence) -> None:
        """Clear ``mask`` where a volunteer's own windows, days off or caps rule ``occ`` out."""
        s, e = occ.start.timestamp(), occ.end.timestamp()
        if len(self.avail_v):
            inside = np.zeros(self.n, dtype=bool)
            inside[self.avail_v[(self.avail_start <= s) & (e <= self.avail_end)]] = True
            mask &= inside | ~self.has_avail
        if len(self.unavail_v):
            mask[self.unavail_v[(self.unavail_start < e) & (s < self.unavail_end)]] = False
        off = self.off_by_date.get(occ.date)
        if off is not None:
            mask[off] = False
        zero = self.zero_by_shift.get(occ.shift)
        if zero is not None:
            mask[zero] = False


class LazyEligible(Sequence[tuple[int, ...]]):
    """``Problem.eligible`` computed per occurrence on access (not stored)."""

    def __init__(self, index: EligibilityIndex) -> None:
        self.index = index
        self._ints = list(range(index.n))  # shared int objects

    def __len__(self) -> int:
        return len(self.index.occurrences)

    def __getitem__(self, o):  # type: ignore[override]
        if isinstance(o, slice):
            return tuple(self[i] for i in range(*o.indices(len(self))))
        return tuple(map(self._ints.__getitem__, self.index.eligible(o).tolist()))

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        return (self[o] for o in range(len(self)))


def compile_plan_fast(
    plan: Plan,
    *,
    lazy: bool = False,
    occurrences: tuple[Occurrence, ...] | None = None,
    limits: tuple[Limits, ...] | None = None,
) -> Problem:
    """The compiled Problem of ``plan`` (``compile_plan``'s), eligibility by the index.

    ``occurrences`` (``expand(plan.config)``) and ``limits`` (``limits_of``), when the
    caller has them already, are taken as given.
    """
    if occurrences is None:
        occurrences = expand(plan.config)
    check_cost_range(plan, occurrences)
    index = EligibilityIndex(plan, occurrences, limits)
    eligible: Sequence[tuple[int, ...]] = LazyEligible(index)
    if not lazy:
        eligible = tuple(eligible)
    return Problem(
        plan=plan,
        tz=index.tz,
        occurrences=occurrences,
        volunteers=plan.volunteers,
        limits=index.limits,
        sites=index.sites,
        eligible=eligible,  # type: ignore[arg-type]
    )


def eligibility_index(problem: Problem) -> EligibilityIndex:
    """The index behind a problem (a lazy one's own, else a new one)."""
    if isinstance(problem.eligible, LazyEligible):
        return problem.eligible.index
    return EligibilityIndex(problem.plan, problem.occurrences)
