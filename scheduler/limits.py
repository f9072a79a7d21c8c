"""A volunteer's effective limits: the rules, tightened by the volunteer's own columns.

Upper limits take the smaller of rule and column; lower limits the larger.
Hours become whole minutes, on the safe side (down for maxima, up for minima).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from scheduler.models import Rules, Volunteer


def _minutes(hours: float | None, up: bool = False) -> int | None:
    """Whole minutes on the safe side: down for a maximum, up for a minimum (rest, total)."""
    if hours is None:
        return None
    return math.ceil(hours * 60 - 1e-6) if up else math.floor(hours * 60 + 1e-6)


def _tighter_max(a: float | None, b: float | None) -> float | None:
    vals = [x for x in (a, b) if x is not None]
    return min(vals) if vals else None


def _tighter_min(a: float | None, b: float | None) -> float | None:
    vals = [x for x in (a, b) if x is not None]
    return max(vals) if vals else None


@dataclass(frozen=True, slots=True)
class Limits:
    max_week_minutes: int | None
    max_day_minutes: int | None
    max_total_minutes: int | None
    min_total_minutes: int | None
    min_rest_minutes: int | None
    max_consecutive_days: int | None
    min_consecutive_days: int | None
    min_consecutive_days_off: int | None
    max_weekends: int | None
    max_nights_per_week: int | None
    max_shifts_per_day: int | None
    max_shifts: dict[str, int] = field(default_factory=dict)

    def shift_cap(self, shift: str) -> int | None:
        return self.max_shifts.get(shift)


def limits_for(v: Volunteer, rules: Rules) -> Limits:
    caps = dict(rules.max_shifts)
    for name, n in v.max_shifts.items():
        caps[name] = min(n, caps.get(name, math.inf))  # type: ignore[arg-type]
    return Limits(
        max_week_minutes=_minutes(_tighter_max(rules.max_hours_per_week, v.max_hours_per_week)),
        max_day_minutes=_minutes(rules.max_hours_per_day),
        max_total_minutes=_minutes(_tighter_max(rules.max_hours_total, v.max_hours_total)),
        min_total_minutes=_minutes(_tighter_min(rules.min_hours_total, v.min_hours_total), up=True),
        min_rest_minutes=_minutes(rules.min_rest_hours, up=True),
        max_consecutive_days=_int(_tighter_max(rules.max_consecutive_days, v.max_consecutive_days)),
        min_consecutive_days=_int(_tighter_min(rules.min_consecutive_days, v.min_consecutive_days)),
        min_consecutive_days_off=_int(
            _tighter_min(rules.min_consecutive_days_off, v.min_consecutive_days_off)
        ),
        max_weekends=_int(_tighter_max(rules.max_weekends, v.max_weekends)),
        max_nights_per_week=rules.max_night_shifts_per_week,
        max_shifts_per_day=rules.max_shifts_per_day,
        max_shifts=caps,
    )


_COLUMNS = (
    "max_hours_per_week",
    "max_hours_total",
    "min_hours_total",
    "max_consecutive_days",
    "min_consecutive_days",
    "min_consecutive_days_off",
    "max_weekends",
)
"""The volunteer columns :func:`limits_for` reads, besides ``max_shifts``."""


def limits_of(volunteers: Iterable[Volunteer], rules: Rules) -> tuple[Limits, ...]:
    """:func:`limits_for` of every volunteer, computed once per distinct set of limit
    columns (volunteers with the same columns share one Limits: treat it as read-only)."""
    memo: dict[tuple, Limits] = {}
    out = []
    for v in volunteers:
        key = (*(getattr(v, c) for c in _COLUMNS), tuple(v.max_shifts.items()))
        lim = memo.get(key)
        if lim is None:
            lim = memo[key] = limits_for(v, rules)
        out.append(lim)
    return tuple(out)


def _int(x: float | None) -> int | None:
    return None if x is None else int(x)
