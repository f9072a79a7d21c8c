"""Property tests on random small configs: greedy, shortfalls, cost and checker agree."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.build import build_roster
from scheduler.checker import check_roster, expand_config, fairness_pool, vol_limits
from scheduler.cost import total_cost
from scheduler.greedy import greedy
from scheduler.loading import plan_from_dict
from scheduler.problem import Problem, compile_plan
from scheduler.shortfalls import count_shortfalls, totals

SKILLS = ("a", "b")
TEAMS = ("t1", "t2")
ZONES = ("Asia/Shanghai", "Europe/Berlin", "UTC")
# around a Berlin DST change (29 Mar 2020) and an ordinary week
STARTS = (dt.date(2020, 1, 29), dt.date(2020, 3, 26), dt.date(2020, 10, 23))
MIN_RULES = ("min_consecutive_days", "min_consecutive_days_off", "min_hours_total")


def _local(start: dt.date, day: int, hour: int) -> str:
    return (dt.datetime.combine(start, dt.time()) + dt.timedelta(days=day, hours=hour)).isoformat(
        timespec="minutes"
    )


@st.composite
def windows(draw: st.DrawFn, start: dt.date, days: int) -> str:
    """0-2 ';'-separated local intervals inside (or around) the horizon."""
    out = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.integers(-12, days * 24))
        b = a + draw(st.integers(1, 72))
        out.append(f"{_local(start, 0, a)}/{_local(start, 0, b)}")
    return ";".join(out)


@st.composite
def configs(draw: st.DrawFn, with_min_rules: bool = False) -> dict[str, Any]:
    start, days = draw(st.sampled_from(STARTS)), draw(st.integers(1, 9))
    names = ["s0", "s1", "s2"]
    patterns: dict[str, list[dict[str, Any]]] = {}
    for p in range(draw(st.integers(1, 2))):
        n = draw(st.integers(1, 3))
        patterns[f"p{p}"] = [
            {
                "name": names[i],
                "start": f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from([0, 30])):02d}",
                "hours": draw(st.sampled_from([2, 4, 6, 8, 12])),
                "night": draw(st.booleans()),
            }
            for i in range(n)
        ]
    vols = []
    for i in range(draw(st.integers(1, 6))):
        v: dict[str, Any] = {
            "id": f"v{i}",
            "skills": ";".join(draw(st.lists(st.sampled_from(SKILLS), unique=True, max_size=2))),
            "night_ok": draw(st.booleans()),
            "team": draw(st.sampled_from([None, *TEAMS])),
            "available": draw(windows(start, days)),
            "unavailable": draw(windows(start, days)),
        }
        if draw(st.booleans()):
            v["lat"], v["lon"] = 31 + draw(st.floats(0, 0.2)), 121 + draw(st.floats(0, 0.2))
        if draw(st.booleans()):
            v["max_hours_per_week"] = draw(st.sampled_from([8, 16, 24]))
        if draw(st.booleans()):
            v["max_shifts"] = {draw(st.sampled_from(names[:1])): draw(st.integers(0, 2))}
        if draw(st.booleans()):
            v["days_off"] = (start + dt.timedelta(days=draw(st.integers(0, days - 1)))).isoformat()
        if with_min_rules and draw(st.booleans()):
            v["min_hours_total"] = draw(st.sampled_from([4, 8, 16]))
        vols.append({k: x for k, x in v.items() if x not in (None, "")})
    teams = sorted({v["team"] for v in vols if "team" in v})
    sites = []
    for s in range(draw(st.integers(1, 3))):
        site: dict[str, Any] = {
            "id": f"site{s}",
            "pattern": draw(st.sampled_from(sorted(patterns))),
            "need": draw(st.integers(0, 3)),
            "priority": draw(st.integers(0, 3)),
            "require": {k: draw(st.integers(0, 2)) for k in draw(st.sets(st.sampled_from(SKILLS)))},
        }
        if draw(st.booleans()):
            site["location"] = {
                "lat": 31 + draw(st.floats(0, 0.3)),
                "lon": 121 + draw(st.floats(0, 0.3)),
            }
        if teams and draw(st.integers(0, 3)) == 0:
            site["adopted_by"] = [draw(st.sampled_from(teams))]
        if draw(st.integers(0, 3)) == 0:
            site["open"] = {"from": _local(start, 0, 6), "to": _local(start, days, 0)}
        sites.append(site)
    changes = [
        {
            "site": draw(st.sampled_from([x["id"] for x in sites])),
            "from": _local(start, 0, a := draw(st.integers(0, days * 24))),
            "to": _local(start, 0, a + draw(st.integers(1, 48))),
            **draw(st.sampled_from([{"add": 2}, {"add": -1}, {"set": 0}, {"set": 4}])),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    maybe = {
        "min_rest_hours": st.sampled_from([0, 8, 12]),
        "max_hours_per_day": st.sampled_from([8, 12, 16]),
        "max_hours_per_week": st.sampled_from([16, 24, 40]),
        "max_consecutive_days": st.integers(1, 4),
        "max_night_shifts_per_week": st.integers(0, 3),
        "max_travel_km": st.sampled_from([2, 5, 15]),
        "max_shifts_per_day": st.integers(1, 2),
        "max_weekends": st.integers(0, 1),
        "max_hours_total": st.sampled_from([16, 40]),
    }
    if with_min_rules:
        maybe |= {
            "min_consecutive_days": st.integers(1, 3),
            "min_consecutive_days_off": st.integers(1, 3),
        }
    rules = {k: draw(s) for k, s in maybe.items() if draw(st.booleans())}
    shift_names = sorted({s["name"] for p in patterns.values() for s in p})
    if draw(st.booleans()):
        rules["forbidden_successions"] = [
            {
                "first": draw(st.sampled_from(shift_names)),
                "then": draw(st.sampled_from(shift_names)),
            }
        ]
    weights = {"over_cover": draw(st.sampled_from([None, 0, 5]))}
    requests = [
        {
            "volunteer": draw(st.sampled_from([v["id"] for v in vols])),
            "date": (start + dt.timedelta(days=draw(st.integers(0, days - 1)))).isoformat(),
            "shift": draw(st.sampled_from(shift_names)),
            "want": draw(st.sampled_from(["on", "off"])),
            "weight": draw(st.integers(1, 9)),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "plan": "prop",
        "timezone": draw(st.sampled_from(ZONES)),
        "horizon": {"start": start.isoformat(), "days": days},
        "shift_patterns": patterns,
        "sites": sites,
        "demand_changes": changes,
        "volunteers": {"people": vols},
        "rules": rules,
        "weights": {k: x for k, x in weights.items() if x is not None},
        "requests": requests,
    }


def _problem(cfg: dict[str, Any]) -> Problem:
    return compile_plan(plan_from_dict(cfg))


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(configs())
def test_greedy_roster_passes_the_checker(cfg: dict[str, Any]) -> None:
    problem = _problem(cfg)
    pairs = greedy(problem)
    objective = total_cost(problem, pairs)
    roster = build_roster(problem, status="feasible", objective=objective, bound=0, pairs=pairs)
    report = check_roster(problem, roster)
    assert report.ok, report.violations
    assert report.objective == objective
    people, skilled = totals(count_shortfalls(problem, pairs))
    assert (report.total_missing, report.total_missing_skills) == (people, skilled)
    assert (roster.total_missing, roster.total_missing_skills) == (people, skilled)
    assert all(s.reason for s in roster.shortfalls)
    n, staff = len(problem.volunteers), {o: {v for o2, v in pairs if o2 == o} for o, _ in pairs}
    for o, missing, _ in count_shortfalls(problem, pairs):
        reason = next(s.reason for s in roster.shortfalls if s.start == problem.occurrences[o].start
                      and s.site == problem.occurrences[o].site
                      and s.shift == problem.occurrences[o].shift)  # fmt: skip
        able = len(set(problem.eligible[o]) | staff.get(o, set()))
        if missing:  # the pool is split exactly: those who can work it, and why not the rest
            assert f"{able} of {n} volunteers can work it" in reason or (
                able == 0 and "no volunteer can work" in reason
            ), reason
    assert all(v in problem.eligible[o] for o, v in pairs)


@FAST
@given(configs(with_min_rules=True))
def test_greedy_only_breaks_min_type_rules(cfg: dict[str, Any]) -> None:
    problem = _problem(cfg)
    pairs = greedy(problem)
    roster = build_roster(
        problem, status="feasible", objective=total_cost(problem, pairs), bound=0, pairs=pairs
    )
    for v in check_roster(problem, roster).violations:
        assert "(min " in v, v


@FAST
@given(configs())
def test_checker_expansion_matches_expand(cfg: dict[str, Any]) -> None:
    problem = _problem(cfg)
    mine = [
        (o.site, o.shift, o.start, o.end, o.minutes, o.need, o.require, o.night, o.day, o.week)
        for o in expand_config(problem.config)
    ]
    theirs = [
        (o.site, o.shift, o.start, o.end, o.minutes, o.need, o.require, o.night, o.day, o.week)
        for o in problem.occurrences
    ]
    assert mine == theirs


@FAST
@given(configs())
def test_checker_fairness_pool_is_the_eligible_set(cfg: dict[str, Any]) -> None:
    problem = _problem(cfg)
    limits = [vol_limits(problem.config.rules, v) for v in problem.volunteers]
    none: list[list[Any]] = [[] for _ in problem.volunteers]
    pool = fairness_pool(problem, none, limits, expand_config(problem.config))
    assert pool == {v for vols in problem.eligible for v in vols}


@given(configs())
def test_compiled_eligibility_agrees_with_the_reasons_pair_by_pair(cfg: dict[str, Any]) -> None:
    # compile_plan's vectorised eligibility (scheduler.fast_compile) and ineligibility(v,
    # o), which says why one pair is out, apply the same rules
    from scheduler.problem import ineligibility

    problem = _problem(cfg)
    for o, eligible in enumerate(problem.eligible):
        by_reason = {
            v for v in range(len(problem.volunteers)) if ineligibility(problem, v, o) is None
        }
        assert set(eligible) == by_reason, problem.occurrences[o].key
