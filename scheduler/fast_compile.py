"""``compile_plan`` for city-scale plans: the same eligibility, vectorised with numpy.

:func:`scheduler.problem.compile_plan` tests every (volunteer, occurrence) pair in Python,
which is fine for thousands of volunteers and hopeless for 150,000 x 70,000.
:class:`EligibilityIndex` answers the same question (``tests/solver/test_decompose.py``
compares them) by splitting the test in two:

* per **site** (travel limit, adopted sites): volunteers sorted by latitude, so only the
  band of latitudes within ``max_travel_km`` is measured; distances within 1e-6 km of the
  limit are re-measured with :func:`scheduler.geo.haversine_km`, so the result is exact;
* per **time slot** (start, end, night, date, shift name, minutes): night_ok, day/week/
  total caps as arrays; availability windows, days off and shift caps of 0 only for the
  volunteers that have them.

An occurrence's eligible volunteers are its site's members that its slot allows.
:func:`compile_plan_fast` returns a :class:`~scheduler.problem.Problem` identical to
``compile_plan``'s; with ``lazy=True`` its ``eligible`` is a read-only sequence computed
per occurrence on access (city scale: a billion pairs never exist at once).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from scheduler.cost_range import check_cost_range
from scheduler.expand import Occurrence, expand
from scheduler.geo import EARTH_RADIUS_KM, haversine_km
from scheduler.limits import limits_for
from scheduler.models import Plan, Site
from scheduler.problem import Problem, _spans

_EPS_KM = 1e-6
_INF = np.iinfo(np.int64).max
_CACHE_SITES = 512


class EligibilityIndex:
    """Who may work what, per site and per time slot (see the module doc)."""

    def __init__(self, plan: Plan, occurrences: Sequence[Occurrence]) -> None:
        config = plan.config
        self.plan, self.occurrences = plan, occurrences
        self.tz = ZoneInfo(config.timezone)
        vols = self.vols = plan.volunteers
        self.n = len(vols)
        self.limits = tuple(limits_for(v, config.rules) for v in vols)
        self.sites = {s.id: s for s in config.sites}
        self.max_km = config.rules.max_travel_km
        self.lat = np.array([np.nan if v.lat is None else v.lat for v in vols], dtype=float)
        self.lon = np.array([np.nan if v.lon is None else v.lon for v in vols], dtype=float)
        self.no_loc = np.isnan(self.lat) | np.isnan(self.lon)
        order = np.flatnonzero(~self.no_loc)
        self.order = order[np.argsort(self.lat[order], kind="stable")]
        self.lat_sorted = self.lat[self.order]
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
        self.windows = {
            i: (_spans(vols[i].available, self.tz), _spans(vols[i].unavailable, self.tz))
            for i in self.special
        }
        self._slots: dict[tuple, np.ndarray] = {}
        self._members: OrderedDict[str, np.ndarray | None] = OrderedDict()
        self._scan: tuple[np.ndarray, np.ndarray] | None = None

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
        mask: np.ndarray | None = None
        if self.max_km is not None and site.location is not None:
            max_km, s_lat, s_lon = self.max_km, site.location.lat, site.location.lon
            band = max_km / (math.pi * EARTH_RADIUS_KM / 180.0) + 1e-6
            lo = np.searchsorted(self.lat_sorted, s_lat - band, side="left")
            hi = np.searchsorted(self.lat_sorted, s_lat + band, side="right")
            cand = self.order[lo:hi]
            p1, p2 = math.radians(s_lat), np.radians(self.lat[cand])
            a = (
                np.sin((p2 - p1) / 2) ** 2
                + math.cos(p1) * np.cos(p2) * np.sin(np.radians(self.lon[cand] - s_lon) / 2) ** 2
            )
            km = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
            ok = km < max_km - _EPS_KM
            for j in np.flatnonzero(np.abs(km - max_km) <= _EPS_KM):
                v = self.vols[int(cand[j])]
                ok[j] = haversine_km(v.lat, v.lon, s_lat, s_lon) <= max_km  # type: ignore[arg-type]
            mask = self.no_loc.copy()
            mask[cand[ok]] = True
        if site.adopted_by:
            allowed = np.array(
                [self.codes[x] for x in site.adopted_by if x in self.codes], dtype=np.int64
            )
            adopt = np.isin(self.team, allowed) | np.isin(self.org, allowed)
            mask = adopt if mask is None else mask & adopt
        return None if mask is None else np.flatnonzero(mask).astype(np.int32)

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
        s, e = occ.start.timestamp(), occ.end.timestamp()
        for v in self.special:
            if not mask[v]:
                continue
            avail, unavail = self.windows[v]
            vol, lim = self.vols[v], self.limits[v]
            if (
                (avail and not any(w.start <= s and e <= w.end for w in avail))
                or (unavail and any(w.start < e and s < w.end for w in unavail))
                or (vol.days_off and occ.date in vol.days_off)
                or (lim.max_shifts and lim.max_shifts.get(occ.shift) == 0)
            ):
                mask[v] = False
        self._slots[key] = mask
        return mask

    def eligible(self, o: int) -> np.ndarray:
        """Sorted volunteer indices eligible for occurrence ``o``."""
        occ = self.occurrences[o]
        mask, members = self.slot(occ), self.members(occ.site)
        return np.flatnonzero(mask) if members is None else members[mask[members]]

    def count(self, o: int) -> int:
        occ = self.occurrences[o]
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

    def pool(self) -> np.ndarray:
        """Boolean mask of the volunteers eligible for at least one occurrence."""
        return self.scan()[1]


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


def compile_plan_fast(plan: Plan, *, lazy: bool = False) -> Problem:
    """The same Problem as ``compile_plan(plan)``, eligibility computed with numpy."""
    occurrences = expand(plan.config)
    check_cost_range(plan, occurrences)
    index = EligibilityIndex(plan, occurrences)
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
