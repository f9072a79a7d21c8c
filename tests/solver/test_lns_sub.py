"""LNS sub-solves' tie-break (solver/lns_sub.py): among rosters of equal cost, the one
whose shortfall falls on a weekday, where weekends are capped; never a dearer roster."""

from __future__ import annotations

from typing import Any

from scheduler.cost import total_cost
from scheduler.problem import Problem
from solver.lns_sub import _cp_solve, prefer_weekday_shortfall
from solver.model import build_model
from solver.types import SolveParams
from tests.solver.support import one_shift, people, problem


def friday_and_saturday(rules: dict[str, Any], friday_priority: int = 1) -> Problem:
    """Fri 2020-01-31 and Sat 2020-02-01, one 8 h shift needing 1 each day (Friday's at
    ``friday_priority``), and one volunteer who may work 8 h in all: one of the two days
    is short either way."""
    return problem(
        horizon={"start": "2020-01-31", "days": 2},
        shift_patterns=one_shift(),
        sites=[
            {"id": "fri", "pattern": "one", "need": 1, "priority": friday_priority,
             "open": {"from": "2020-01-31T00:00", "to": "2020-02-01T00:00"}},
            {"id": "sat", "pattern": "one", "need": 1,
             "open": {"from": "2020-02-01T00:00", "to": "2020-02-02T00:00"}},
        ],
        rules={"max_hours_total": 8, **rules},
        volunteers={"people": people(1)},
    )  # fmt: skip


def solve_shaped(p: Problem) -> tuple[bool, set[int], float]:
    """Whether the tie-break applied, the days worked and the roster's cost."""
    ctx = build_model(p, SolveParams())
    applied = prefer_weekday_shortfall(ctx)
    pairs, *_ = _cp_solve(ctx, 5.0, 1)
    assert pairs is not None
    return applied, {p.occurrences[o].day for o, _ in pairs}, total_cost(p, pairs)


def test_equal_cost_leaves_the_weekday_short_where_weekends_are_capped() -> None:
    applied, days, cost = solve_shaped(friday_and_saturday({"max_weekends": 1}))
    assert applied
    assert days == {1}  # works Saturday: Friday, a weekday, is the one short
    assert cost == solve_shaped(friday_and_saturday({}))[2]


def test_no_tie_break_without_a_weekend_cap() -> None:
    applied, days, _ = solve_shaped(friday_and_saturday({}))
    assert not applied and len(days) == 1


def test_a_cheaper_roster_still_wins_over_the_tie_break() -> None:
    # Friday's shortfall costs twice Saturday's: the volunteer works Friday, weekend or not
    p = friday_and_saturday({"max_weekends": 1}, friday_priority=2)
    applied, days, cost = solve_shaped(p)
    assert applied
    assert days == {0}
    assert cost == min(total_cost(p, [(o.index, 0)]) for o in p.occurrences)
