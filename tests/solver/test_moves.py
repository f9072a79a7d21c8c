"""moves: single moves onto short shifts after the search, kept only when they lower the
cost and every hard rule still holds."""

from __future__ import annotations

import time

from scheduler.cost import total_cost
from scheduler.problem import Problem
from solver.moves import improve_by_moves
from tests.solver.support import problem


def _plan(top_start: str) -> Problem:
    """One volunteer, one day: `low` (priority 1) 08-12, `high` (priority 2) 14-18 and
    `top` (priority 3) starting at ``top_start`` for 4 h, each needing one person."""
    patterns = {
        f"p-{name}": [{"name": name, "start": start, "hours": 4}]
        for name, start in (("low", "08:00"), ("high", "14:00"), ("top", top_start))
    }
    sites = [
        {"id": name, "pattern": f"p-{name}", "need": 1, "priority": prio}
        for name, prio in (("low", 1), ("high", 2), ("top", 3))
    ]
    return problem(
        shift_patterns=patterns,
        sites=sites,
        horizon={"start": "2020-01-29", "days": 1},
        rules={"max_hours_per_day": 8},
        weights={"fairness": 0},
        volunteers={"people": [{"id": "v1"}]},
    )


def _pair(p: Problem, site: str) -> tuple[int, int]:
    return next(o.index for o in p.occurrences if o.site == site), 0


def test_a_volunteer_moves_to_the_short_shift_of_higher_priority() -> None:
    p = _plan(top_start="19:00")
    start = frozenset({_pair(p, "low"), _pair(p, "top")})  # 8 h: no room to add `high`
    moved, n = improve_by_moves(p, start, time.monotonic() + 5)
    assert n == 1 and moved == {_pair(p, "high"), _pair(p, "top")}
    assert total_cost(p, moved) == total_cost(p, start) - 1000  # priority 2 - 1


def test_no_move_that_breaks_a_hard_rule() -> None:
    p = _plan(top_start="12:00")  # top 12-16 overlaps high 14-18
    start = frozenset({_pair(p, "low"), _pair(p, "top")})
    moved, n = improve_by_moves(p, start, time.monotonic() + 5)
    assert n == 0 and moved == start
