"""``report.html``: one self-contained page (no scripts, no external assets) for coordinators.

Sections: a summary; a coverage heatmap per site (rows: shifts, columns: days; each cell
``staffed/need`` coloured from red (nobody) through yellow to green (covered), blue above
need, grey where nothing is needed or the site is closed); the shortfalls with their
reasons; hours per volunteer (fairness) as a sorted bar list with min/mean/max; skills
supply against demand. Built with plain strings and ``html.escape``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from html import escape
from pathlib import Path

from scheduler.exports.csv_sheets import assignments_by_occurrence, format_hours
from scheduler.problem import Problem
from scheduler.roster import Roster

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.n{text-align:right}
.heat td{text-align:center;min-width:2.6em;font-size:12px}
.heat .closed{background:#fafafa;color:#bbb}
.scroll{overflow-x:auto}
.bar{background:#4a7fb5;height:.8em;display:inline-block}
.muted{color:#777}.bad{color:#b00020;font-weight:600}
.legend span{display:inline-block;padding:0 .6em;margin-right:.3em}
"""


def coverage_counts(problem: Problem, roster: Roster) -> tuple[int, int]:
    """(person-shifts covered up to need, person-shifts needed) over the whole plan."""
    staffed = assignments_by_occurrence(problem, roster)
    covered = sum(min(len(staffed.get(o.index, ())), o.need) for o in problem.occurrences)
    return covered, sum(o.need for o in problem.occurrences)


def cell_colour(staffed: int, need: int) -> str:
    """Red at 0 of need, yellow half-way, green when covered; blue above; grey for need 0."""
    if need == 0:
        return "#e8f0fe" if staffed else "#eeeeee"
    if staffed > need:
        return "hsl(210,70%,78%)"
    return f"hsl({round(120 * staffed / need)},70%,72%)"


def _num(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:g}" if isinstance(x, float) else str(x)


def _summary(problem: Problem, roster: Roster) -> str:
    covered, demand = coverage_counts(problem, roster)
    pct = 100.0 * covered / demand if demand else 100.0
    cfg = problem.config
    rows = [
        ("Status", roster.status.value),
        ("Objective", _num(roster.objective)),
        ("Bound", _num(roster.bound)),
        ("Roster version", str(roster.version)),
        ("Horizon", f"{cfg.horizon.start} + {cfg.horizon.days} days ({cfg.timezone})"),
        ("Sites / volunteers", f"{len(cfg.sites)} / {len(problem.volunteers)}"),
        ("Shift occurrences", str(len(problem.occurrences))),
        ("Person-shifts covered", f"{covered} of {demand} ({pct:.1f}%)"),
        ("Uncovered person-shifts", str(roster.total_missing)),
        ("Missing skilled people", str(roster.total_missing_skills)),
    ]
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    extra = ""
    if roster.explanation:
        extra = f'<p class="bad">{escape(roster.explanation)}</p>'
    return f"<table>{body}</table>{extra}"


def _heatmap(problem: Problem, roster: Roster) -> str:
    staffed = assignments_by_occurrence(problem, roster)
    cfg = problem.config
    dates = [problem.day_date(d) for d in range(cfg.horizon.days)]
    cells: dict[tuple[str, str, dt.date], tuple[int, int]] = {}
    for o in problem.occurrences:
        cells[(o.site, o.shift, o.date)] = (len(staffed.get(o.index, ())), o.need)
    head = "".join(f"<th>{d:%a}<br>{d:%m-%d}</th>" for d in dates)
    legend = "".join(
        f'<span style="background:{cell_colour(n, 4)}">{n}/4</span>' for n in (0, 1, 2, 3, 4, 5)
    )
    parts = [f'<p class="legend">staffed/need: {legend}</p>']
    for site in cfg.sites:
        shifts = [s.name for s in cfg.shift_patterns[site.pattern]]
        rows = []
        for shift in shifts:
            tds = []
            for d in dates:
                cell = cells.get((site.id, shift, d))
                if cell is None:
                    tds.append('<td class="closed">–</td>')
                else:
                    n, need = cell
                    tds.append(f'<td style="background:{cell_colour(n, need)}">{n}/{need}</td>')
            rows.append(f"<tr><th>{escape(shift)}</th>{''.join(tds)}</tr>")
        title = escape(site.id + (f" — {site.name}" if site.name else ""))
        parts.append(
            f'<h3>{title}</h3><div class="scroll"><table class="heat">'
            f"<tr><th>shift</th>{head}</tr>{''.join(rows)}</table></div>"
        )
    return "".join(parts)


def _shortfalls(roster: Roster) -> str:
    if not roster.shortfalls:
        return "<p>None: every shift has its people and skills.</p>"
    rows = []
    for s in sorted(roster.shortfalls, key=lambda s: (s.start.timestamp(), s.site, s.shift)):
        skills = ", ".join(f"{escape(k)}: {n}" for k, n in sorted(s.missing_skills.items()))
        rows.append(
            f"<tr><td>{escape(s.site)}</td><td>{escape(s.shift)}</td>"
            f"<td>{escape(s.start.isoformat())}</td><td class=n>{s.missing}</td>"
            f"<td>{skills or '–'}</td><td>{escape(s.reason)}</td></tr>"
        )
    return (
        "<table><tr><th>site</th><th>shift</th><th>start</th><th>missing</th>"
        f"<th>missing skills</th><th>reason</th></tr>{''.join(rows)}</table>"
    )


def _hours(problem: Problem, roster: Roster) -> str:
    staffed = assignments_by_occurrence(problem, roster)
    minutes = [0] * len(problem.volunteers)
    shifts = [0] * len(problem.volunteers)
    for o, vols in staffed.items():
        for v in vols:
            minutes[v] += problem.occurrences[o].minutes
            shifts[v] += 1
    if not minutes:
        return "<p>No volunteers.</p>"
    eligible = [v for v, occs in enumerate(problem.by_volunteer) if occs]
    pool = [minutes[v] for v in eligible] or minutes
    lo, hi, mean = min(pool), max(pool), sum(pool) / len(pool)
    stats = (
        f"<p>Over the {len(pool)} volunteers who could work at least one shift: "
        f"min {format_hours(lo)} h, mean {mean / 60:.1f} h, max {format_hours(hi)} h "
        f"(spread {format_hours(hi - lo)} h).</p>"
    )
    top = max(minutes) or 1
    rows = []
    for v in sorted(range(len(minutes)), key=lambda v: (-minutes[v], problem.volunteers[v].id)):
        vol = problem.volunteers[v]
        label = escape(vol.id + (f" ({vol.name})" if vol.name else ""))
        note = "" if problem.by_volunteer[v] else ' <span class="muted">(no eligible shift)</span>'
        width = round(300 * minutes[v] / top)
        rows.append(
            f"<tr><td>{label}{note}</td><td class=n>{shifts[v]}</td>"
            f"<td class=n>{format_hours(minutes[v])}</td>"
            f'<td><span class="bar" style="width:{width}px"></span></td></tr>'
        )
    return (
        f"{stats}<table><tr><th>volunteer</th><th>shifts</th><th>hours</th><th></th></tr>"
        f"{''.join(rows)}</table>"
    )


def _skills(problem: Problem, roster: Roster) -> str:
    staffed = assignments_by_occurrence(problem, roster)
    holders: dict[str, int] = defaultdict(int)
    for v in problem.volunteers:
        for s in v.skills:
            holders[s] += 1
    demand: dict[str, int] = defaultdict(int)
    met: dict[str, int] = defaultdict(int)
    for o in problem.occurrences:
        vols = staffed.get(o.index, ())
        for skill, n in o.require:
            demand[skill] += n
            have = sum(1 for v in vols if skill in problem.volunteers[v].skills)
            met[skill] += min(n, have)
    missing: dict[str, int] = defaultdict(int)
    for s in roster.shortfalls:
        for skill, n in s.missing_skills.items():
            missing[skill] += n
    skills = sorted(set(holders) | set(demand))
    if not skills:
        return "<p>No skills held or required.</p>"
    rows = []
    for skill in skills:
        miss = missing.get(skill, 0)
        cls = ' class="n bad"' if miss else " class=n"
        rows.append(
            f"<tr><td>{escape(skill)}</td><td class=n>{holders.get(skill, 0)}</td>"
            f"<td class=n>{demand.get(skill, 0)}</td><td class=n>{met.get(skill, 0)}</td>"
            f"<td{cls}>{miss}</td></tr>"
        )
    return (
        "<table><tr><th>skill</th><th>volunteers holding it</th>"
        "<th>skilled person-shifts required</th><th>required and met</th>"
        f"<th>missing</th></tr>{''.join(rows)}</table>"
    )


def render_report(problem: Problem, roster: Roster) -> str:
    """The whole page as a string."""
    cfg = problem.config
    title = escape(cfg.title or cfg.plan)
    sections = [
        ("Summary", _summary(problem, roster)),
        ("Coverage", _heatmap(problem, roster)),
        ("Shortfalls", _shortfalls(roster)),
        ("Hours per volunteer", _hours(problem, roster)),
        ("Skills: supply and demand", _skills(problem, roster)),
    ]
    body = "".join(f"<h2>{escape(h)}</h2>{content}" for h, content in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{title}: roster v{roster.version}</title><style>{CSS}</style></head>"
        f"<body><h1>{title}</h1><p class=muted>plan {escape(cfg.plan)}, roster version "
        f"{roster.version}</p>{body}</body></html>\n"
    )


def write_report(problem: Problem, roster: Roster, path: Path) -> Path:
    path.write_text(render_report(problem, roster), encoding="utf-8")
    return path
