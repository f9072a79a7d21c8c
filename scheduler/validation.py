"""Cross-reference checks that a single field cannot make on its own.

``check_plan`` returns every problem found (errors and warnings), each with
the field path, so a coordinator can fix a config in one pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from scheduler.errors import Loc, Problem, format_path
from scheduler.expand import expand
from scheduler.models import Plan
from scheduler.validation_raw import invalid_people_ids

_EMPTY = "empty interval (`from` equals `to`)"


def check_plan(
    plan: Plan, line_of: Callable[[Loc], int | None] = lambda loc: None
) -> list[Problem]:
    cfg = plan.config
    file = plan.source
    out: list[Problem] = []

    def err(loc: Loc, msg: str, severity: str = "error") -> None:
        out.append(Problem(file, format_path(loc), msg, line_of(loc), severity))  # type: ignore[arg-type]

    shift_names: set[str] = set()
    for pname, shifts in cfg.shift_patterns.items():
        if not shifts:
            err(("shift_patterns", pname), "a pattern needs at least one shift")
        for name, n in Counter(s.name for s in shifts).items():
            if n > 1:
                err(("shift_patterns", pname), f"shift name {name!r} appears {n} times")
        shift_names.update(s.name for s in shifts)

    site_ids = [s.id for s in cfg.sites]
    for sid, n in Counter(site_ids).items():
        if n > 1:
            err(("sites",), f"duplicate site id {sid!r} ({n} times)")
    if not cfg.sites:
        err(("sites",), "no sites: nothing to plan")
    known_sites = set(site_ids)
    teams_orgs = {v.team for v in plan.volunteers if v.team} | {
        v.org for v in plan.volunteers if v.org
    }
    for i, site in enumerate(cfg.sites):
        pattern = cfg.shift_patterns.get(site.pattern)
        if pattern is None:
            err(
                ("sites", i, "pattern"),
                f"unknown shift pattern {site.pattern!r} "
                f"(known: {', '.join(sorted(cfg.shift_patterns)) or 'none'})",
            )
        else:
            names = {s.name for s in pattern}
            unset = [s.name for s in pattern if s.name not in site.need_by_shift]
            if "need" not in site.model_fields_set and unset:
                err(("sites", i, "need"),
                    f"not given: {', '.join(unset)} need 0 people (unless a demand change"
                    " adds some)", "warning")  # fmt: skip
            for sname in site.need_by_shift:
                if sname not in names:
                    err(
                        ("sites", i, "need_by_shift", sname),
                        f"pattern {site.pattern!r} has no shift {sname!r}",
                    )
        for window_i, w in enumerate(site.open):
            if w.start == w.end:
                err(("sites", i, "open", window_i), f"{_EMPTY}: the site is never open in it",
                    "warning")  # fmt: skip
            elif w.end.date() < cfg.horizon.start or w.start.date() >= cfg.horizon.end:
                err(
                    ("sites", i, "open", window_i),
                    "open window lies outside the horizon",
                    "warning",
                )
        for team in site.adopted_by:
            if team not in teams_orgs:
                err(("sites", i, "adopted_by"), f"no volunteer has team or org {team!r}")

    for i, ch in enumerate(cfg.demand_changes):
        if ch.start == ch.end:
            err(("demand_changes", i), f"{_EMPTY}: it applies to no shift", "warning")
        if ch.site not in known_sites:
            err(("demand_changes", i, "site"), f"unknown site {ch.site!r}")
        elif ch.shift is not None and ch.shift not in shift_names:
            err(("demand_changes", i, "shift"), f"no pattern has a shift {ch.shift!r}")

    vol_ids = [v.id for v in plan.volunteers]
    vol_ids += invalid_people_ids(cfg.volunteers.people)  # reported on their own
    for vid, n in Counter(vol_ids).items():
        if n > 1:
            err(("volunteers",), f"duplicate volunteer id {vid!r} ({n} times)")
    for v in plan.volunteers:
        for field in ("available", "unavailable"):
            if any(w.start == w.end for w in getattr(v, field)):
                err(("volunteers", v.id, field), f"{_EMPTY}: it holds no shift", "warning")
        for p in v.prefers:
            if p not in known_sites:
                err(("volunteers", v.id, "prefers"),
                    f"no site {p!r} in this plan (a volunteer file shared between plans?): "
                    "it never matches", "warning")  # fmt: skip
        for sname in v.max_shifts:
            if sname not in shift_names:
                err(("volunteers", v.id, "max_shifts"), f"no pattern has a shift {sname!r}")

    r = cfg.rules
    for sname in r.max_shifts:
        if sname not in shift_names:
            err(("rules", "max_shifts", sname), f"no pattern has a shift {sname!r}")
    for i, succ in enumerate(r.forbidden_successions):
        for field in ("first", "then"):
            name = getattr(succ, field)
            if name not in shift_names:
                err(
                    ("rules", "forbidden_successions", i, field), f"no pattern has a shift {name!r}"
                )
    if (
        r.min_hours_total is not None
        and r.max_hours_total is not None
        and r.min_hours_total > r.max_hours_total
    ):
        err(("rules", "min_hours_total"), "is above rules.max_hours_total")

    known_vols = set(vol_ids)
    for i, req in enumerate(cfg.requests):
        if req.volunteer not in known_vols:
            err(("requests", i, "volunteer"), f"unknown volunteer {req.volunteer!r}")
        if req.shift not in shift_names:
            err(("requests", i, "shift"), f"no pattern has a shift {req.shift!r}")
        if req.site is not None and req.site not in known_sites:
            err(("requests", i, "site"), f"unknown site {req.site!r}")
        if not cfg.horizon.start <= req.date < cfg.horizon.end:
            err(("requests", i, "date"), "date lies outside the horizon", "warning")

    held = {s for v in plan.volunteers for s in v.skills}
    for i, site in enumerate(cfg.sites):
        for skill, n in site.require.items():
            if n > 0 and skill not in held:
                err(
                    ("sites", i, "require", skill),
                    f"no volunteer holds skill {skill!r}: every shift here will miss it",
                    "warning",
                )
    # nobody is staffed above need unless over_cover is set: only then is the excess missing
    warn_small = cfg.weights.over_cover is None and not any(p.severity == "error" for p in out)
    needs = _shift_needs(plan) if warn_small else {}
    for i, site in enumerate(cfg.sites):
        for skill, n in site.require.items():
            small = [
                f"{name} ({min(below)})"
                for name, got in needs.get(site.id, {}).items()
                if (below := [x for x in got if x < n])
            ]
            if small:
                err(
                    ("sites", i, "require", skill),
                    f"{n} holding {skill!r} are required on shifts that need fewer people: "
                    f"{', '.join(small)}; the difference is missing on each of them",
                    "warning",
                )
    day_cap = cfg.rules.max_hours_per_day
    if day_cap is not None:
        for pname, shifts in cfg.shift_patterns.items():
            for j, sh in enumerate(shifts):
                if sh.hours > day_cap:
                    err(
                        ("shift_patterns", pname, j, "hours"),
                        f"shift {sh.name!r} lasts {sh.hours:g} h, above rules.max_hours_per_day "
                        f"({day_cap:g} h): nobody can work it, every one will be uncovered",
                        "warning",
                    )
    if not plan.volunteers:
        err(("volunteers",), "no volunteers: every shift will be uncovered", "warning")
    return out


def _shift_needs(plan: Plan) -> dict[str, dict[str, set[int]]]:
    """Per site and shift name, the needs its shifts take over the horizon: the base need
    (``need_by_shift`` or ``need``) where no demand change touches the site, else every
    need of its expanded occurrences (changes applied). Call only on a plan without errors."""
    cfg = plan.config
    changed = {ch.site for ch in cfg.demand_changes}
    out: dict[str, dict[str, set[int]]] = {}
    for site in cfg.sites:
        if site.require and site.id not in changed:
            out[site.id] = {
                sh.name: {site.need_by_shift.get(sh.name, site.need)}
                for sh in cfg.shift_patterns[site.pattern]
            }
    if changed & {site.id for site in cfg.sites if site.require}:
        for occ in expand(cfg):
            if occ.site in changed:
                out.setdefault(occ.site, {}).setdefault(occ.shift, set()).add(occ.need)
    return out
