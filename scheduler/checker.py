"""An independent roster checker: every hard rule, every shortfall and the cost, again.

It reads only the config (``problem.plan``) and the roster's JSON fields (volunteer id,
site, shift, start, end). It does **not** use ``problem.eligible``, the eligibility code
of :mod:`scheduler.problem`, :mod:`scheduler.expand`, :mod:`scheduler.limits` or any
solver code: occurrences, needs, night flags, effective limits and eligibility are
recomputed by the checker's own modules (:mod:`scheduler.checker_model`:
:func:`expand_config`, :func:`vol_limits`; :mod:`scheduler.checker_eligibility`:
:func:`site_reason`, :func:`time_reason`, :func:`fairness_pool`; the per-volunteer rules:
:mod:`scheduler.checker_rules`), so a bug there or in the solver shows up as a violation.
The cost formula is shared (:func:`scheduler.cost.cost_terms`), fed with the data recomputed here.

Not checked (the roster does not carry them): re-planning's fixed pairs, frozen
occurrences and ``max_changes``; with ``previous=`` the change term of the cost is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from scheduler.checker_eligibility import SiteReasons, fairness_pool, site_reason, time_reason
from scheduler.checker_model import (
    CheckOcc,
    VolLimits,
    all_vol_limits,
    expand_config,
    vol_limits,
)
from scheduler.checker_rules import volunteer_violations
from scheduler.cost import cost_terms, number
from scheduler.problem import Problem
from scheduler.roster import Assignment, Roster

__all__ = [
    "CheckOcc",
    "CheckReport",
    "PrevKey",
    "RosterInvalid",
    "ShortfallRow",
    "VolLimits",
    "assert_valid",
    "check_roster",
    "expand_config",
    "fairness_pool",
    "site_reason",
    "time_reason",
    "vol_limits",
]

ShortfallRow = tuple[str, str, str, int, dict[str, int]]  # site, shift, start iso, missing, skills
PrevKey = tuple[str, str, str, str]  # volunteer, site, shift, start iso
TOLERANCE = 1e-6


class RosterInvalid(Exception):
    """A roster breaks hard rules or misreports its shortfalls or objective."""

    def __init__(self, violations: Iterable[str]) -> None:
        self.violations = tuple(violations)
        super().__init__(
            f"{len(self.violations)} violation(s):\n" + "\n".join(f"- {v}" for v in self.violations)
        )


@dataclass(frozen=True)
class CheckReport:
    violations: tuple[str, ...]
    shortfalls: list[ShortfallRow]  # recomputed
    objective: float | int | None  # recomputed (None without a roster)
    cost: dict[str, float] = field(default_factory=dict)  # recomputed, by term

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def total_missing(self) -> int:
        return sum(row[3] for row in self.shortfalls)

    @property
    def total_missing_skills(self) -> int:
        return sum(sum(row[4].values()) for row in self.shortfalls)


def _instant(value: dt.datetime | str) -> float:
    """POSIX seconds of an ISO time; NaN (matches nothing) when it has no UTC offset."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return float("nan") if value.tzinfo is None else value.timestamp()


def _replanned(roster: Roster) -> bool:
    st = roster.stats
    replan = st.get("replan")
    return bool(st.get("previous") or st.get("previous_version")) or (
        isinstance(replan, dict) and bool(replan.get("previous_version") or replan.get("previous"))
    )


def check_roster(
    problem: Problem, roster: Roster, *, previous: frozenset[PrevKey] | None = None
) -> CheckReport:
    """Recheck ``roster`` against ``problem``'s config; see the module docstring."""
    config = problem.config
    occs = expand_config(config)
    by_key = {(o.site, o.shift, o.start_ts): o for o in occs}
    vindex = {v.id: i for i, v in enumerate(problem.volunteers)}
    out: list[str] = []
    if roster.plan != config.plan:
        out.append(f"roster is for plan {roster.plan!r}, config is {config.plan!r}")
    if not roster.status.has_roster:
        if roster.assignments or roster.shortfalls:
            out.append(f"status {roster.status.value} but the roster has assignments/shortfalls")
        if not roster.explanation:
            out.append(f"status {roster.status.value} without an explanation")
        return CheckReport(tuple(out), [], None, {})
    staff: list[list[int]] = [[] for _ in occs]
    seen: set[tuple[int, int]] = set()
    for a in roster.assignments:
        if a.start.tzinfo is None or a.end.tzinfo is None:
            out.append(f"{_where(a)}: times must carry the plan's UTC offset")
            continue
        occ = by_key.get((a.site, a.shift, _instant(a.start)))
        if occ is None:
            out.append(f"{_where(a)}: no such shift occurrence")
            continue
        if _instant(a.end) != occ.end_ts:
            ends = f"ends {a.end.isoformat()}, the shift ends {occ.end.isoformat()}"
            out.append(f"{_where(a)}: {ends}")
        v = vindex.get(a.volunteer)
        if v is None:
            out.append(f"{_where(a)}: unknown volunteer")
            continue
        if (occ.index, v) in seen:
            out.append(f"{_where(a)}: assigned twice")
            continue
        seen.add((occ.index, v))
        staff[occ.index].append(v)
    per_vol: list[list[CheckOcc]] = [[] for _ in problem.volunteers]
    for o, vs in enumerate(staff):
        for v in vs:
            per_vol[v].append(occs[o])
    limits = all_vol_limits(config.rules, problem.volunteers)
    site_ok = SiteReasons(problem)
    site_ok.prime([(v, o.site) for v, mine in enumerate(per_vol) for o in mine])
    for v, mine in enumerate(per_vol):
        out += volunteer_violations(problem, v, mine, limits[v], site_ok)
    if config.weights.over_cover is None:
        for o, vs in enumerate(staff):
            if len(vs) > occs[o].need:
                out.append(f"{occs[o].label}: {len(vs)} assigned, need {occs[o].need}")
    counted: list[ShortfallRow] = []
    for o, vs in enumerate(staff):
        occ = occs[o]
        missing = max(0, occ.need - len(vs))
        skills = {}
        for skill, req in occ.require:
            have = sum(1 for v in vs if skill in problem.volunteers[v].skills)
            if have < req:
                skills[skill] = req - have
        if missing or skills:
            counted.append((occ.site, occ.shift, occ.start.isoformat(), missing, skills))
    out += _compare_shortfalls(roster, counted, by_key)
    fair_pool = fairness_pool(problem, per_vol, limits, occs, site_ok)
    changes = None
    if previous is not None:
        now = {(problem.volunteers[v].id, occs[o].site, occs[o].shift, occs[o].start_ts)
               for o, vs in enumerate(staff) for v in vs}  # fmt: skip
        before = {(vid, s, sh, _instant(t)) for vid, s, sh, t in previous}
        changes = len(now ^ before)
    cost = cost_terms(config, problem.volunteers, occs, staff, fair_pool, changes)
    objective = number(sum(cost.values()))
    skip = previous is None and _replanned(roster)
    out += _compare_objective(roster, objective, skip, config.weights.change)
    return CheckReport(tuple(out), counted, objective, cost)


def _where(a: Assignment) -> str:
    return f"{a.volunteer} on {a.site} {a.shift} {a.start.isoformat()}"


def _compare_shortfalls(
    roster: Roster, counted: list[ShortfallRow], by_key: dict[tuple[str, str, float], CheckOcc]
) -> list[str]:
    out: list[str] = []
    mine = {(s, sh, _instant(t)): (m, k) for s, sh, t, m, k in counted}
    theirs: dict[tuple[str, str, float], tuple[int, dict[str, int]]] = {}
    for sf in roster.shortfalls:
        key = (sf.site, sf.shift, _instant(sf.start))
        label = f"shortfall {sf.site} {sf.shift} {sf.start.isoformat()}"
        if key not in by_key:
            out.append(f"{label}: no such shift occurrence")
        elif key in theirs:
            out.append(f"{label}: listed twice")
        theirs[key] = (sf.missing, {k: n for k, n in sf.missing_skills.items() if n})
    for key in sorted(set(mine) | set(theirs)):
        got, want = theirs.get(key, (0, {})), mine.get(key, (0, {}))
        if got != want:
            out.append(
                f"shortfall {key[0]} {key[1]} at {dt.datetime.fromtimestamp(key[2], dt.UTC)}: "
                f"roster says missing={got[0]} skills={got[1]}, count is {want[0]} {want[1]}"
            )
    their_total = (roster.total_missing, roster.total_missing_skills)
    my_total = (sum(m for m, _ in mine.values()), sum(sum(k.values()) for _, k in mine.values()))
    if their_total != my_total:
        out.append(f"shortfall totals {their_total} (people, skilled) differ from count {my_total}")
    return out


def _compare_objective(
    roster: Roster, objective: float, skip_change: bool, change_weight: int
) -> list[str]:
    if roster.objective is None:
        return ["roster with assignments but no objective"]
    diff = float(roster.objective) - objective
    tol = TOLERANCE * max(1.0, abs(objective))
    if skip_change:  # re-planned against a previous roster we were not given
        if change_weight == 0 and abs(diff) <= tol:
            return []
        k = round(diff / change_weight) if change_weight else 0
        if k >= 0 and abs(diff - k * change_weight) <= tol:
            return []
        return [
            f"objective {roster.objective} is not the recomputed {objective} plus a whole "
            f"number of changes x {change_weight}"
        ]
    if abs(diff) > tol:
        return [f"objective {roster.objective} differs from the recomputed {objective}"]
    return []


def assert_valid(
    problem: Problem, roster: Roster, *, previous: frozenset[PrevKey] | None = None
) -> CheckReport:
    """The report of a valid roster; raises :class:`RosterInvalid` listing violations."""
    report = check_roster(problem, roster, previous=previous)
    if report.violations:
        raise RosterInvalid(report.violations)
    return report
