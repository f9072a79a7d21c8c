"""Polish (solver.pipeline._polished): the time the search, fill and swaps left goes to a
restricted CP-SAT search from the roster; it keeps a roster only when it costs less."""

from __future__ import annotations

import time

from scheduler.cost import total_cost
from scheduler.greedy import greedy
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.pipeline import POLISH_MIN_SECONDS, _polished
from solver.types import Solution, SolveParams
from tests.solver.support import checked, people, problem


def _solution(p: Problem, pairs: set) -> Solution:
    return Solution(Status.feasible, total_cost(p, pairs), 0, tuple(sorted(pairs)), 1.0)


def _far_and_near() -> Problem:
    """Two volunteers: one next to the site, one 30 km away; greedy takes the far one
    (least used first, ties by id), the optimum the near one (travel_km)."""
    far = {"id": "a-far", "lat": 31.5, "lon": 121.45}
    near = {"id": "b-near", "lat": 31.2478, "lon": 121.4583}
    site = {"id": "exit-se", "pattern": "three-8h", "need": 1,
            "location": {"lat": 31.2478, "lon": 121.4583}}  # fmt: skip
    return problem(
        horizon={"start": "2020-01-29", "days": 1},
        sites=[site],
        weights={"fairness": 0, "travel_km": 1},
        rules={"min_rest_hours": 0},
        volunteers={"people": [far, near]},
    )


def test_polish_lowers_the_cost_and_passes_the_checker() -> None:
    p = _far_and_near()
    start = _solution(p, set(greedy(p)))
    got = _polished(p, SolveParams(workers=1), start, time.monotonic() + 3.0)
    assert got.stats["polish"] == 1 and got.objective < start.objective
    assert got.objective == total_cost(p, got.assignments) == 0
    checked(p, got)


def test_polish_keeps_a_roster_it_cannot_beat() -> None:
    p = problem(horizon={"start": "2020-01-29", "days": 1}, weights={"fairness": 0},
                volunteers={"people": people(3)})  # fmt: skip
    best = _solution(p, set(greedy(p)))
    assert best.objective == 0
    got = _polished(p, SolveParams(workers=1), best, time.monotonic() + 2.0)
    assert got.assignments == best.assignments and got.stats["polish"] == 0


def test_no_polish_without_the_time() -> None:
    p = _far_and_near()
    start = _solution(p, set(greedy(p)))
    soon = time.monotonic() + POLISH_MIN_SECONDS / 2
    assert _polished(p, SolveParams(workers=1), start, soon) is start
