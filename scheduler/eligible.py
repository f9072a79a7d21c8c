"""Who could work each occurrence, for all volunteers at once (numpy masks).

The same rules as :func:`scheduler.problem.ineligibility` (which says *why* a pair is
out, one pair at a time): availability windows, unavailability, night shifts
(``night_ok``, ``max_night_shifts_per_week: 0``), fixed days off, sites adopted by other
teams, a shift cap of 0, a shift longer than the daily/weekly/total hours cap, and the
hard travel limit. Each rule is a boolean mask over volunteers, computed once per
distinct key (site, time span, date, shift name, length) and combined per occurrence,
so compiling 850 000 pairs costs masks, not 850 000 calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from scheduler.expand import Occurrence
from scheduler.limits import Limits
from scheduler.models import Site, Volunteer

if TYPE_CHECKING:
    from scheduler.problem import Span


class _Masks:
    """Per-rule masks over volunteers, memoised by the key each rule depends on."""

    def __init__(
        self,
        volunteers: Sequence[Volunteer],
        limits: Sequence[Limits],
        avail: Sequence[tuple[Span, ...]],
        unavail: Sequence[tuple[Span, ...]],
        max_km: float | None,
    ) -> None:
        from scheduler.problem import travel_km

        self.vols, self.limits, self.max_km = volunteers, limits, max_km
        self.avail, self.unavail = avail, unavail
        self._travel_km = travel_km
        n = len(volunteers)
        self.all = np.ones(n, dtype=bool)
        # a night shift: night_ok and not barred by max_night_shifts_per_week 0
        pairs = zip(volunteers, limits, strict=True)
        self.night = np.array(
            [v.night_ok and lim.max_nights_per_week != 0 for v, lim in pairs], dtype=bool
        )
        self.windowed = [i for i, w in enumerate(avail) if w]
        self.blocked = [i for i, w in enumerate(unavail) if w]
        self.with_days_off = [i for i, v in enumerate(volunteers) if v.days_off]
        self.capped = [i for i, lim in enumerate(limits) if lim.max_shifts]
        self._memo: dict[tuple[object, ...], np.ndarray] = {}

    def _cached(self, key: tuple[object, ...], make: object) -> np.ndarray:
        if key not in self._memo:
            self._memo[key] = make()  # type: ignore[operator]
        return self._memo[key]

    def span(self, s: float, e: float) -> np.ndarray:
        """Available for [s, e): inside one window if any are given, overlapping none of
        the unavailable ones."""

        def make() -> np.ndarray:
            mask = self.all.copy()
            for i in self.windowed:
                mask[i] = any(w.start <= s and e <= w.end for w in self.avail[i])
            for i in self.blocked:
                if mask[i] and any(w.start < e and s < w.end for w in self.unavail[i]):
                    mask[i] = False
            return mask

        return self._cached(("span", s, e), make)

    def date(self, day: dt.date) -> np.ndarray:
        """Not a fixed day off."""

        def make() -> np.ndarray:
            mask = self.all.copy()
            for i in self.with_days_off:
                mask[i] = day not in self.vols[i].days_off
            return mask

        return self._cached(("date", day), make)

    def shift(self, name: str) -> np.ndarray:
        """No shift cap of 0 on this shift name."""

        def make() -> np.ndarray:
            mask = self.all.copy()
            for i in self.capped:
                mask[i] = self.limits[i].max_shifts.get(name) != 0
            return mask

        return self._cached(("shift", name), make)

    def length(self, minutes: int) -> np.ndarray:
        """The shift fits the daily, weekly and total hours caps."""

        def fits(lim: Limits) -> bool:
            caps = (lim.max_day_minutes, lim.max_week_minutes, lim.max_total_minutes)
            return all(cap is None or minutes <= cap for cap in caps)

        def make() -> np.ndarray:
            return np.array([fits(lim) for lim in self.limits], dtype=bool)

        return self._cached(("length", minutes), make)

    def site(self, site: Site) -> np.ndarray:
        """Adopted by the volunteer's team or org (if adopted at all), within the travel
        limit where both locations are known."""

        def make() -> np.ndarray:
            mask = self.all.copy()
            for i, v in enumerate(self.vols):
                adopted = site.adopted_by
                if adopted and v.team not in adopted and v.org not in adopted:
                    mask[i] = False
                    continue
                if self.max_km is not None:
                    km = self._travel_km(v, site)
                    if km is not None and km > self.max_km:
                        mask[i] = False
            return mask

        return self._cached(("site", site.id), make)


def eligible_volunteers(
    occurrences: Sequence[Occurrence],
    volunteers: Sequence[Volunteer],
    limits: Sequence[Limits],
    sites: dict[str, Site],
    avail: Sequence[tuple[Span, ...]],
    unavail: Sequence[tuple[Span, ...]],
    max_km: float | None,
) -> tuple[tuple[int, ...], ...]:
    """Per occurrence, the indices of the volunteers who could work it on their own."""
    masks = _Masks(volunteers, limits, avail, unavail, max_km)
    out = []
    for o in occurrences:
        mask = masks.site(sites[o.site]) & masks.span(o.start.timestamp(), o.end.timestamp())
        mask = mask & masks.date(o.date) & masks.shift(o.shift) & masks.length(o.minutes)
        if o.night:
            mask = mask & masks.night
        out.append(tuple(int(i) for i in np.flatnonzero(mask)))
    return tuple(out)
