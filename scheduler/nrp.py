"""Curtois & Qu nurse rostering benchmark files -> a rota :class:`~scheduler.models.Plan`.

``parse_instance(path)`` reads a benchmark file (CRLF or LF, ``#`` comments, sections
separated by blank lines) into a plain :class:`NrpInstance`; every malformed line is
reported as a :class:`~scheduler.errors.Problem` with its line number (all at once,
as a ConfigError). ``to_plan(instance)`` maps it onto rota's own model: one site
``ward`` whose pattern holds every shift type (all starting 06:00, so none overlap and
each belongs to its day), the horizon starting Monday 2024-01-01, cover as per-day
``demand_changes`` with ``shift``/``set``, staff as volunteers with the extension
fields, and shift on/off requests as ``requests``. Nothing here imports the solver.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler.errors import ConfigError, Problem
from scheduler.loading import plan_from_dict
from scheduler.models import Plan

START = dt.date(2024, 1, 1)  # a Monday: day indexes 5/6 are Saturday/Sunday
SHIFT_START = "06:00"
SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


@dataclass(frozen=True, slots=True)
class Shift:
    id: str
    minutes: int
    forbidden_next: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    max_shifts: dict[str, int]
    max_total_minutes: int
    min_total_minutes: int
    max_consecutive: int
    min_consecutive: int
    min_consecutive_off: int
    max_weekends: int


@dataclass(frozen=True, slots=True)
class ShiftRequest:
    staff: str
    day: int
    shift: str
    weight: int
    line: int


@dataclass(frozen=True, slots=True)
class Cover:
    day: int
    shift: str
    requirement: int
    weight_under: int
    weight_over: int
    line: int


@dataclass(frozen=True)
class NrpInstance:
    """A benchmark instance exactly as the file states it (days are 0-based indexes)."""

    name: str
    days: int
    shifts: tuple[Shift, ...]
    staff: tuple[Staff, ...]
    days_off: dict[str, frozenset[int]]
    on_requests: tuple[ShiftRequest, ...]
    off_requests: tuple[ShiftRequest, ...]
    cover: tuple[Cover, ...]

    @property
    def shift_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.shifts)


class _Reader:
    """Collects problems while turning one section's rows into values."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def error(self, section: str, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, section, message, line or None))

    def int_(self, section: str, line: int, text: str, what: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            self.error(section, line, f"{what} must be a whole number, got {text.strip()!r}")
            return 0
        if value < 0:
            self.error(section, line, f"{what} must be 0 or more, got {value}")
        return value

    def fields(self, section: str, line: int, row: str, n: int, what: str) -> list[str] | None:
        parts = [p.strip() for p in row.split(",")]
        if len(parts) != n:
            self.error(section, line, f"expected {n} comma-separated fields ({what}), got {row!r}")
            return None
        return parts


def _sections(text: str, reader: _Reader) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("SECTION_"):
            if line not in SECTIONS:
                reader.error(line, number, f"unknown section (known: {', '.join(SECTIONS)})")
                current = None
            elif line in out:
                reader.error(line, number, "section appears twice")
                current = None
            else:
                current = line
                out[line] = []
            continue
        if current is None:
            reader.error("(file)", number, f"data outside any known section: {line!r}")
            continue
        out[current].append((number, line))
    return out


def parse_text(text: str, file: str = "<memory>") -> NrpInstance:
    """Parse a benchmark file's text; raise ConfigError listing every problem with its line."""
    r = _Reader(file)
    sec = _sections(text, r)
    for name in ("SECTION_HORIZON", "SECTION_SHIFTS", "SECTION_STAFF", "SECTION_COVER"):
        if name not in sec:
            r.error(name, 0, "required section is missing")
            sec[name] = []
    horizon = sec["SECTION_HORIZON"]
    days = r.int_("SECTION_HORIZON", horizon[0][0], horizon[0][1], "the horizon") if horizon else 0
    if horizon and (len(horizon) != 1 or days < 1):
        r.error("SECTION_HORIZON", horizon[0][0] if horizon else 0, "give one number of days >= 1")

    def day_ok(section: str, line: int, text: str) -> int:
        d = r.int_(section, line, text, "a day index")
        if not 0 <= d < max(days, 1):
            r.error(section, line, f"day {d} is outside the horizon 0..{days - 1}")
        return d

    shifts: list[Shift] = []
    for line, row in sec["SECTION_SHIFTS"]:
        f = r.fields("SECTION_SHIFTS", line, row, 3, "ID, minutes, forbidden next shifts")
        if f is None:
            continue
        if any(s.id == f[0] for s in shifts):
            r.error("SECTION_SHIFTS", line, f"shift {f[0]!r} is defined twice")
        minutes = r.int_("SECTION_SHIFTS", line, f[1], "shift length")
        if minutes == 0:
            r.error("SECTION_SHIFTS", line, "shift length must be above 0 minutes")
        shifts.append(Shift(f[0], minutes, tuple(x.strip() for x in f[2].split("|") if x.strip())))
    known_shifts = {s.id for s in shifts}
    for line, row in sec["SECTION_SHIFTS"]:
        head = row.split(",")
        for nxt in head[2].split("|") if len(head) == 3 else ():
            if nxt.strip() and nxt.strip() not in known_shifts:
                r.error("SECTION_SHIFTS", line, f"unknown shift {nxt.strip()!r} in successions")

    def shift_ok(section: str, line: int, sid: str) -> str:
        if sid not in known_shifts:
            r.error(section, line, f"unknown shift {sid!r}")
        return sid

    staff: list[Staff] = []
    for line, row in sec["SECTION_STAFF"]:
        f = r.fields("SECTION_STAFF", line, row, 8, "ID, MaxShifts, 6 numbers")
        if f is None:
            continue
        if any(s.id == f[0] for s in staff):
            r.error("SECTION_STAFF", line, f"staff {f[0]!r} is defined twice")
        caps: dict[str, int] = {}
        for part in (p for p in f[1].split("|") if p.strip()):
            sid, eq, num = part.partition("=")
            if not eq:
                r.error("SECTION_STAFF", line, f"MaxShifts entry {part!r} is not SHIFT=N")
                continue
            caps[shift_ok("SECTION_STAFF", line, sid.strip())] = r.int_(
                "SECTION_STAFF", line, num, f"MaxShifts for {sid.strip()}"
            )
        n = [r.int_("SECTION_STAFF", line, x, "a staff limit") for x in f[2:]]
        if n[1] > n[0]:
            r.error("SECTION_STAFF", line, "MinTotalMinutes is above MaxTotalMinutes")
        staff.append(Staff(f[0], caps, *n))
    known_staff = {s.id for s in staff}

    def staff_ok(section: str, line: int, sid: str) -> str:
        if sid not in known_staff:
            r.error(section, line, f"unknown staff {sid!r}")
        return sid

    days_off: dict[str, frozenset[int]] = {}
    for line, row in sec.get("SECTION_DAYS_OFF", []):
        parts = [p.strip() for p in row.split(",") if p.strip()]
        sid = staff_ok("SECTION_DAYS_OFF", line, parts[0])
        got = {day_ok("SECTION_DAYS_OFF", line, p) for p in parts[1:]}
        days_off[sid] = days_off.get(sid, frozenset()) | got

    def requests(section: str) -> tuple[ShiftRequest, ...]:
        out = []
        for line, row in sec.get(section, []):
            f = r.fields(section, line, row, 4, "EmployeeID, Day, ShiftID, Weight")
            if f is not None:
                out.append(
                    ShiftRequest(
                        staff_ok(section, line, f[0]),
                        day_ok(section, line, f[1]),
                        shift_ok(section, line, f[2]),
                        r.int_(section, line, f[3], "a weight"),
                        line,
                    )
                )
        return tuple(out)

    on, off = requests("SECTION_SHIFT_ON_REQUESTS"), requests("SECTION_SHIFT_OFF_REQUESTS")
    cover: list[Cover] = []
    seen: dict[tuple[int, str], int] = {}
    for line, row in sec["SECTION_COVER"]:
        f = r.fields("SECTION_COVER", line, row, 5, "Day, ShiftID, Requirement, WUnder, WOver")
        if f is None:
            continue
        c = Cover(
            day_ok("SECTION_COVER", line, f[0]),
            shift_ok("SECTION_COVER", line, f[1]),
            *(r.int_("SECTION_COVER", line, x, "a cover number") for x in f[2:]),
            line,
        )
        if (c.day, c.shift) in seen:
            r.error(
                "SECTION_COVER",
                line,
                f"cover for day {c.day} shift {c.shift} repeats line {seen[(c.day, c.shift)]}",
            )
        seen[(c.day, c.shift)] = line
        cover.append(c)
    if r.problems:
        raise ConfigError(r.problems)
    name = Path(file).stem if file != "<memory>" else "instance"
    return NrpInstance(name, days, tuple(shifts), tuple(staff), days_off, on, off, tuple(cover))


def parse_instance(path: str | Path) -> NrpInstance:
    """Read and parse a benchmark file (errors name the file and line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), "(file)", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), "(file)", f"cannot read: {exc}")]) from None
    return parse_text(text, str(path))


def plan_id(name: str) -> str:
    return "nrp-" + "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def _demand_changes(inst: NrpInstance, date: Any) -> list[dict[str, Any]]:
    """Cover as ``set`` changes per shift; consecutive days with one requirement merge."""
    need = {(c.shift, c.day): c.requirement for c in inst.cover}
    out: list[dict[str, Any]] = []
    for s in inst.shifts:
        day = 0
        while day < inst.days:
            req = need.get((s.id, day), 0)
            end = day + 1
            while end < inst.days and need.get((s.id, end), 0) == req:
                end += 1
            if req > 0:
                out.append(
                    {
                        "site": "ward",
                        "shift": s.id,
                        "from": f"{date(day)}T00:00",
                        "to": f"{date(end)}T00:00",
                        "set": req,
                    }
                )
            day = end
    return out


def to_config(inst: NrpInstance, file: str = "<memory>") -> dict[str, Any]:
    """The rota config (as a dict) of an instance; see the module docstring."""
    bad = [c for c in inst.cover if (c.weight_under, c.weight_over) != (100, 1)]
    if bad:
        raise ConfigError(
            [
                Problem(
                    file,
                    "SECTION_COVER",
                    f"weights under/over are {c.weight_under}/{c.weight_over}; rota maps this "
                    "benchmark with weights.uncovered=100 and weights.over_cover=1 only",
                    c.line,
                )
                for c in bad
            ]
        )

    listed = {(c.day, c.shift) for c in inst.cover}
    gaps = [(d, s) for s in inst.shift_ids for d in range(inst.days) if (d, s) not in listed]
    if gaps:
        d, s = gaps[0]
        raise ConfigError(
            [
                Problem(
                    file,
                    "SECTION_COVER",
                    f"no cover row for {len(gaps)} (day, shift) pairs, e.g. day {d} shift {s}; "
                    "rota needs one per pair (an absent row would cost over-cover in rota but "
                    "nothing in the benchmark)",
                )
            ]
        )

    def date(day: int) -> str:
        return (START + dt.timedelta(days=day)).isoformat()

    changes = _demand_changes(inst, date)
    people = []
    for s in inst.staff:
        people.append(
            {
                "id": s.id,
                "max_shifts": dict(s.max_shifts),
                "max_hours_total": s.max_total_minutes / 60,
                "min_hours_total": s.min_total_minutes / 60,
                "max_consecutive_days": s.max_consecutive,
                "min_consecutive_days": s.min_consecutive,
                "min_consecutive_days_off": s.min_consecutive_off,
                "max_weekends": s.max_weekends,
                "days_off": sorted(date(d) for d in inst.days_off.get(s.id, ())),
            }
        )
    requests = [
        {
            "volunteer": q.staff,
            "date": date(q.day),
            "shift": q.shift,
            "want": want,
            "weight": q.weight,
        }
        for want, reqs in (("on", inst.on_requests), ("off", inst.off_requests))
        for q in reqs
    ]
    return {
        "plan": plan_id(inst.name),
        "title": f"Curtois & Qu benchmark {inst.name}",
        "timezone": "UTC",
        "horizon": {"start": START.isoformat(), "days": inst.days},
        "shift_patterns": {
            "nrp": [
                {"name": s.id, "start": SHIFT_START, "hours": s.minutes / 60} for s in inst.shifts
            ]
        },
        "sites": [{"id": "ward", "pattern": "nrp", "need": 0}],
        "demand_changes": changes,
        "volunteers": {"people": people},
        "rules": {
            "max_shifts_per_day": 1,
            "forbidden_successions": [
                {"first": s.id, "then": t} for s in inst.shifts for t in s.forbidden_next
            ],
        },
        "weights": {
            "uncovered": 100,
            "over_cover": 1,
            "missing_skill": 0,
            "fairness": 0,
            "travel_km": 0,
            "preference": 0,
            "team_split": 0,
        },
        "requests": requests,
    }


def to_plan(inst: NrpInstance, file: str = "<memory>") -> Plan:
    """Build and validate the rota Plan of an instance."""
    return plan_from_dict(to_config(inst, file), file)


def load_nrp(path: str | Path) -> tuple[NrpInstance, Plan]:
    """Parse a benchmark file and build its Plan."""
    inst = parse_instance(path)
    return inst, to_plan(inst, str(path))
