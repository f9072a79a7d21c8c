"""The guard: no roster leaves more weighted shortfall than the hand method's (greedy)."""

from __future__ import annotations

import time

from scheduler.checker import check_roster
from scheduler.cost import total_cost, weighted_shortfall
from scheduler.greedy import greedy
from scheduler.problem import Problem
from solver.guard import hold_to_hand
from solver.pipeline import hand_rosters, plan_roster, with_hint
from solver.types import Pair, Solution, SolveParams
from tests.solver.support import problem, run


def _far_volunteer(uncovered: int) -> Problem:
    """One 8 h day shift needing 1 at (31.0, 121.0); its only volunteer lives 50 km away
    and each km costs 1: with ``uncovered`` below 50 the objective prefers the gap."""
    return problem(
        horizon={"start": "2020-01-29", "days": 1},
        shift_patterns={"d": [{"name": "day", "start": "08:00", "hours": 8}]},
        sites=[{"id": "s", "pattern": "d", "need": 1, "location": {"lat": 31.0, "lon": 121.0}}],
        weights={"uncovered": uncovered, "travel_km": 1, "fairness": 0, "team_split": 0},
        volunteers={"people": [{"id": "v1", "lat": 31.45, "lon": 121.0}]},
    )


def _held(
    p: Problem, solution: Solution, seconds: float
) -> tuple[Solution, list[tuple[float, str, frozenset[Pair]]]]:
    """``hold_to_hand`` as plan_roster calls it (greedy's hint, hand rosters and floor),
    with ``seconds`` to search; and the hand rosters."""
    params = with_hint(p, SolveParams(time_limit=5, workers=1))
    hand = hand_rosters(p, params.hint)
    floor = weighted_shortfall(p, params.hint)
    return hold_to_hand(p, params, solution, hand, floor, time.monotonic() + seconds), hand


def test_search_alone_leaves_the_gap_greedy_staffs() -> None:
    # the premise: CP-SAT's optimum (uncovered 5) is cheaper than greedy's (travel 50)
    p = _far_volunteer(uncovered=5)
    assert run(p).assignments == ()
    assert weighted_shortfall(p, frozenset(greedy(p))) == 0


def test_plan_roster_never_leaves_more_short_than_greedy() -> None:
    p = _far_volunteer(uncovered=5)
    roster, solution = plan_roster(p, SolveParams(time_limit=5, workers=1))
    assert check_roster(p, roster).ok
    assert weighted_shortfall(p, solution.assignments) == 0
    assert solution.objective <= total_cost(p, frozenset(greedy(p)))
    assert solution.stats["shortfall_guard"] in ("capped", "greedy")


def test_guard_leaves_a_roster_no_shorter_than_greedy_alone() -> None:
    # uncovered 500: the optimum staffs the shift anyway, and the guard changes nothing
    p = _far_volunteer(uncovered=500)
    solution = run(p)
    assert _held(p, solution, seconds=5)[0] is solution


def test_guard_without_time_takes_the_hand_roster() -> None:
    p = _far_volunteer(uncovered=5)
    held, hand = _held(p, run(p), seconds=0)  # no time to search
    assert held.assignments == tuple(sorted(hand[0][2]))
    assert held.stats["shortfall_guard"] == hand[0][1]
    assert held.objective == hand[0][0] and weighted_shortfall(p, held.assignments) == 0
