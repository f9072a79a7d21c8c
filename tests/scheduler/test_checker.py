"""The independent checker: a satisfied and a violated case for every rule, on hand rosters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from scheduler.build import build_roster
from scheduler.checker import RosterInvalid, assert_valid, check_roster, expand_config
from scheduler.cost import cost_breakdown, total_cost
from scheduler.loading import plan_from_dict
from scheduler.problem import Problem, compile_plan
from scheduler.roster import Assignment, Roster, Shortfall
from tests.conftest import tiny_config


def problem_of(**overrides: Any) -> Problem:
    return compile_plan(plan_from_dict(tiny_config(**overrides)))


def people(*rows: dict[str, Any], n: int = 0) -> dict[str, Any]:
    """Inline volunteers: the rows given, then plain v{k} up to ``n`` in all."""
    given = list(rows)
    ids = {r["id"] for r in given}
    given += [{"id": f"v{k}"} for k in range(1, n + 1) if f"v{k}" not in ids]
    return {"people": given}


def pairs_of(
    problem: Problem, *shifts: tuple[str, str, str] | tuple[str, str, str, str]
) -> frozenset[tuple[int, int]]:
    """(volunteer, shift, 'MM-DD'[, site]) -> (occurrence index, volunteer index) pairs."""
    out = set()
    for row in shifts:
        vid, shift, day = row[0], row[1], row[2]
        site = row[3] if len(row) > 3 else problem.config.sites[0].id
        occ = next(
            o
            for o in problem.occurrences
            if o.site == site and o.shift == shift and o.date.isoformat() == f"2020-{day}"
        )
        out.add((occ.index, problem.volunteer_index[vid]))
    return frozenset(out)


def roster_of(problem: Problem, *shifts: tuple[str, ...]) -> Roster:
    """A hand roster with correct shortfalls and objective (only hard rules can be off)."""
    pairs = pairs_of(problem, *shifts)
    return build_roster(
        problem, status="feasible", objective=total_cost(problem, pairs), bound=0, pairs=pairs
    )


def only(problem: Problem, roster: Roster, phrase: str) -> str:
    """Assert the checker reports exactly one violation, containing ``phrase``."""
    violations = check_roster(problem, roster).violations
    assert len(violations) == 1, violations
    assert phrase in violations[0], violations
    return violations[0]


def ok(problem: Problem, roster: Roster) -> None:
    report = check_roster(problem, roster)
    assert report.ok, report.violations


# --- static eligibility -------------------------------------------------------------


def test_available_window() -> None:
    p = problem_of(
        volunteers=people({"id": "v1", "available": "2020-01-29T08:00/2020-01-29T16:00"})
    )
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v1", "evening", "01-29")), "outside their available times")


def test_unavailable() -> None:
    p = problem_of(
        volunteers=people({"id": "v1", "unavailable": "2020-01-29T15:00/2020-01-29T17:00"})
    )
    ok(p, roster_of(p, ("v1", "night", "01-29")))
    only(p, roster_of(p, ("v1", "day", "01-29")), "marked unavailable")


def test_night_ok() -> None:
    p = problem_of(volunteers=people({"id": "v1", "night_ok": False}))
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v1", "night", "01-29")), "night_ok is false")


def test_days_off() -> None:
    p = problem_of(volunteers=people({"id": "v1", "days_off": "2020-01-30"}))
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v1", "day", "01-30")), "a fixed day off")


def test_adopted_by() -> None:
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 1, "adopted_by": ["red-cross"]}]
    p = problem_of(
        sites=sites, volunteers=people({"id": "v1", "org": "red-cross"}, {"id": "v2", "team": "t"})
    )
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v2", "day", "01-29")), "site adopted by red-cross only")


def test_travel_limit() -> None:
    sites = [
        {"id": "exit-se", "pattern": "three-8h", "need": 1, "location": {"lat": 31.0, "lon": 121.0}}
    ]
    near = {"id": "v1", "lat": 31.05, "lon": 121.0}  # ~5.6 km
    far = {"id": "v2", "lat": 31.2, "lon": 121.0}  # ~22 km
    p = problem_of(sites=sites, rules={"max_travel_km": 10}, volunteers=people(near, far))
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v2", "day", "01-29")), "km away (max 10)")


def test_travel_limit_on_the_boundary_is_exact() -> None:
    # the checker measures most pairs with numpy; those near the limit again, exactly
    from scheduler.geo import haversine_km

    sites = [
        {"id": "exit-se", "pattern": "three-8h", "need": 1, "location": {"lat": 31.0, "lon": 121.0}}
    ]
    on = {"id": "v1", "lat": 31.05, "lon": 121.0}
    beyond = {"id": "v2", "lat": 31.05 + 1e-9, "lon": 121.0}  # ~1e-7 km farther
    limit = haversine_km(31.05, 121.0, 31.0, 121.0)
    p = problem_of(sites=sites, rules={"max_travel_km": limit}, volunteers=people(on, beyond))
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v2", "day", "01-29")), "km away")


# --- rules over a volunteer's shifts ------------------------------------------------


def test_overlap_across_sites() -> None:
    sites = [
        {"id": "exit-se", "pattern": "three-8h", "need": 1},
        {"id": "exit-nw", "pattern": "three-8h", "need": 1},
    ]
    p = problem_of(sites=sites, weights={"fairness": 0, "uncovered": 0, "missing_skill": 0})
    ok(p, roster_of(p, ("v1", "day", "01-29", "exit-se"), ("v2", "day", "01-29", "exit-nw")))
    bad = roster_of(p, ("v1", "day", "01-29", "exit-se"), ("v1", "day", "01-29", "exit-nw"))
    only(p, bad, "overlaps")


def test_min_rest() -> None:
    p = problem_of(rules={"min_rest_hours": 12})
    ok(p, roster_of(p, ("v1", "night", "01-29"), ("v1", "night", "01-30")))  # 16 h rest
    only(p, roster_of(p, ("v1", "night", "01-29"), ("v1", "evening", "01-29")), "480 min rest")


def test_max_hours_per_day_and_shifts_per_day() -> None:
    p = problem_of(rules={"max_hours_per_day": 8})
    ok(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "night", "01-30")))
    only(p, roster_of(p, ("v1", "night", "01-29"), ("v1", "day", "01-29")), "960 min on day 0")
    p = problem_of(rules={"max_shifts_per_day": 1})
    ok(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "day", "01-30")))
    only(p, roster_of(p, ("v1", "night", "01-29"), ("v1", "day", "01-29")), "2 shifts on day 0")


def test_max_hours_per_week_rule_and_column() -> None:
    p = problem_of(volunteers=people({"id": "v1", "max_hours_per_week": 8}))
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "day", "01-30")), "in week 0 (max 480)")


def test_total_hours_max_and_min() -> None:
    p = problem_of(rules={"max_hours_total": 8})
    ok(p, roster_of(p, ("v1", "day", "01-29")))
    only(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "day", "01-30")), "(max 480)")
    p = problem_of(volunteers=people({"id": "v1", "min_hours_total": 16}))
    ok(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "day", "01-30")))
    only(p, roster_of(p, ("v1", "day", "01-29")), "480 min in total (min 960)")


def _days(n: int, **kw: Any) -> Problem:
    return problem_of(horizon={"start": "2020-01-29", "days": n}, **kw)


def _daily(vid: str, *days: int) -> list[tuple[str, str, str]]:
    return [
        (vid, "day", (dt.date(2020, 1, 29) + dt.timedelta(days=d)).strftime("%m-%d")) for d in days
    ]


def test_max_consecutive_days() -> None:
    p = _days(5, rules={"max_consecutive_days": 2})
    ok(p, roster_of(p, *_daily("v1", 0, 1, 3, 4)))
    only(p, roster_of(p, *_daily("v1", 1, 2, 3)), "3 consecutive working days from day 1")


def test_min_consecutive_days_with_edge_exemption() -> None:
    p = _days(6, rules={"min_consecutive_days": 2})
    ok(p, roster_of(p, *_daily("v1", 0, 2, 3, 5)))  # runs at the edges are exempt
    only(p, roster_of(p, *_daily("v1", 2, 4, 5)), "run of 1 working day(s) from day 2")


def test_min_consecutive_days_off_with_edge_exemption() -> None:
    p = _days(6, rules={"min_consecutive_days_off": 2})
    ok(p, roster_of(p, *_daily("v1", 1, 2, 5)))  # off run at day 0 is exempt
    only(p, roster_of(p, *_daily("v1", 0, 2, 3)), "run of 1 day(s) off from day 1")


def test_max_nights_per_week() -> None:
    p = _days(3, rules={"max_night_shifts_per_week": 1})
    ok(p, roster_of(p, ("v1", "night", "01-29"), ("v1", "day", "01-30")))
    bad = roster_of(p, ("v1", "night", "01-29"), ("v1", "night", "01-31"))
    only(p, bad, "2 night shifts in week 0 (max 1)")


def test_max_shifts_per_name() -> None:
    p = _days(3, rules={"max_shifts": {"day": 1}})
    ok(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "evening", "01-30")))
    only(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "day", "01-30")), "2 day shifts (max 1)")
    p = _days(3, volunteers=people({"id": "v1", "max_shifts": "night=0"}))
    only(p, roster_of(p, ("v1", "night", "01-29")), "1 night shifts (max 0)")


def test_max_weekends_counts_a_cut_weekend_once() -> None:
    # Wed 29 Jan .. Sun 9 Feb: weekends 1-2 Feb and 8-9 Feb
    p = _days(12, rules={"max_weekends": 1})
    ok(p, roster_of(p, *_daily("v1", 3, 4)))  # Sat + Sun: one weekend
    only(p, roster_of(p, *_daily("v1", 4, 10)), "2 weekends worked (max 1)")
    # Sun 2 Feb .. Sat 8 Feb: the horizon cuts both weekends to one day; each still counts
    p = problem_of(horizon={"start": "2020-02-02", "days": 7}, rules={"max_weekends": 1})
    ok(p, roster_of(p, ("v1", "day", "02-02"), ("v1", "day", "02-05")))
    only(p, roster_of(p, ("v1", "day", "02-02"), ("v1", "day", "02-08")), "2 weekends worked")


def test_times_without_offset_are_rejected() -> None:
    p = problem_of()
    r = roster_of(p, ("v1", "day", "01-29"))
    a = r.assignments[0]
    naive = a.model_copy(update={"start": a.start.replace(tzinfo=None)})
    v = check_roster(p, _with(r, assignments=(naive,))).violations
    assert "times must carry the plan's UTC offset" in v[0]


def test_forbidden_successions() -> None:
    p = _days(3, rules={"forbidden_successions": [{"first": "evening", "then": "day"}]})
    ok(p, roster_of(p, ("v1", "day", "01-29"), ("v1", "evening", "01-30")))
    bad = roster_of(p, ("v1", "evening", "01-29"), ("v1", "day", "01-30"))
    only(p, bad, "day on day 1 right after evening on day 0")


def test_need_cap_unless_over_cover_weighted() -> None:
    p = problem_of()
    only(p, roster_of(p, ("v1", "day", "01-29"), ("v2", "day", "01-29")), "2 assigned, need 1")
    p = problem_of(weights={"over_cover": 3})
    r = roster_of(p, ("v1", "day", "01-29"), ("v2", "day", "01-29"))
    report = check_roster(p, r)
    assert report.ok, report.violations
    assert report.cost["over_cover"] == 3


# --- the roster's own fields --------------------------------------------------------


def _with(roster: Roster, **update: Any) -> Roster:
    return roster.model_copy(update=update)


def _shift(a: Assignment, **update: Any) -> Assignment:
    return a.model_copy(update=update)


def test_assignment_must_match_an_occurrence() -> None:
    p = problem_of()
    r = roster_of(p, ("v1", "day", "01-29"))
    a = r.assignments[0]
    late = _shift(a, start=a.start + dt.timedelta(hours=1), end=a.end + dt.timedelta(hours=1))
    assert "no such shift occurrence" in " ".join(
        check_roster(p, _with(r, assignments=(late,))).violations
    )
    longer = _shift(a, end=a.end + dt.timedelta(hours=1))
    only(p, _with(r, assignments=(longer,)), "the shift ends")
    same_instant = _shift(a, start=a.start.astimezone(dt.UTC), end=a.end.astimezone(dt.UTC))
    ok(p, _with(r, assignments=(same_instant,)))


def test_duplicate_and_unknown_volunteer() -> None:
    p = problem_of()
    r = roster_of(p, ("v1", "day", "01-29"))
    only(p, _with(r, assignments=r.assignments * 2), "assigned twice")
    ghost = _shift(r.assignments[0], volunteer="nobody")
    assert "unknown volunteer" in " ".join(
        check_roster(p, _with(r, assignments=(ghost,))).violations
    )


def test_shortfalls_must_match_the_count() -> None:
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 2, "require": {"medic": 1}}]
    p = problem_of(sites=sites, volunteers=people({"id": "v1", "skills": "medic"}, n=2))
    r = roster_of(p, ("v1", "day", "01-29"), ("v2", "night", "01-29"))
    report = check_roster(p, r)
    assert report.ok, report.violations
    # 6 occurrences x need 2 = 12, 2 assigned; medic on 5 of 6
    assert (report.total_missing, report.total_missing_skills) == (10, 5)
    assert (r.total_missing, r.total_missing_skills) == (10, 5)
    first = r.shortfalls[0]
    fewer = _with(r, shortfalls=r.shortfalls[1:])
    v = check_roster(p, fewer).violations
    assert any("roster says missing=0" in x for x in v) and any("totals" in x for x in v)
    wrong = first.model_copy(update={"missing_skills": {}})
    v = check_roster(p, _with(r, shortfalls=(wrong, *r.shortfalls[1:]))).violations
    assert len(v) == 2 and "count is 1 {'medic': 1}" in v[0], v
    bogus = Shortfall(site="exit-se", shift="lunch", start=first.start, missing=1)
    v = check_roster(p, _with(r, shortfalls=(*r.shortfalls, bogus))).violations
    assert any("no such shift occurrence" in x for x in v)


def test_objective_must_match_the_cost() -> None:
    p = problem_of()
    r = roster_of(p, ("v1", "day", "01-29"))
    assert r.objective == 5 * 1000 + 10 * 8  # 5 uncovered; fairness: 8 h spread
    only(p, _with(r, objective=r.objective + 1), "differs from the recomputed")
    assert "no objective" in only(p, _with(r, objective=None), "objective")


def test_replanned_roster_without_previous_allows_whole_changes() -> None:
    p = problem_of()
    r = roster_of(p, ("v1", "day", "01-29"))
    re = _with(r, objective=r.objective + 2 * 200, stats={"replan": {"previous_version": 1}})
    ok(p, re)
    only(p, _with(re, objective=r.objective + 150), "whole number of changes")
    prev = frozenset({("v2", "exit-se", "day", "2020-01-29T08:00:00+08:00")})
    assert check_roster(p, re, previous=prev).ok  # v1 added, v2 removed: 2 changes
    assert not check_roster(p, re, previous=frozenset()).ok


def test_cost_terms_by_hand() -> None:
    sites = [
        {"id": "exit-se", "pattern": "three-8h", "need": 1, "priority": 2,
         "location": {"lat": 31.0, "lon": 121.0}, "require": {"medic": 1}},
        {"id": "exit-nw", "pattern": "three-8h", "need": 0},
    ]  # fmt: skip
    vols = people(
        {"id": "v1", "team": "a", "lat": 31.1, "lon": 121.0, "prefers": "exit-nw"},
        {"id": "v2", "team": "a", "skills": "medic"},
        {"id": "v3", "night_ok": False, "available": "2020-01-29T08:00/2020-01-29T16:00"},
    )
    requests = [
        {"volunteer": "v3", "date": "2020-01-29", "shift": "day", "want": "on", "weight": 7},
        {"volunteer": "v2", "date": "2020-01-30", "shift": "day", "want": "off", "weight": 4},
    ]
    p = problem_of(sites=sites, volunteers=vols, requests=requests, weights={"over_cover": 1})
    r = roster_of(p, ("v1", "day", "01-29"), ("v2", "day", "01-29"), ("v2", "day", "01-30"))
    report = assert_valid(p, r)
    km = round(11.1195)  # 0.1 degree of latitude
    assert report.cost == {
        "uncovered": 1000 * 2 * 4,
        "missing_skill": 300 * 4,
        "over_cover": 1 * 1,
        "travel_km": 1 * km,  # v1 once; v2 has no home location
        "preference": 5 * 1,
        "team_split": 2 * 1,  # v2 alone on 30 Jan; on 29 Jan v1 and v2 are together
        "fairness": 10 * (16 - 0),  # v3 is eligible (day 29) and works nothing
        "requests": 7 + 4,
        "change": 0,
    }
    assert report.objective == r.objective == sum(report.cost.values())
    assert cost_breakdown(p, pairs_of(p, ("v1", "day", "01-29"), ("v2", "day", "01-29"),
                                      ("v2", "day", "01-30"))) == report.cost  # fmt: skip


def test_status_without_roster() -> None:
    p = problem_of()
    r = build_roster(p, status="infeasible", objective=None, bound=None, pairs=(), explanation="x")
    ok(p, r)
    assert (r.assignments, r.shortfalls, r.objective) == ((), (), None)
    pairs = pairs_of(p, ("v1", "day", "01-29"))
    unknown = build_roster(
        p, status="unknown", objective=5.0, bound=float("inf"), pairs=pairs, explanation="late"
    )
    assert (unknown.assignments, unknown.objective, unknown.bound) == ((), None, None)
    bad = _with(r, assignments=roster_of(p, ("v1", "day", "01-29")).assignments)
    only(p, bad, "infeasible but the roster has assignments")
    only(p, _with(r, explanation=None), "without an explanation")


def test_assert_valid_raises_with_every_violation() -> None:
    p = problem_of(rules={"min_rest_hours": 12, "max_hours_per_day": 8})
    bad = roster_of(p, ("v1", "night", "01-29"), ("v1", "day", "01-29"))
    with pytest.raises(RosterInvalid) as err:
        assert_valid(p, bad)
    assert len(err.value.violations) == 2
    assert "min rest" in str(err.value) and "on day 0" in str(err.value)


def test_independent_expansion_agrees_with_expand() -> None:
    changes = [
        {"site": "exit-se", "from": "2020-01-29T06:00", "to": "2020-01-30T00:00", "add": 2},
        {"site": "exit-se", "from": "2020-01-30T00:00", "to": "2020-01-31T00:00", "set": 0},
    ]
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 1, "require": {"medic": 2},
              "open": {"from": "2020-01-29T04:00", "to": "2020-01-31T00:00"}}]  # fmt: skip
    p = problem_of(sites=sites, demand_changes=changes)
    mine = expand_config(p.config)
    theirs = p.occurrences
    assert [(o.site, o.shift, o.start, o.end, o.need, o.require, o.night, o.day, o.week)
            for o in mine] == [(o.site, o.shift, o.start, o.end, o.need, o.require, o.night,
                                o.day, o.week) for o in theirs]  # fmt: skip
    assert [o.need for o in mine] == [3, 3, 0, 0, 0]


def test_count_shortfalls_per_occurrence() -> None:
    from scheduler.shortfalls import count_shortfalls, totals

    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 2, "require": {"medic": 2, "x": 1}}]
    vols = people({"id": "v1", "skills": "medic;x"}, {"id": "v2", "skills": "medic"}, n=3)
    p = problem_of(sites=sites, volunteers=vols, horizon={"start": "2020-01-29", "days": 1})
    pairs = pairs_of(p, ("v1", "night", "01-29"), ("v2", "night", "01-29"), ("v3", "day", "01-29"))
    assert count_shortfalls(p, pairs) == [
        (1, 1, {"medic": 2, "x": 1}),  # day: v3 only
        (2, 2, {"medic": 2, "x": 1}),  # evening: nobody
    ]  # night is fully staffed and skilled: not listed
    assert totals(count_shortfalls(p, pairs)) == (3, 6)
    assert count_shortfalls(p, pairs | {(0, 2)}) == count_shortfalls(p, pairs)  # over need
