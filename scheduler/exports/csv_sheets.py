"""Spreadsheet exports of a roster: one row per shift occurrence, one row per volunteer.

``by-site.csv``: site, date, shift, start, end, need, staffed, volunteers (``;``-joined ids),
one row per occurrence of the plan (empty shifts included), sites in config order, then time.
``by-volunteer.csv``: volunteer, name, shifts, hours, shift_list (``;``-joined
``site/shift/start``), one row per volunteer in config order (volunteers with no shift
included, so the spread of hours is visible). A name that a spreadsheet would read as a
formula (starting with ``= + - @``) is written with a leading ``'``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from scheduler.problem import Problem
from scheduler.roster import Roster

SITE_HEADER = ("site", "date", "shift", "start", "end", "need", "staffed", "volunteers")
VOLUNTEER_HEADER = ("volunteer", "name", "shifts", "hours", "shift_list")


def assignments_by_occurrence(problem: Problem, roster: Roster) -> dict[int, list[int]]:
    """Occurrence index -> volunteer indices working it (in volunteer order).

    Raises ValueError when the roster names a shift or volunteer the problem does not have:
    exports of a roster that does not belong to the plan would be wrong.
    """
    out: dict[int, list[int]] = {}
    for a in roster.assignments:
        o = problem.occurrence_index.get(a.key)
        v = problem.volunteer_index.get(a.volunteer)
        if o is None:
            raise ValueError(f"roster assignment {a.key} is not a shift of plan {roster.plan!r}")
        if v is None:
            raise ValueError(f"roster names unknown volunteer {a.volunteer!r}")
        out.setdefault(o, []).append(v)
    for vols in out.values():
        vols.sort()
    return out


def safe_text(text: str) -> str:
    """Free text as a spreadsheet shows it, never as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def format_hours(minutes: int) -> str:
    """480 -> ``8``, 450 -> ``7.5`` (no trailing zeros)."""
    return f"{round(minutes / 60, 2):g}"


def site_rows(problem: Problem, roster: Roster) -> list[tuple[str, ...]]:
    staffed = assignments_by_occurrence(problem, roster)
    site_order = {s.id: i for i, s in enumerate(problem.config.sites)}
    occs = sorted(problem.occurrences, key=lambda o: (site_order[o.site], o.index))
    rows = []
    for o in occs:
        vols = staffed.get(o.index, [])
        rows.append(
            (
                o.site,
                o.date.isoformat(),
                o.shift,
                o.start.isoformat(),
                o.end.isoformat(),
                str(o.need),
                str(len(vols)),
                ";".join(problem.volunteers[v].id for v in vols),
            )
        )
    return rows


def volunteer_rows(problem: Problem, roster: Roster) -> list[tuple[str, ...]]:
    staffed = assignments_by_occurrence(problem, roster)
    per_vol: list[list[int]] = [[] for _ in problem.volunteers]
    for o in sorted(staffed):
        for v in staffed[o]:
            per_vol[v].append(o)
    rows = []
    for v, vol in enumerate(problem.volunteers):
        occs = [problem.occurrences[o] for o in per_vol[v]]
        rows.append(
            (
                vol.id,
                safe_text(vol.name or ""),
                str(len(occs)),
                format_hours(sum(o.minutes for o in occs)),
                ";".join(f"{o.site}/{o.shift}/{o.start.isoformat()}" for o in occs),
            )
        )
    return rows


def _write(path: Path, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_by_site(problem: Problem, roster: Roster, path: Path) -> Path:
    return _write(path, SITE_HEADER, site_rows(problem, roster))


def write_by_volunteer(problem: Problem, roster: Roster, path: Path) -> Path:
    return _write(path, VOLUNTEER_HEADER, volunteer_rows(problem, roster))
