"""The roster's ``bound`` is always there: when the solver proves none, the unavoidable
shortfall (too few eligible people, too few eligible skill holders) is reported."""

from __future__ import annotations

import json
from typing import Any

import pytest

import solver.solve
from scheduler.roster import Roster, Status
from solver.bound_floor import floor_bound
from solver.pipeline import plan_roster
from solver.types import Solution, SolveParams
from tests.solver.support import problem

BASE: dict[str, Any] = {
    "shift_patterns": {"one": [{"name": "day", "start": "08:00", "hours": 8}]},
    "horizon": {"start": "2020-01-29", "days": 2},
    # need 3, two people, one of whom is a medic; the other is away on the second day
    "sites": [{"id": "s", "pattern": "one", "need": 3, "priority": 2, "require": {"medic": 2}}],
    "volunteers": {
        "people": [
            {"id": "a", "skills": "medic"},
            {"id": "b", "unavailable": "2020-01-30T00:00/2020-01-31T00:00"},
        ]
    },
    "weights": {"uncovered": 100, "missing_skill": 10, "fairness": 0},
}


def test_floor_bound_counts_the_shortfall_no_roster_avoids() -> None:
    p = problem(**BASE)
    # day 1: 2 eligible of 3 needed, 1 medic of 2; day 2: 1 eligible, 1 medic of 2
    assert floor_bound(p) == 100 * 2 * (1 + 2) + 10 * (1 + 1)


def test_floor_bound_counts_a_requirement_above_need() -> None:
    site = {"id": "s", "pattern": "one", "need": 1, "require": {"medic": 3}}
    people = [{"id": "a", "skills": "medic"}, {"id": "b", "skills": "medic"}]
    p = problem(**{**BASE, "sites": [site], "volunteers": {"people": people}})
    assert floor_bound(p) == 10 * 2 * (3 - 1)  # one seat a day: 2 medics short each day


def test_bound_reported_when_the_solver_proves_none(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_roster(_problem: object, _params: SolveParams) -> Solution:
        return Solution(
            status=Status.unknown, objective=None, bound=None, assignments=(), seconds=0
        )

    monkeypatch.setattr(solver.solve, "solve", no_roster)
    p = problem(**BASE)
    roster, _ = plan_roster(p, SolveParams(time_limit=1, workers=1))
    assert roster.stats["roster_source"] == "greedy"
    assert roster.bound == floor_bound(p) == 620
    assert roster.objective is not None and roster.bound <= roster.objective
    assert "bound" in roster.to_json()


def test_a_roster_at_its_floor_bound_is_optimal(monkeypatch: pytest.MonkeyPatch) -> None:
    p = problem(**{**BASE, "sites": [{"id": "s", "pattern": "one", "need": 1}]})
    greedy_only = Solution(status=Status.unknown, objective=None, bound=None, assignments=(),
                           seconds=0)  # fmt: skip
    monkeypatch.setattr(solver.solve, "solve", lambda *_: greedy_only)
    roster, _ = plan_roster(p, SolveParams(time_limit=1, workers=1))
    assert roster.stats["roster_source"] == "greedy"
    assert roster.objective == roster.bound == 0 and roster.status is Status.optimal


def test_objective_and_bound_keys_are_always_written() -> None:
    data = json.loads(Roster(plan="p", status=Status.infeasible, explanation="why").to_json())
    assert list(data)[:5] == ["plan", "version", "status", "objective", "bound"]
    assert data["objective"] is None and data["bound"] is None
    assert data["assignments"] == [] and data["shortfalls"] == []
