"""objective: CP-SAT's optimum equals the cost definition recomputed independently.

Every term of the cost is active here at once (shortfall by priority, missing skills,
over-cover, travel, preferences, team split, fairness, requests, changes); the checker
(:mod:`scheduler.checker`, which re-expands the config itself) recomputes the cost of
the roster, and ``run`` asserts it equals both the reported objective and CP-SAT's own.
"""

from __future__ import annotations

from typing import Any

import pytest
from ortools.sat.python import cp_model

from scheduler.build import build_roster
from scheduler.checker import check_roster
from scheduler.cost import total_cost
from scheduler.greedy import greedy
from solver.solve import build_model
from solver.types import SolveParams
from tests.solver.support import pair, problem, run

LOC = {"lat": 31.0, "lon": 121.0}


def _rich(over_cover: int | None) -> dict[str, Any]:
    return {
        "horizon": {"start": "2020-01-31", "days": 3},
        "sites": [
            {
                "id": "a",
                "pattern": "three-8h",
                "need": 2,
                "priority": 3,
                "location": LOC,
                "require": {"medical": 1},
            },
            {
                "id": "b",
                "pattern": "three-8h",
                "need": 1,
                "need_by_shift": {"night": 0},
                "location": {"lat": 31.05, "lon": 121.02},
            },
        ],
        "rules": {"min_rest_hours": 12, "max_hours_per_week": 24, "max_weekends": 1},
        "weights": {"over_cover": over_cover, "fairness": 3},
        "volunteers": {
            "people": [
                {"id": "m1", "skills": "medical", "team": "t", "lat": 31.01, "lon": 121.0},
                {
                    "id": "m2",
                    "skills": "medical",
                    "team": "t",
                    "lat": 31.02,
                    "lon": 121.01,
                    "prefers": "b",
                },
                {"id": "p1", "lat": 31.04, "lon": 121.02, "prefers": "a", "night_ok": False},
                {"id": "p2", "team": "u"},
                {"id": "p3", "team": "u", "lat": 31.0, "lon": 121.03},
            ]
        },
        "requests": [
            {"volunteer": "p2", "date": "2020-02-01", "shift": "day", "want": "off", "weight": 40},
            {
                "volunteer": "p1",
                "date": "2020-02-02",
                "shift": "evening",
                "site": "b",
                "want": "on",
                "weight": 25,
            },
        ],
    }


@pytest.mark.parametrize("over_cover", [None, 1])
def test_optimum_equals_independent_recomputation(over_cover: int | None) -> None:
    p = problem(**_rich(over_cover))
    sol = run(p, workers=2)
    assert sol.status.value == "optimal"
    report = check_roster(
        p,
        build_roster(
            p, status=sol.status, objective=sol.objective, bound=sol.bound, pairs=sol.assignments
        ),
    )
    assert report.ok and report.objective == sol.objective == sol.stats["cp_sat_objective"]
    assert sum(report.cost.values()) == sol.objective
    assert report.cost["uncovered"] > 0 and report.cost["travel_km"] > 0


def test_optimum_with_changes_equals_recomputation() -> None:
    p = problem(**_rich(None))
    previous = frozenset(
        {pair(p, "a", "day", "2020-02-01", "p2"), pair(p, "b", "day", "2020-01-31", "p1")}
    )
    sol = run(p, previous=previous, workers=2)  # run() checks against the previous roster
    assert sol.status.value == "optimal"


@pytest.mark.parametrize("over_cover", [None, 1])
def test_model_cost_of_any_roster_is_cost_times_60(over_cover: int | None) -> None:
    """Fix x to a roster that is not optimal: the model's minimum over its auxiliaries
    is exactly 60 x the defined cost of that roster (no term over- or under-counted)."""
    p = problem(**_rich(over_cover))
    roster = greedy(p)
    ctx = build_model(p, SolveParams())
    for k, var in ctx.x.items():
        ctx.model.Add(var == int(k in roster))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5
    assert solver.Solve(ctx.model) == cp_model.OPTIMAL
    assert solver.ObjectiveValue() == 60 * total_cost(p, roster)
