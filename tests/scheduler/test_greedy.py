"""The greedy hand method: skilled first, least used first, never breaks a max-type rule."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from scheduler.build import build_roster
from scheduler.checker import check_roster
from scheduler.cost import total_cost
from scheduler.greedy import greedy
from scheduler.problem import Problem
from scheduler.roster import Roster
from scheduler.shortfalls import count_shortfalls, totals
from tests.scheduler.test_checker import people, problem_of


def greedy_roster(problem: Problem) -> Roster:
    pairs = greedy(problem)
    return build_roster(
        problem, status="feasible", objective=total_cost(problem, pairs), bound=None, pairs=pairs
    )


def checked(problem: Problem) -> tuple[Roster, list[tuple[str, str, str]]]:
    """Greedy roster (checked: no violation) and its (volunteer, shift, date) rows."""
    roster = greedy_roster(problem)
    report = check_roster(problem, roster)
    assert report.ok, report.violations
    assert (report.total_missing, report.total_missing_skills) == totals(
        count_shortfalls(problem, greedy(problem))
    )
    rows = [(a.volunteer, a.shift, a.start.date().isoformat()) for a in roster.assignments]
    return roster, rows


def test_least_used_first_ties_by_id() -> None:
    _, rows = checked(problem_of())
    assert [v for v, _, _ in rows] == ["v1", "v2", "v3", "v4", "v1", "v2"]


def test_preference_ranks_before_least_used_and_rules_still_hold() -> None:
    p = problem_of()
    v4 = p.volunteer_index["v4"]
    pairs = greedy(p, prefer=lambda o, v: 0 if v == v4 else 1)
    # v4 first wherever a max-type rule lets them; the rest least used first, as before
    staffed = sorted(pairs, key=lambda pr: p.occurrences[pr[0]].start)
    assert [p.volunteers[v].id for _, v in staffed][:1] == ["v4"]
    roster = build_roster(p, status="feasible", objective=total_cost(p, pairs), bound=None,
                          pairs=pairs)  # fmt: skip
    assert check_roster(p, roster).ok
    assert sum(v == v4 for _, v in pairs) > sum(v == v4 for _, v in greedy(p))


def test_least_used_counts_minutes_not_shifts() -> None:
    pattern = {"p": [{"name": "long", "start": "00:00", "hours": 12},
                     {"name": "short", "start": "12:00", "hours": 4},
                     {"name": "late", "start": "16:00", "hours": 4}]}  # fmt: skip
    p = problem_of(
        shift_patterns=pattern,
        sites=[{"id": "s", "pattern": "p", "need": 1}],
        horizon={"start": "2020-01-29", "days": 1},
        volunteers=people(n=2),
    )
    _, rows = checked(p)
    # v1 takes 12 h; v2 takes 4 h; v2 (4 h) is still less used than v1 (12 h)
    assert [(v, s) for v, s, _ in rows] == [("v1", "long"), ("v2", "short"), ("v2", "late")]


def test_skilled_first_while_a_skill_is_missing() -> None:
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 2, "require": {"medic": 1}}]
    vols = people({"id": "v9", "skills": "medic"}, n=3)
    p = problem_of(sites=sites, volunteers=vols, horizon={"start": "2020-01-29", "days": 1})
    roster, rows = checked(p)
    by_shift = {s: sorted(v for v, s2, _ in rows if s2 == s) for s in ("night", "day", "evening")}
    # v9 (the only medic) goes first on every shift although more used; then least used
    assert by_shift == {"night": ["v1", "v9"], "day": ["v2", "v9"], "evening": ["v3", "v9"]}
    assert roster.total_missing_skills == 0


def test_takes_each_skilled_only_while_needed() -> None:
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 2, "require": {"a": 1, "b": 1}}]
    vols = people(
        {"id": "v1", "skills": "a"}, {"id": "v2", "skills": "a"}, {"id": "v3", "skills": "b"}
    )
    p = problem_of(sites=sites, volunteers=vols, horizon={"start": "2020-01-29", "days": 1})
    _, rows = checked(p)
    assert sorted(v for v, s, _ in rows if s == "night") == ["v1", "v3"]


@pytest.mark.parametrize(
    ("overrides", "limit"),
    [
        ({"rules": {"min_rest_hours": 12}}, None),
        ({"rules": {"max_hours_per_day": 8}}, None),
        ({"rules": {"max_shifts_per_day": 1}}, None),
        ({"rules": {"max_hours_per_week": 16}}, 4),  # 2 a week, 2 weeks
        ({"rules": {"max_hours_total": 24}}, 3),
        ({"rules": {"max_consecutive_days": 2}}, None),
        ({"rules": {"max_night_shifts_per_week": 1}}, None),
        ({"rules": {"max_shifts": {"day": 1, "night": 1, "evening": 1}}}, 3),
        ({"rules": {"max_weekends": 1}}, None),
        ({"rules": {"forbidden_successions": [{"first": "night", "then": "day"}]}}, None),
    ],
)
def test_never_breaks_a_max_rule(overrides: dict[str, Any], limit: int | None) -> None:
    # 2 volunteers, need 2 on three 8 h shifts a day over 12 days: every cap binds
    sites = [{"id": "exit-se", "pattern": "three-8h", "need": 2}]
    base = {"horizon": {"start": "2020-01-29", "days": 12}, "sites": sites}
    p = problem_of(volunteers=people(n=2), **base, **overrides)
    free = problem_of(volunteers=people(n=2), **base)
    _, rows = checked(p)
    unconstrained, _ = checked(free)
    assert len(rows) < len(unconstrained.assignments)  # the rule did bind
    if limit is not None:
        assert max(Counter(v for v, _, _ in rows).values()) == limit


def test_min_type_rules_are_ignored_and_reported_by_the_checker() -> None:
    p = problem_of(volunteers=people({"id": "v1", "min_hours_total": 40}, n=4))
    roster = greedy_roster(p)
    violations = check_roster(p, roster).violations
    assert violations == ("v1: 960 min in total (min 2400)",)


def test_never_above_need_and_only_eligible() -> None:
    vols = people({"id": "v1", "night_ok": False}, {"id": "v2", "days_off": "2020-01-29"}, n=2)
    p = problem_of(volunteers=vols)
    roster, rows = checked(p)
    assert ("v1", "night") not in {(v, s) for v, s, _ in rows}
    assert not [r for r in rows if r[0] == "v2" and r[2] == "2020-01-29"]
    assert [v for v, _, _ in rows] == ["v1", "v1", "v2", "v2", "v1"]  # need 1, no more
    assert [(s.shift, s.missing) for s in roster.shortfalls] == [("night", 1)]


def test_large_instance_is_fast() -> None:
    import time

    sites = [
        {"id": f"s{i}", "pattern": "three-8h", "need": 3, "require": {"k": 1}} for i in range(10)
    ]
    vols = {
        "people": [{"id": f"v{i:03d}", "skills": "k" if i % 7 == 0 else ""} for i in range(300)]
    }
    rules = {"min_rest_hours": 12, "max_hours_per_week": 40, "max_consecutive_days": 5,
             "max_night_shifts_per_week": 2, "max_weekends": 1}  # fmt: skip
    p = problem_of(
        sites=sites, volunteers=vols, rules=rules, horizon={"start": "2020-01-29", "days": 14}
    )
    t0 = time.perf_counter()
    pairs = greedy(p)
    assert time.perf_counter() - t0 < 2.0
    roster = build_roster(
        p, status="feasible", objective=total_cost(p, pairs), bound=0, pairs=pairs
    )
    assert check_roster(p, roster).ok
