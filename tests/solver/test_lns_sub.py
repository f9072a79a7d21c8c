"""LNS sub-problems (solver/lns_sub.py): what a sub-problem holds, by its definition; the
sub-solves' tie-break (among rosters of equal cost, the one whose shortfall falls on a
weekday, where weekends are capped; never a dearer roster)."""

from __future__ import annotations

from typing import Any

import pytest

from scheduler.cost import total_cost
from scheduler.problem import Problem
from solver.lns_sub import _cp_solve, prefer_weekday_shortfall, subproblem
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


# --- the sub-problem itself (solver.lns_sub.subproblem), against its definition ---


def _reference(p: Problem, staff: list[int], roster: set, window: range | None, region: range):
    """What the sub-problem must hold, by the definition in solver/lns_sub.py's docstring,
    computed the slow way: its occurrences, each one's eligible sub-volunteers, need and
    skill requirement (people outside S who work it counted off)."""
    local = {v: i for i, v in enumerate(staff)}
    occ_map = sorted(
        o for o in range(len(p.occurrences))
        if p.occurrences[o].day in region and any(v in local for v in p.eligible[o])
    )  # fmt: skip
    rows, needs, requires = [], [], []
    for o in occ_map:
        inside = window is None or p.occurrences[o].day in window
        rows.append(tuple(
            local[v] for v in p.eligible[o] if v in local and (inside or (o, v) in roster)
        ))  # fmt: skip
        outside = [v for (q, v) in roster if q == o and v not in local]
        needs.append(max(0, p.occurrences[o].need - len(outside)))
        held = {
            s: sum(s in p.volunteers[v].skills for v in outside)
            for s, _ in p.occurrences[o].require
        }
        requires.append(tuple((s, r - held[s]) for s, r in p.occurrences[o].require if r > held[s]))
    return occ_map, rows, needs, requires


@pytest.mark.parametrize(
    ("staff", "window"), [([2, 0], None), ([1, 3], range(1, 2)), ([2, 0, 1], range(2, 4))]
)
def test_subproblem_holds_what_its_definition_says(staff, window) -> None:
    # 4 volunteers (v4 holds the skill), 4 days of one 8 h shift needing 2 of which 1 medic
    p = problem(
        horizon={"start": "2020-01-06", "days": 4},
        shift_patterns=one_shift(),
        sites=[{"id": "post", "pattern": "one", "need": 2, "require": {"medical": 1}}],
        volunteers={"people": [{"id": "v1"}, {"id": "v2"}, {"id": "v3"},
                               {"id": "v4", "skills": "medical"}]},
    )  # fmt: skip
    roster = {(o, v) for o in range(4) for v in range(4) if (o + v) % 2 == 0}
    sub = subproblem(p, staff, roster, window)
    region = range(4)  # the run rules widen any window to whole weeks: the 4 days
    occ_map, rows, needs, requires = _reference(p, staff, roster, window, region)
    assert list(sub.occ_map) == occ_map and list(sub.problem.eligible) == rows
    assert [o.need for o in sub.problem.occurrences] == needs
    assert [o.require for o in sub.problem.occurrences] == requires
    if 3 not in staff:  # the medic works outside S: the skill requirement is counted off
        assert any(r != p.occurrences[o].require for o, r in zip(occ_map, requires, strict=True))
    local = {v: i for i, v in enumerate(staff)}
    assert sub.hint == {
        (i, local[v]) for i, o in enumerate(occ_map) for v in staff if (o, v) in roster
    }
    outside = [
        i
        for i, o in enumerate(occ_map)
        if window is not None and p.occurrences[o].day not in window
    ]
    assert sub.fixed == {(i, u) for i in outside for u in rows[i]}


def test_by_day_splits_each_volunteers_occurrences_by_day() -> None:
    p = problem(horizon={"start": "2020-01-06", "days": 3}, shift_patterns=one_shift(),
                sites=[{"id": "post", "pattern": "one", "need": 1}],
                volunteers={"people": people(2)})  # fmt: skip
    for v, days in enumerate(p.by_day):
        assert len(days) == 3
        assert [o for day in days for o in day] == list(p.by_volunteer[v])
        assert all(p.occurrences[o].day == d for d, day in enumerate(days) for o in day)
