"""The checker's own reading of the config: occurrences with their needs and night flags,
and each volunteer's effective limits.

Deliberately independent of :mod:`scheduler.expand` and :mod:`scheduler.limits` (see
:mod:`scheduler.checker`): the same contract, implemented a second time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.models import Config, Rules, ShiftDef, Volunteer


@dataclass(frozen=True, slots=True)
class CheckOcc:
    """A shift occurrence as the checker derives it from the config."""

    index: int
    site: str
    shift: str
    date: dt.date  # local date of the start
    start: dt.datetime
    end: dt.datetime
    start_ts: float
    end_ts: float
    minutes: int
    need: int
    priority: int
    require: tuple[tuple[str, int], ...]
    night: bool
    day: int
    week: int
    weekend: int | None  # ordinal of the weekend's Saturday

    @property
    def label(self) -> str:
        return f"{self.site} {self.shift} {self.start.isoformat()}"


def local_time(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def _covers_night(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> bool:
    """Whether some instant of [start, end) reads between 00:00 and 05:00 local: compared
    as instants (aware datetimes of one zone compare by wall clock in Python, which a
    clock change at midnight, e.g. America/Santiago, would fool)."""
    lo, hi = start.timestamp(), end.timestamp()
    day = start.date()
    while local_time(dt.datetime.combine(day, dt.time(0)), tz).timestamp() < hi:
        if lo < local_time(dt.datetime.combine(day, dt.time(5)), tz).timestamp():
            return True
        day += dt.timedelta(days=1)
    return False


def _times(h0: dt.date, d: int, sh: ShiftDef, tz: ZoneInfo) -> dict[str, Any]:
    """The CheckOcc fields of shift ``sh`` on day ``d`` that do not depend on the site."""
    start = local_time(dt.datetime.combine(h0 + dt.timedelta(days=d), sh.start), tz)
    end = (start.astimezone(dt.UTC) + dt.timedelta(hours=sh.hours)).astimezone(tz)
    date = start.date()
    wd = date.weekday()
    day = (date - h0).days
    return dict(
        date=date, start=start, end=end, start_ts=start.timestamp(), end_ts=end.timestamp(),
        minutes=math.ceil(sh.hours * 60 - 1e-6),  # counted against limits: rounded up
        night=sh.night or _covers_night(start, end, tz), day=day, week=day // 7,
        weekend=date.toordinal() - (wd - 5) if wd >= 5 else None,
    )  # fmt: skip


def expand_config(config: Config) -> list[CheckOcc]:
    """Every occurrence of the horizon with its need (contract: "Meanings")."""
    tz = ZoneInfo(config.timezone)
    h0 = config.horizon.start
    times: dict[tuple, dict[str, Any]] = {}  # the same at every site
    out: list[dict[str, Any]] = []  # CheckOcc fields but the index, which is known once sorted
    changes = [  # each change's interval as instants, read once, in file order
        (ch, local_time(ch.start, tz).timestamp(), local_time(ch.end, tz).timestamp())
        for ch in config.demand_changes
    ]
    for site in config.sites:
        mine = {  # per shift name, in file order, the changes that can apply to it
            sh.name: [c for c in changes if c[0].site == site.id and c[0].shift in (None, sh.name)]
            for sh in config.shift_patterns[site.pattern]
        }
        opens = [(local_time(w.start, tz).timestamp(), local_time(w.end, tz).timestamp())
                 for w in site.open]  # fmt: skip
        for d in range(config.horizon.days):
            for sh in config.shift_patterns[site.pattern]:
                key = (d, sh.start, sh.hours, sh.night)  # what _times reads of sh
                if key not in times:
                    times[key] = _times(h0, d, sh, tz)
                at = times[key]
                start = at["start_ts"]  # instants: wall clocks repeat an hour in autumn
                if opens and not any(a <= start < b for a, b in opens):
                    continue
                need = site.need_by_shift.get(sh.name, site.need)
                for ch, t0, t1 in mine[sh.name]:
                    if t0 <= start < t1:
                        need = max(0, ch.set if ch.set is not None else need + (ch.add or 0))
                require = tuple(sorted((k, n) for k, n in site.require.items() if n))
                out.append(
                    dict(
                        at, site=site.id, shift=sh.name, need=need, priority=site.priority,
                        require=require,
                    )
                )  # fmt: skip
    out.sort(key=lambda o: o["start_ts"])  # stable: site, then pattern order, on equal starts
    return [CheckOcc(index=i, **o) for i, o in enumerate(out)]


@dataclass(frozen=True)
class VolLimits:
    """A volunteer's limits in minutes: the rule, tightened by their own column."""

    max_day: int | None
    max_per_day: int | None
    max_week: int | None
    max_total: int | None
    min_total: int | None
    min_rest: int | None
    max_consecutive_days: int | None
    min_consecutive_days: int | None
    min_consecutive_days_off: int | None
    max_weekends: int | None
    max_nights: int | None
    max_shifts: dict[str, int]


def _pick(f, *values):  # type: ignore[no-untyped-def]
    given = [x for x in values if x is not None]
    return f(given) if given else None


def _mins(hours: float | None, up: bool = False) -> int | None:
    """Whole minutes on the safe side: down for a maximum, up for a minimum."""
    if hours is None:
        return None
    return math.ceil(hours * 60 - 1e-6) if up else math.floor(hours * 60 + 1e-6)


def vol_limits(r: Rules, v: Volunteer) -> VolLimits:
    caps = dict(r.max_shifts)
    for name, n in v.max_shifts.items():
        caps[name] = min(n, caps.get(name, n))
    return VolLimits(
        max_day=_mins(r.max_hours_per_day),
        max_per_day=r.max_shifts_per_day,
        max_week=_mins(_pick(min, r.max_hours_per_week, v.max_hours_per_week)),
        max_total=_mins(_pick(min, r.max_hours_total, v.max_hours_total)),
        min_total=_mins(_pick(max, r.min_hours_total, v.min_hours_total), up=True),
        min_rest=_mins(r.min_rest_hours, up=True),
        max_consecutive_days=_pick(min, r.max_consecutive_days, v.max_consecutive_days),
        min_consecutive_days=_pick(max, r.min_consecutive_days, v.min_consecutive_days),
        min_consecutive_days_off=_pick(max, r.min_consecutive_days_off, v.min_consecutive_days_off),
        max_weekends=_pick(min, r.max_weekends, v.max_weekends),
        max_nights=r.max_night_shifts_per_week,
        max_shifts=caps,
    )


def all_vol_limits(r: Rules, vols: Iterable[Volunteer]) -> list[VolLimits]:
    """:func:`vol_limits` of each volunteer, once per distinct set of the columns it reads
    (volunteers with equal columns share one VolLimits)."""
    seen: dict[tuple, VolLimits] = {}
    out = []
    for v in vols:
        key = (
            v.max_hours_per_week, v.max_hours_total, v.min_hours_total, v.max_consecutive_days,
            v.min_consecutive_days, v.min_consecutive_days_off, v.max_weekends,
            tuple(v.max_shifts.items()),
        )  # fmt: skip
        if key not in seen:
            seen[key] = vol_limits(r, v)
        out.append(seen[key])
    return out
