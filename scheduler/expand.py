"""Shift expansion: a config's sites and patterns become shift occurrences.

An occurrence is (site, date, shift name). It starts at the pattern's local
start time on that date and lasts ``hours`` of real (elapsed) time, so a
shift spanning a DST change still lasts its hours. It exists for every date
of the horizon while the site is open at the occurrence's start. Its need is
``need_by_shift[name]`` or ``need``, then every demand change whose
[from, to) contains the start applies in file order (``set`` replaces,
``add`` adds; the result of each step is never below 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.models import Config, DemandChange, ShiftDef, Site

UTC = dt.UTC
NIGHT_START = dt.time(0, 0)
NIGHT_END = dt.time(5, 0)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One shift at one site on one date (immutable)."""

    index: int
    site: str
    date: dt.date
    shift: str
    start: dt.datetime  # aware, in the plan's zone
    end: dt.datetime  # aware, in the plan's zone
    minutes: int
    need: int
    require: tuple[tuple[str, int], ...]  # (skill, n) with n > 0, also where need < n
    priority: int
    night: bool
    day: int  # index of `date` in the horizon
    week: int  # 7-day block from the horizon start

    @property
    def key(self) -> tuple[str, str, str]:
        """(site, shift, ISO start): how rosters name an occurrence."""
        return (self.site, self.shift, self.start.isoformat())

    def required(self, skill: str) -> int:
        return dict(self.require).get(skill, 0)


def localize(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A local wall-clock time as a real instant (times in a DST gap move forward)."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


def shift_bounds(date: dt.date, shift: ShiftDef, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = localize(dt.datetime.combine(date, shift.start), tz)
    end = (start.astimezone(UTC) + shift.duration).astimezone(tz)
    return start, end


def is_night(shift: ShiftDef, start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> bool:
    """Flagged ``night: true``, or covering an instant whose local time is in
    [00:00, 05:00): each local night as the instants it spans (where the clocks jump at
    midnight, America/Santiago, it starts at 01:00), not by wall clock."""
    if shift.night:
        return True
    lo, hi = instant(start), instant(end)
    day = start.date()
    while instant(localize(dt.datetime.combine(day, NIGHT_START), tz)) < hi:
        if lo < instant(localize(dt.datetime.combine(day, NIGHT_END), tz)):
            return True
        day += dt.timedelta(days=1)
    return False


def instant(t: dt.datetime) -> float:
    """POSIX seconds: aware datetimes of one zone compare and subtract by wall clock in
    Python (fold ignored), so times in the repeated autumn hour need this."""
    return t.timestamp()


def site_is_open(site: Site, start: dt.datetime, tz: ZoneInfo) -> bool:
    if not site.open:
        return True
    t = instant(start)
    return any(
        instant(localize(w.start, tz)) <= t < instant(localize(w.end, tz)) for w in site.open
    )


def occurrence_need(
    site: Site, shift: str, start: dt.datetime,
    changes: tuple[tuple[DemandChange, float, float], ...],
) -> int:  # fmt: skip
    """``shift``'s need at ``site`` starting at ``start``: the site's, then each of
    ``changes`` (those of this site and shift, in file order, each with its interval as
    instants) whose interval holds the start."""
    need = site.need_by_shift.get(shift, site.need)
    t = instant(start)
    for ch, t0, t1 in changes:
        if t0 <= t < t1:
            need = ch.apply(need)
    return need


def expand(config: Config) -> tuple[Occurrence, ...]:
    """All occurrences of the horizon, ordered by start, then site, then shift."""
    tz = ZoneInfo(config.timezone)
    by_site: dict[str, list[DemandChange]] = {}
    for ch in config.demand_changes:
        by_site.setdefault(ch.site, []).append(ch)
    raw: list[tuple[dt.datetime, int, int, dict[str, Any]]] = []  # fields but the index
    bounds: dict[tuple, tuple[dt.datetime, dt.datetime, bool]] = {}  # the same at every site
    for site_i, site in enumerate(config.sites):
        changes = tuple(by_site.get(site.id, ()))
        # per shift name, in file order: only the changes that can apply to it
        # (each change's interval read once: a benchmark import holds thousands)
        timed = [(ch, instant(localize(ch.start, tz)), instant(localize(ch.end, tz)))
                 for ch in changes]  # fmt: skip
        by_shift = {
            sh.name: tuple(c for c in timed if c[0].shift in (None, sh.name))
            for sh in config.shift_patterns[site.pattern]
        }
        for day in range(config.horizon.days):
            date = config.horizon.start + dt.timedelta(days=day)
            for shift_i, shift in enumerate(config.shift_patterns[site.pattern]):
                key = (date, shift.start, shift.hours, shift.night)  # what they read of it
                if key not in bounds:
                    start, end = shift_bounds(date, shift, tz)
                    bounds[key] = start, end, is_night(shift, start, end, tz)
                start, end, night = bounds[key]
                if not site_is_open(site, start, tz):
                    continue
                need = occurrence_need(site, shift.name, start, by_shift[shift.name])
                # a requirement holds in full on every occurrence, as the contract
                # reads ("at least N of those on it"), also above its need (even 0)
                require = tuple(sorted((k, n) for k, n in site.require.items() if n > 0))
                fields = dict(
                    site=site.id,
                    date=date,
                    shift=shift.name,
                    start=start,
                    end=end,
                    minutes=shift.minutes,
                    need=need,
                    require=require,
                    priority=site.priority,
                    night=night,
                    day=day,
                    week=day // 7,
                )
                raw.append((start.astimezone(UTC), site_i, shift_i, fields))
    raw.sort(key=lambda t: (t[0], t[1], t[2]))
    return tuple(Occurrence(index=i, **fields) for i, (_, _, _, fields) in enumerate(raw))
