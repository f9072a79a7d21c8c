"""One iCalendar file per volunteer: ``calendars/<volunteer>.ics``.

Each assignment is one VEVENT whose UID names the plan, volunteer, site, shift and start
(``<plan>-<volunteer>-<site>-<shift>-<YYYYMMDDTHHMM>@rota``), so a calendar app that
subscribes to the file updates or removes the event when a re-published roster changes
it; SEQUENCE is the roster version. Times are in the plan's time zone, with a VTIMEZONE
component covering the horizon (a time in the second pass of an hour the clocks repeat
is written in UTC: :func:`ical_time`). Every volunteer gets a file, even with no shifts, so a
subscription sees a shift disappear.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vGeo

from scheduler.problem import Problem
from scheduler.roster import Assignment, Roster

PRODID = "-//rota//volunteer roster//EN"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def event_uid(plan: str, a: Assignment) -> str:
    """Stable per assignment: the same shift of the same volunteer keeps its UID."""
    return f"{plan}-{a.volunteer}-{a.site}-{a.shift}-{a.start:%Y%m%dT%H%M}@rota"


def calendar_filenames(problem: Problem) -> dict[str, str]:
    """Volunteer id -> a safe, unique file name (``<id>.ics`` whenever the id allows it)."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for v in problem.volunteers:
        base = _UNSAFE.sub("_", v.id).lstrip(".") or "volunteer"
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base}~{n}"
        used.add(name.lower())
        names[v.id] = f"{name}.ics"
    return names


def plan_timezone(problem: Problem) -> Timezone:
    """VTIMEZONE of the plan's zone, with the transitions around the horizon."""
    cfg = problem.config
    first = cfg.horizon.start - dt.timedelta(days=7)
    last = cfg.horizon.end + dt.timedelta(days=7)
    return Timezone.from_tzid(cfg.timezone, first_date=first, last_date=last)


def volunteer_calendar(
    problem: Problem,
    roster: Roster,
    volunteer: str,
    *,
    stamp: dt.datetime | None = None,
    assignments: list[Assignment] | None = None,
    timezone: Timezone | None = None,
) -> Calendar:
    """The calendar of one volunteer's assignments in ``roster``.

    ``assignments`` (that volunteer's, pre-grouped) and ``timezone`` save work when writing
    many calendars; by default they are computed here.
    """
    cfg = problem.config
    vol = problem.volunteers[problem.volunteer_index[volunteer]]
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    # an X- property is written unescaped: a folded YAML title or a two-line name would
    # put a raw line break in it, so whitespace runs become single spaces
    title, name = (" ".join(text.split()) for text in (cfg.title or cfg.plan, vol.name or vol.id))
    cal.add("x-wr-calname", f"{title}: {name}")
    cal.add("x-wr-timezone", cfg.timezone)
    cal.add_component(timezone or plan_timezone(problem))
    if assignments is None:
        assignments = [a for a in roster.assignments if a.volunteer == volunteer]
    mine = sorted(assignments, key=_order)
    for a in mine:
        site = problem.sites.get(a.site)
        site_name = (site.name if site else None) or a.site
        ev = Event()
        ev.add("uid", event_uid(cfg.plan, a))
        ev.add("dtstamp", stamp)
        ev.add("sequence", roster.version)
        ev.add("dtstart", ical_time(a.start, problem.tz))
        ev.add("dtend", ical_time(a.end, problem.tz))
        ev.add("summary", f"{site_name}: {a.shift} shift")
        where = site_name + (f" ({site.zone})" if site and site.zone else "")
        ev.add("location", where)
        ev.add(
            "description",
            f"{cfg.title or cfg.plan}, roster version {roster.version}. "
            f"Site {a.site}, shift {a.shift}, volunteer {vol.id}.",
        )
        if site and site.location:
            ev.add("geo", vGeo((site.location.lat, site.location.lon)))
        ev.add("status", "CONFIRMED")
        ev.add("transp", "OPAQUE")
        cal.add_component(ev)
    return cal


def ical_time(t: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """``t`` in the plan's zone, or in UTC where its local time is the second of an hour
    the clocks repeat (01:30 EST after 01:30 EDT): RFC 5545 reads a repeated local time
    as its first occurrence (3.3.5), which would move or shorten the event."""
    local = t.astimezone(tz)
    if local.replace(fold=0).utcoffset() != local.utcoffset():
        return t.astimezone(dt.UTC)
    return local


def _order(a: Assignment) -> tuple[float, str, str]:
    return (a.start.timestamp(), a.site, a.shift)


def write_calendars(
    problem: Problem, roster: Roster, directory: Path, *, stamp: dt.datetime | None = None
) -> list[Path]:
    """Write ``<directory>/<volunteer>.ics`` for every volunteer; return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    by_vol: dict[str, list[Assignment]] = {v.id: [] for v in problem.volunteers}
    for a in roster.assignments:
        if a.volunteer not in by_vol:
            raise ValueError(f"roster names unknown volunteer {a.volunteer!r}")
        by_vol[a.volunteer].append(a)
    tz = plan_timezone(problem).to_ical()  # the same in every file: serialised once
    placeholder = Timezone()  # written empty, then replaced by ``tz``
    paths = []
    for vid, fname in calendar_filenames(problem).items():
        cal = volunteer_calendar(
            problem, roster, vid, stamp=stamp, assignments=by_vol[vid], timezone=placeholder
        )
        path = directory / fname
        path.write_bytes(_with_timezone(cal.to_ical(), tz))
        paths.append(path)
    return paths


def _with_timezone(ical: bytes, tz: bytes) -> bytes:
    """``ical`` (written with an empty VTIMEZONE placeholder) with the serialised VTIMEZONE
    ``tz`` in its place: what ``to_ical`` writes with the zone itself, without
    serialising its transitions once per file."""
    empty = b"BEGIN:VTIMEZONE\r\nEND:VTIMEZONE\r\n"
    head, sep, tail = ical.partition(empty)
    if not sep:
        raise ValueError("calendar without its time zone placeholder")
    return head + tz + tail
