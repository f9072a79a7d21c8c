"""rest: no overlap, and min_rest between the end of one shift and the start of the next."""

from __future__ import annotations

import itertools

from tests.solver.support import people, problem, run, shifts_of, shortfall


def _gaps_ok(p, sol, rest_minutes: int) -> None:
    for vol in p.volunteers:
        occs = [p.occurrences[o] for o in shifts_of(p, sol, vol.id)]
        for a, b in itertools.combinations(occs, 2):
            assert (b.start - a.end).total_seconds() / 60 >= rest_minutes, (vol.id, a, b)


def test_rest_is_kept_when_enough_people() -> None:
    p = problem(rules={"min_rest_hours": 12})
    sol = run(p)
    assert shortfall(p, sol) == 0
    _gaps_ok(p, sol, 12 * 60)


def test_one_volunteer_leaves_a_shortfall_rather_than_break_rest() -> None:
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(1)})
    sol = run(p)
    _gaps_ok(p, sol, 12 * 60)
    # 6 back-to-back 8 h shifts in 2 days; starts must be >= 20 h apart: 2 at most
    assert len(sol.assignments) == 2
    assert shortfall(p, sol) == 4


def test_overlapping_shifts_never_together_even_without_rest_rule() -> None:
    pattern = {
        "two": [
            {"name": "a", "start": "08:00", "hours": 8},
            {"name": "b", "start": "12:00", "hours": 8},
        ]
    }
    p = problem(
        shift_patterns=pattern,
        sites=[{"id": "s1", "pattern": "two", "need": 1}],
        volunteers={"people": people(1)},
        horizon={"start": "2020-01-29", "days": 1},
    )
    sol = run(p)
    assert len(sol.assignments) == 1
    assert shortfall(p, sol) == 1


def test_without_rest_back_to_back_shifts_are_allowed() -> None:
    p = problem(volunteers={"people": people(1)})
    sol = run(p)
    assert len(sol.assignments) == 6
