"""Shortfall reasons: the facts a coordinator needs are in the sentence."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.build import build_roster
from scheduler.greedy import greedy
from scheduler.problem import Problem
from scheduler.reasons import Explainer, explain
from scheduler.shortfalls import count_shortfalls
from tests.scheduler.test_checker import pairs_of, people, problem_of

ONE_DAY = {"start": "2020-01-29", "days": 1}


def occ(problem: Problem, shift: str, day: str = "01-29", site: str | None = None) -> int:
    site = site or problem.config.sites[0].id
    return next(
        o.index
        for o in problem.occurrences
        if o.site == site and o.shift == shift and o.date.isoformat() == f"2020-{day}"
    )


def reason_for(problem: Problem, pairs: frozenset[tuple[int, int]], o: int) -> str:
    counts = {i: (m, k) for i, m, k in count_shortfalls(problem, pairs)}
    missing, skills = counts[o]
    return explain(problem, pairs, o, missing, skills)


def test_too_far_and_not_available_grouped_by_cause() -> None:
    site = {"id": "exit-se", "pattern": "three-8h", "need": 4, "location": {"lat": 31, "lon": 121}}
    near = [{"id": f"n{i}", "lat": 31.01, "lon": 121} for i in range(3)]
    far = [{"id": f"f{i}", "lat": 31.5, "lon": 121} for i in range(5)]
    away = [{"id": f"a{i}", "available": "2020-01-29T08:00/2020-01-29T16:00"} for i in range(2)]
    p = problem_of(
        sites=[site],
        rules={"max_travel_km": 10},
        volunteers={"people": near + far + away},
        horizon=ONE_DAY,
    )
    pairs = greedy(p)
    text = reason_for(p, pairs, occ(p, "night"))
    assert text.startswith("1 missing (night 00:00–08:00 on 29 Jan)")
    assert "only 3 of 10 volunteers can work it" in text
    assert "5 live more than 10 km away" in text and "2 not available then" in text
    assert "3 assigned (all of them)" in text


def test_weekly_cap_and_rest_block_the_rest_of_the_pool() -> None:
    # need 2 on each of three shifts; 4 people with a 8 h weekly cap: 2 shifts stay short
    p = problem_of(
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2}],
        volunteers=people(n=4),
        rules={"max_hours_per_week": 8},
        horizon=ONE_DAY,
    )
    pairs = greedy(p)
    text = reason_for(p, pairs, occ(p, "evening"))
    assert text.startswith("2 missing")
    assert "0 assigned" in text and "4 at their weekly cap" in text


def test_rest_and_overlap_named() -> None:
    p = problem_of(
        sites=[
            {"id": "exit-se", "pattern": "three-8h", "need": 1},
            {"id": "exit-nw", "pattern": "three-8h", "need": 1},
        ],
        volunteers=people(n=2),
        rules={"min_rest_hours": 12},
        horizon=ONE_DAY,
    )
    pairs = pairs_of(p, ("v1", "night", "01-29", "exit-se"), ("v2", "day", "01-29", "exit-nw"))
    text = reason_for(p, pairs, occ(p, "day", site="exit-se"))
    assert "1 already on an overlapping shift" in text
    assert "1 would get too little rest next to another shift" in text


def test_no_one_holding_the_skill() -> None:
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 2, "require": {"interpreter": 1}}]
    vols = people(
        {"id": "v1", "skills": "interpreter", "available": "2020-01-29T08:00/2020-01-29T16:00"}, n=3
    )
    p = problem_of(sites=sites, volunteers=vols, horizon=ONE_DAY)
    pairs = greedy(p)
    text = reason_for(p, pairs, occ(p, "night"))
    assert text.startswith("1 `interpreter` short")
    assert "no one holding `interpreter` is available this shift (1 not available then)" in text
    sites[0]["require"] = {"lang-fi": 1}
    p = problem_of(sites=sites, volunteers=people(n=2), horizon=ONE_DAY)
    assert "no volunteer in the plan holds `lang-fi`" in reason_for(p, greedy(p), 0)


def test_requirement_above_need_named() -> None:
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 1, "require": {"medic": 2}}]
    vols = people({"id": "v1", "skills": "medic"}, {"id": "v2", "skills": "medic"}, n=2)
    p = problem_of(sites=sites, volunteers=vols, horizon=ONE_DAY)
    text = reason_for(p, greedy(p), occ(p, "day"))
    assert text.startswith("1 `medic` short")
    assert "`medic` is required 2 times on a shift that needs 1 person" in text


def test_demand_change_named() -> None:
    changes = [{"site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-29T08:00", "add": 3}]
    p = problem_of(demand_changes=changes, volunteers=people(n=2), horizon=ONE_DAY)
    text = reason_for(p, greedy(p), occ(p, "night"))
    assert "2 missing" in text and "need raised from 1 to 4 by a demand change" in text
    assert "2 assigned (all of them)" in text


def test_free_volunteers_left_unused_said_honestly() -> None:
    p = problem_of(volunteers=people(n=3), horizon=ONE_DAY)
    pairs = pairs_of(p, ("v1", "night", "01-29"))
    text = reason_for(p, pairs, occ(p, "day"))
    assert "1 missing" in text and "0 assigned" in text
    assert "3 free volunteers were left unused" in text
    assert "priority 0" not in text
    p = problem_of(
        volunteers=people(n=1),
        horizon=ONE_DAY,
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 1, "priority": 0}],
    )
    text = reason_for(p, frozenset(), occ(p, "day"))
    assert "1 free volunteer was left unused" in text and "has priority 0" in text


@pytest.mark.parametrize(
    ("overrides", "worked", "target", "phrase"),
    [
        (
            {"rules": {"max_hours_per_day": 8}},
            [("day", "01-29")],
            ("evening", "01-29"),
            "at their daily hours cap",
        ),
        (
            {"rules": {"max_shifts_per_day": 1}},
            [("day", "01-29")],
            ("evening", "01-29"),
            "at their shifts-per-day cap",
        ),
        (
            {"rules": {"max_hours_total": 8}},
            [("day", "01-29")],
            ("day", "01-30"),
            "at their total hours cap",
        ),
        (
            {"rules": {"max_consecutive_days": 1}},
            [("day", "01-29")],
            ("day", "01-30"),
            "at their consecutive-days limit",
        ),
        (
            {"rules": {"max_night_shifts_per_week": 1}},
            [("night", "01-29")],
            ("night", "01-30"),
            "at their night-shift limit for the week",
        ),
        (
            {"rules": {"max_shifts": {"day": 1}}},
            [("day", "01-29")],
            ("day", "01-30"),
            "at their cap of day shifts",
        ),
        (
            {"rules": {"max_weekends": 1}, "horizon": {"start": "2020-02-01", "days": 8}},
            [("day", "02-01")],
            ("day", "02-08"),
            "at their weekend cap",
        ),
        (
            {"rules": {"forbidden_successions": [{"first": "evening", "then": "day"}]}},
            [("evening", "01-29")],
            ("day", "01-30"),
            "barred by a forbidden shift succession",
        ),
    ],
)
def test_each_roster_blocker_is_named(
    overrides: dict[str, Any], worked: list[tuple[str, str]], target: tuple[str, str], phrase: str
) -> None:
    p = problem_of(volunteers=people(n=1), **overrides)
    pairs = pairs_of(p, *[("v1", s, d) for s, d in worked])
    o = occ(p, *target)
    text = Explainer(p, pairs).explain(o, 1, {})
    assert text.endswith(f"; 0 assigned; 1 {phrase}."), text
    assert "free" not in text


def test_build_attaches_a_reason_to_every_shortfall() -> None:
    p = problem_of(volunteers=people({"id": "v1", "night_ok": False}, n=1))
    pairs = greedy(p)
    roster = build_roster(p, status="optimal", objective=0, bound=0, pairs=pairs)
    assert roster.shortfalls and all(s.reason for s in roster.shortfalls)
    night = next(s for s in roster.shortfalls if s.shift == "night")
    assert "no volunteer can work 00:00–08:00 on 29 Jan (1 don't take night shifts)" in night.reason


def test_far_count_uses_a_grid_that_misses_no_one() -> None:
    import random

    from scheduler.geo import haversine_km

    rng = random.Random(5)
    vols = [
        {"id": f"v{i:03d}", "lat": 40 + rng.uniform(-0.5, 0.5), "lon": 116 + rng.uniform(-0.5, 0.5)}
        for i in range(600)
    ] + [{"id": "nohome"}]
    site = {
        "id": "exit-se",
        "pattern": "three-8h",
        "need": 700,
        "location": {"lat": 40, "lon": 116},
    }
    p = problem_of(
        sites=[site], rules={"max_travel_km": 12}, volunteers={"people": vols}, horizon=ONE_DAY
    )
    explainer = Explainer(p, frozenset())
    text = explainer.explain(occ(p, "day"), 700, {})
    far = sum(1 for v in vols if "lat" in v and haversine_km(v["lat"], v["lon"], 40, 116) > 12)
    assert 100 < far < 600  # the case is not trivial
    assert f"{601 - far} of 601 volunteers can work it ({far} live more than 12 km away)" in text
    assert explainer._cells is not None and len(explainer._cells) > 50  # the grid was used
