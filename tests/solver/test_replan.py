"""replan: fixed pairs stay, frozen occurrences keep exactly their fixed pairs, changes cost."""

from __future__ import annotations

from scheduler.roster import Status
from solver.solve import solve
from solver.types import SolveParams
from tests.solver.support import pair, problem, run, staff

NO_FAIR = {"weights": {"fairness": 0, "change": 200}}


def test_fixed_pair_is_kept() -> None:
    p = problem(**NO_FAIR)
    fixed = pair(p, "exit-se", "night", "2020-01-29", "v4")
    sol = run(p, fixed=frozenset({fixed}))
    assert fixed in sol.assignments


def test_frozen_occurrence_keeps_only_its_fixed_pairs() -> None:
    p = problem(**NO_FAIR)
    o, _ = pair(p, "exit-se", "day", "2020-01-29", "v1")
    sol = run(p, frozen_occurrences=frozenset({o}))
    assert staff(p, sol)[o] == []
    assert sol.objective == 1000  # the frozen empty shift stays short


def test_previous_roster_kept_when_nothing_forces_a_change() -> None:
    p = problem(**NO_FAIR)
    previous = frozenset(
        pair(p, "exit-se", s, d, "v2")
        for s in ("night", "evening")
        for d in ("2020-01-29", "2020-01-30")
    ) | {
        pair(p, "exit-se", "day", "2020-01-29", "v3"),
        pair(p, "exit-se", "day", "2020-01-30", "v1"),
    }
    sol = run(p, previous=previous)
    assert set(sol.assignments) == previous
    assert sol.objective == 0


def test_change_cost_and_cap() -> None:
    p = problem(**NO_FAIR)
    sol = run(p, previous=frozenset(), max_changes=2)
    assert len(sol.assignments) == 2  # every assignment is a change from the empty roster
    assert sol.objective == 4 * 1000 + 2 * 200


def test_cap_below_forced_changes_is_infeasible_and_explained() -> None:
    p = problem(
        **NO_FAIR,
        volunteers={
            "people": [
                {"id": "v1", "unavailable": "2020-01-29T00:00/2020-01-30T00:00"},
                {"id": "v2"},
            ]
        },
    )
    ineligible = pair(p, "exit-se", "night", "2020-01-29", "v1")  # v1 is now unavailable
    sol = solve(
        p,
        SolveParams(time_limit=5, workers=1, previous=frozenset({ineligible}), max_changes=0),
    )
    assert sol.status is Status.infeasible
    assert sol.explanation and "at most 0 changes" in sol.explanation
