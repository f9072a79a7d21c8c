"""Fill (solver/fill.py): staff what the solve left short where the reference did not.

Each case starts from a roster with a gap the reference (greedy) roster does not have;
every filled roster goes through the independent checker and costs no more.
"""

from __future__ import annotations

from scheduler.cost import cost_breakdown, shortfall_cost, total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.fill import cap_shortfall, fill, short_of
from solver.model import build_model
from solver.solve import solve_context
from solver.types import Solution, SolveParams
from tests.solver.support import checked, pair, people, problem


def _solution(p: Problem, pairs: set) -> Solution:
    return Solution(Status.feasible, total_cost(p, pairs), 0, tuple(sorted(pairs)), 1.0)


def _two_need() -> Problem:
    return problem(
        horizon={"start": "2020-01-29", "days": 1},
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2,
                "require": {"medical": 1}}],
        rules={"min_rest_hours": 12},
        weights={"uncovered": 1000, "missing_skill": 300, "fairness": 0},
        volunteers={"people": [*people(3), {"id": "m1", "skills": ["medical"]}]},
    )  # fmt: skip


def test_short_of_counts_people_and_skills_up_to_the_reference() -> None:
    p = _two_need()
    day = ("exit-se", "day", "2020-01-29")
    ref = {pair(p, *day, "v1"), pair(p, *day, "m1")}
    assert short_of(p, frozenset(ref), frozenset(ref)) == {}
    one = {pair(p, *day, "v1")}
    (o,) = {pr[0] for pr in one}
    assert short_of(p, frozenset(one), frozenset(ref)) == {o: (2, {"medical": 1})}
    # no lower than the reference: it left the night and evening empty too
    assert short_of(p, frozenset(), frozenset(ref)) == {o: (2, {"medical": 1})}


def test_fill_staffs_the_gap_at_lower_cost() -> None:
    p = _two_need()
    day = ("exit-se", "day", "2020-01-29")
    ref = frozenset({pair(p, *day, "v1"), pair(p, *day, "m1")})
    gap = _solution(p, {pair(p, *day, "v1")})
    filled = fill(p, SolveParams(workers=1), gap, ref, 5.0)
    assert filled is not None
    checked(p, filled)
    assert filled.objective < gap.objective
    assert short_of(p, filled.assignments, ref) == {}
    assert filled.stats["filled_occurrences"] == 1


def test_nothing_to_fill_gives_none() -> None:
    p = _two_need()
    day = ("exit-se", "day", "2020-01-29")
    ref = frozenset({pair(p, *day, "v1"), pair(p, *day, "m1")})
    assert fill(p, SolveParams(workers=1), _solution(p, set(ref)), ref, 5.0) is None


def test_fill_never_costs_more() -> None:
    # filling needs a second person 1 000 km away at 1 a km: dearer than the gap's 1 000
    far = {"id": "far", "lat": 40.0, "lon": 121.0}
    p = problem(
        horizon={"start": "2020-01-29", "days": 1},
        shift_patterns={"d": [{"name": "day", "start": "08:00", "hours": 8}]},
        sites=[{"id": "exit-se", "pattern": "d", "need": 2,
                "location": {"lat": 31.0, "lon": 121.0}}],
        weights={"uncovered": 1000, "travel_km": 1, "fairness": 0},
        volunteers={"people": [{"id": "near", "lat": 31.0, "lon": 121.0}, far]},
    )  # fmt: skip
    day = ("exit-se", "day", "2020-01-29")
    ref = frozenset({pair(p, *day, "near"), pair(p, *day, "far")})
    gap = _solution(p, {pair(p, *day, "near")})
    assert short_of(p, gap.assignments, ref)
    assert fill(p, SolveParams(workers=1), gap, ref, 5.0) is None


def test_plan_roster_fills_what_the_solve_left_short(monkeypatch) -> None:
    import solver.pipeline as pipeline
    import solver.solve as solve_module

    p = _two_need()
    day = ("exit-se", "day", "2020-01-29")
    gap = _solution(p, {pair(p, *day, "v1")})
    monkeypatch.setattr(pipeline, "FILL_MIN_PAIRS", 0)
    monkeypatch.setattr(solve_module, "solve", lambda problem, params: gap)
    monkeypatch.setattr(pipeline, "greedy_fallback", lambda *args: None)  # keep the gap
    roster, solution = pipeline.plan_roster(p, SolveParams(time_limit=5, workers=1))
    assert solution.stats["fill_from"] == gap.objective
    assert solution.objective < gap.objective
    assert roster.objective == solution.objective  # plan_roster checked it


def test_no_fill_when_its_model_would_not_build_in_time() -> None:
    """The fill is skipped (None) when building its model and MIN_FILL_SEARCH would not
    fit the seconds it has, instead of overrunning the run's time limit."""
    from solver.fill import MIN_FILL_SEARCH

    p = _two_need()
    day = ("exit-se", "day", "2020-01-29")
    ref = frozenset({pair(p, *day, "v1"), pair(p, *day, "m1")})
    gap = _solution(p, {pair(p, *day, "v1")})
    assert short_of(p, frozenset(gap.assignments), ref)  # there is a gap to fill...
    assert fill(p, SolveParams(workers=1), gap, ref, MIN_FILL_SEARCH / 2) is None  # ...no time
    assert fill(p, SolveParams(workers=1), gap, ref, 5.0) is not None


def test_shortfall_cap_holds_the_weighted_shortfall_down() -> None:
    # the day shift needs 2 and requires a `medical`; only v1 and m1 can work it (rest
    # keeps each to one shift of the day), and the night shift has no one eligible at all
    # (a constant 2 000 short). With both on the day shift 2 000 + 300 (night's medical)
    # is the least short any roster can be: a cap there is met, one below it cannot be.
    p = problem(
        horizon={"start": "2020-01-29", "days": 1},
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2,
                "require": {"medical": 1}}],
        rules={"min_rest_hours": 12},
        weights={"uncovered": 1000, "missing_skill": 300, "fairness": 0},
        volunteers={"people": [
            {"id": "v1", "unavailable": [{"from": "2020-01-29T00:00", "to": "2020-01-29T08:00"}]},
            {"id": "m1", "skills": ["medical"],
             "unavailable": [{"from": "2020-01-29T00:00", "to": "2020-01-29T08:00"}]},
        ]},
    )  # fmt: skip
    least = min(
        shortfall_cost(cost_breakdown(p, r))
        for r in (set(), {pair(p, "exit-se", "day", "2020-01-29", v) for v in ("v1", "m1")})
    )
    for limit, feasible in ((least, True), (least - 1, False)):
        ctx = build_model(p, SolveParams(workers=1, time_limit=5))
        cap_shortfall(ctx, limit)
        found = solve_context(ctx, 5)
        assert found.status.has_roster is feasible, (limit, found.status)
        if feasible:
            assert shortfall_cost(cost_breakdown(p, found.assignments)) <= limit
