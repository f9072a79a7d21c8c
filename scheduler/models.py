"""Pydantic models of the demand config (see ../shared/spec/demand-config.md).

Every model is frozen and forbids unknown fields, so a misspelt field is an
error rather than silently ignored. Cross-references (sites -> patterns,
demand changes -> sites, ...) are checked in :mod:`scheduler.validation`,
which can name every problem at once with its field path.

Local date-times in a config are naive wall-clock times in the plan's time
zone; :mod:`scheduler.expand` turns them into aware instants.
"""

from __future__ import annotations

import datetime as dt
import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

PLAN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
IDENT_PATTERN = r"^[^\s;,/](?:[^;,/\t\r\n]*[^\s;,/])?$"
PATTERN_HELP = {
    PLAN_ID_PATTERN: "a plan id is lower-case letters, digits and '-', starting with a "
    "letter or digit",
    IDENT_PATTERN: "ids, names and skills may not hold ';', ',' or '/', tabs or line "
    "breaks, nor start or end with a space",
}
"""What a pattern asks, in words (:func:`scheduler.errors.problems_from_validation`)."""
PlanId = Annotated[str, StringConstraints(pattern=PLAN_ID_PATTERN, max_length=64)]
# ids, names and skills: no `;` `,` `/`, no line breaks or tabs, no space at either end
# (inside, a space is fine: a skill may be `first aid`)
Ident = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=IDENT_PATTERN),
]
NonNegInt = Annotated[int, Field(ge=0)]


def _not_a_boolean(value: Any) -> Any:
    """``need: true`` is not a count (pydantic would read it as 1)."""
    if isinstance(value, bool):
        raise ValueError(f"expected a whole number, got {str(value).lower()}")
    return value


# bounds that keep each cost inside CP-SAT's 64-bit integers (far beyond any real plan;
# their products over a plan are checked by scheduler.cost_range)
Count = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=0, le=1_000_000)]
Weight = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=0, le=1_000_000_000)]
PosNumber = Annotated[float, Field(gt=0)]
MAX_HOURS = 1_000_000.0  # any limit in hours above this is no limit at all (and overflows)


class Frozen(BaseModel):
    """Base of every config model: immutable, unknown fields rejected."""

    # YAML reads `id: 1001` or `name: 2020` as numbers: they are ids and names all the same
    model_config = ConfigDict(
        frozen=True, extra="forbid", coerce_numbers_to_str=True, allow_inf_nan=False
    )


def _reject_yaml_sexagesimal(value: Any) -> Any:
    """YAML 1.1 reads an unquoted ``16:00`` as the integer 960 (base 60)."""
    if isinstance(value, int) and not isinstance(value, bool):
        h, m = divmod(value, 60)
        raise ValueError(
            f"YAML read an unquoted time as the number {value} (it was probably {h}:{m:02d}); "
            f'quote it: "{h:02d}:{m:02d}"'
        )
    return value


def _naive_local(value: Any) -> Any:
    """Accept local date-times as strings, YAML timestamps or dates; drop no offset silently."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError("write local times without a UTC offset (the plan's timezone applies)")
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"unparseable local date-time {value!r}: write YYYY-MM-DDTHH:MM"
            ) from None
        if parsed.tzinfo is not None:
            raise ValueError("write local times without a UTC offset (the plan's timezone applies)")
        return parsed
    raise ValueError(f"expected a local date-time YYYY-MM-DDTHH:MM, got {value!r}")


LocalDateTime = Annotated[
    dt.datetime, Field(description="local wall-clock time in the plan's timezone")
]


class Window(Frozen):
    """A half-open local interval [from, to)."""

    start: LocalDateTime = Field(alias="from")
    end: LocalDateTime = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True)  # merged with Frozen's

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local(cls, v: Any) -> Any:
        return _naive_local(v)

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:  # an empty one (start == end) is a warning: check_plan
            raise ValueError(
                f"interval ends ({self.end:%Y-%m-%dT%H:%M}) before it starts "
                f"({self.start:%Y-%m-%dT%H:%M})"
            )
        return self

    @classmethod
    def parse(cls, text: str) -> Window:
        """Parse ``2020-01-29T08:00/2020-02-01T20:00`` (the CSV interval format)."""
        parts = text.strip().split("/")
        if len(parts) != 2:
            raise ValueError(f"interval {text!r} is not START/END")
        return cls.model_validate({"from": parts[0], "to": parts[1]})


class Horizon(Frozen):
    start: dt.date
    days: int = Field(ge=1, le=3660, description="the plan covers [start, start + days)")

    @field_validator("start", mode="before")
    @classmethod
    def _date(cls, v: Any) -> Any:
        if isinstance(v, dt.datetime):
            raise ValueError("horizon.start is a date (YYYY-MM-DD), not a date-time")
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"unparseable date {v!r}: write YYYY-MM-DD") from None
        if not isinstance(v, dt.date):
            raise ValueError(f"expected a date YYYY-MM-DD, got {v!r}")
        return v

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, v: Any) -> Any:
        if v == 0:
            raise ValueError("a horizon of 0 days plans nothing: days must be at least 1")
        return v

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days)


class ShiftDef(Frozen):
    """One shift of a pattern: starts at a local time, lasts ``hours``."""

    name: Ident
    start: dt.time
    hours: PosNumber = Field(le=48)
    night: bool = False

    @field_validator("start", mode="before")
    @classmethod
    def _time(cls, v: Any) -> Any:
        v = _reject_yaml_sexagesimal(v)
        if isinstance(v, str):
            text = v.strip()
            if len(text) == 4 and text[1] == ":":
                text = "0" + text  # 8:00 -> 08:00
            try:
                parsed = dt.time.fromisoformat(text)
            except ValueError:
                raise ValueError(f'unparseable time {v!r}: write HH:MM, e.g. "08:00"') from None
            if parsed.tzinfo is not None:
                raise ValueError("shift start times are local: no UTC offset")
            return parsed
        return v

    @property
    def minutes(self) -> int:
        """Whole minutes, rounded up: a shift of 4.004 h counts 241 minutes against the
        hour limits (so they hold for its true length); its end stays exact (``duration``)."""
        return math.ceil(self.hours * 60 - 1e-6)

    @property
    def duration(self) -> dt.timedelta:
        return dt.timedelta(hours=self.hours)


class SiteKind(StrEnum):
    checkpoint = "checkpoint"
    station = "station"
    venue = "venue"
    hotline = "hotline"
    fleet = "fleet"
    community = "community"


class Location(Frozen):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Site(Frozen):
    id: Ident
    name: str | None = None
    kind: SiteKind = SiteKind.community
    zone: str | None = None
    location: Location | None = None
    pattern: Ident
    need: Count = 0
    need_by_shift: dict[Ident, Count] = Field(default_factory=dict)
    priority: Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=0, le=10_000)] = 1
    require: dict[Ident, Count] = Field(default_factory=dict)
    open: tuple[Window, ...] = ()
    adopted_by: tuple[Ident, ...] = Field(
        default=(),
        description="extension: only volunteers whose team or org is listed may serve here",
    )

    @field_validator("need", "priority", mode="before")
    @classmethod
    def _no_negative(cls, v: Any) -> Any:
        if isinstance(v, int) and v < 0:
            raise ValueError(f"must be 0 or more, got {v}")
        return v

    @field_validator("open", mode="before")
    @classmethod
    def _windows(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return (v,)
        return v


class DemandChange(Frozen):
    """A planned peak or closure: applies to occurrences starting in [from, to)."""

    site: Ident
    start: LocalDateTime = Field(alias="from")
    end: LocalDateTime = Field(alias="to")
    add: Annotated[int, Field(ge=-1_000_000, le=1_000_000)] | None = None
    set: Count | None = None
    shift: Ident | None = Field(default=None, description="extension: only this shift name")

    model_config = ConfigDict(populate_by_name=True)  # merged with Frozen's

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local(cls, v: Any) -> Any:
        return _naive_local(v)

    @model_validator(mode="after")
    def _one_action(self) -> DemandChange:
        if (self.add is None) == (self.set is None):
            raise ValueError("give exactly one of `add` or `set`")
        if self.end < self.start:  # an empty one (start == end) is a warning: check_plan
            raise ValueError("interval ends before it starts")
        return self

    def apply(self, need: int) -> int:
        new = self.set if self.set is not None else need + (self.add or 0)
        return max(0, new)


LOCATION_PAIR = "give both lat and lon, or neither"


def half_location(raw: Any) -> bool:
    """Whether raw volunteer input gives one of ``lat`` and ``lon`` without the other
    (blank = not given): the loader names it also where a field error keeps pydantic
    from running :class:`Volunteer`'s own check."""
    if not isinstance(raw, dict):
        return False
    given = [raw.get(key) is not None and str(raw.get(key)).strip() != "" for key in ("lat", "lon")]
    return given[0] != given[1]


class Volunteer(Frozen):
    """A volunteer as given in CSV or inline (contract fields plus rota extensions)."""

    id: Ident
    name: str | None = None
    org: str | None = None
    team: str | None = None
    skills: frozenset[Ident] = frozenset()
    zone: str | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    max_hours_per_week: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    night_ok: bool = True
    available: tuple[Window, ...] = ()
    unavailable: tuple[Window, ...] = ()
    prefers: tuple[Ident, ...] = ()
    # --- extensions (benchmark rules that coordinators need too) ---
    max_hours_total: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    min_hours_total: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    max_consecutive_days: int | None = Field(default=None, ge=1)
    min_consecutive_days: int | None = Field(default=None, ge=1)
    min_consecutive_days_off: int | None = Field(default=None, ge=1)
    max_weekends: int | None = Field(default=None, ge=0)
    max_shifts: dict[Ident, NonNegInt] = Field(
        default_factory=dict, description="cap per shift name over the horizon (0 = never)"
    )
    days_off: frozenset[dt.date] = frozenset()

    @field_validator("skills", "prefers", mode="before")
    @classmethod
    def _split_list(cls, v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str):
            return [p.strip() for p in v.split(";") if p.strip()]
        return v

    @field_validator("days_off", mode="before")
    @classmethod
    def _split_dates(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [p.strip() for p in v.split(";") if p.strip()]
        if isinstance(v, dt.date):  # one date, unquoted in YAML
            return [v]
        return v

    @field_validator("available", "unavailable", mode="before")
    @classmethod
    def _split_windows(cls, v: Any) -> Any:
        if isinstance(v, str):
            return [Window.parse(p) for p in v.split(";") if p.strip()]
        if isinstance(v, list):
            return [Window.parse(p) if isinstance(p, str) else p for p in v]
        return v

    @field_validator("max_shifts", mode="before")
    @classmethod
    def _split_caps(cls, v: Any) -> Any:
        if isinstance(v, str):
            caps: dict[str, str] = {}
            for part in v.replace("|", ";").split(";"):
                if not part.strip():
                    continue
                name, sep, num = part.partition("=")
                if not sep:
                    raise ValueError(f"{part!r} is not NAME=N")
                caps[name.strip()] = num.strip()
            return caps
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Volunteer:
        if (self.lat is None) != (self.lon is None):
            raise ValueError(LOCATION_PAIR)
        if (
            self.min_hours_total is not None
            and self.max_hours_total is not None
            and self.min_hours_total > self.max_hours_total
        ):
            raise ValueError("min_hours_total is above max_hours_total")
        return self


class VolunteerSource(Frozen):
    """Where volunteers come from: a CSV file (relative to the config), inline, or both."""

    csv: str | None = None
    people: tuple[dict[str, Any], ...] = ()
    generate: dict[str, Any] | None = Field(
        default=None,
        description="extension: a `rota generate` recipe (seeded) that writes the CSV when missing",
    )


class Succession(Frozen):
    """Shift ``then`` may not start on the local day after a shift ``first`` started."""

    first: Ident
    then: Ident


class Rules(Frozen):
    """Hard limits for everyone; a volunteer's own column may tighten them."""

    min_rest_hours: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    max_hours_per_day: float | None = Field(default=None, gt=0, le=MAX_HOURS)
    max_hours_per_week: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    max_consecutive_days: int | None = Field(default=None, ge=1)
    max_night_shifts_per_week: int | None = Field(default=None, ge=0)
    max_travel_km: float | None = Field(default=None, ge=0)
    # --- extensions ---
    max_shifts_per_day: int | None = Field(default=None, ge=1)
    min_consecutive_days: int | None = Field(default=None, ge=1)
    min_consecutive_days_off: int | None = Field(default=None, ge=1)
    max_weekends: int | None = Field(default=None, ge=0)
    min_hours_total: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    max_hours_total: float | None = Field(default=None, ge=0, le=MAX_HOURS)
    max_shifts: dict[Ident, NonNegInt] = Field(default_factory=dict)
    forbidden_successions: tuple[Succession, ...] = ()


class Weights(Frozen):
    """Soft goals, larger = more important. All integers."""

    uncovered: Weight = 1000
    missing_skill: Weight = 300
    fairness: Weight = 10
    travel_km: Weight = 1
    preference: Weight = 5
    team_split: Weight = 2
    change: Weight = 200
    over_cover: Weight | None = Field(
        default=None,
        description="extension: per person above need; unset = never staff above need",
    )


class Request(Frozen):
    """Extension: a volunteer asks to work (on) or not work (off) a shift on a date."""

    volunteer: Ident
    date: dt.date
    shift: Ident
    site: Ident | None = None
    want: Literal["on", "off"]
    weight: Weight = 1

    @field_validator("want", mode="before")
    @classmethod
    def _yaml_on_off(cls, value: Any) -> Any:
        """YAML 1.1 reads unquoted ``on`` and ``off`` as the Booleans true and false."""
        if isinstance(value, bool):
            return "on" if value else "off"
        return value


class Config(Frozen):
    plan: PlanId
    title: str | None = None
    timezone: str
    horizon: Horizon
    shift_patterns: dict[Ident, tuple[ShiftDef, ...]]
    sites: tuple[Site, ...]
    demand_changes: tuple[DemandChange, ...] = ()
    volunteers: VolunteerSource = VolunteerSource()
    rules: Rules = Rules()
    weights: Weights = Weights()
    requests: tuple[Request, ...] = ()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name, e.g. Asia/Shanghai)"
            ) from None
        return v


class Plan(Frozen):
    """A loaded config with its volunteers resolved: the domain's input."""

    config: Config
    volunteers: tuple[Volunteer, ...]
    source: str = Field(default="<memory>", description="path of the config file")
