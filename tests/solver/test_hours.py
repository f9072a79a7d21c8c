"""hours: per-day minutes and shift count, per-week minutes, total min/max minutes."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from scheduler.roster import Status
from solver.solve import solve
from solver.types import SolveParams
from tests.solver.support import one_shift, people, problem, run, shifts_of, shortfall

ONE = {"volunteers": {"people": people(1)}}


def _per_day(p, sol, vid: str) -> Counter:
    return Counter(p.occurrences[o].day for o in shifts_of(p, sol, vid))


def test_day_hours_cap() -> None:
    p = problem(rules={"max_hours_per_day": 8}, **ONE)
    sol = run(p)
    assert max(_per_day(p, sol, "v1").values()) == 1
    assert shortfall(p, sol) == 4


def test_shifts_per_day_cap() -> None:
    p = problem(rules={"max_shifts_per_day": 2}, **ONE)
    sol = run(p)
    assert _per_day(p, sol, "v1") == Counter({0: 2, 1: 2})
    assert shortfall(p, sol) == 2


def test_week_hours_cap_per_block() -> None:
    p = problem(
        shift_patterns=one_shift(),
        sites=[{"id": "exit-se", "pattern": "one", "need": 1}],
        horizon={"start": "2020-01-29", "days": 8},
        rules={"max_hours_per_week": 16},
        **ONE,
    )
    sol = run(p)
    weeks = Counter(p.occurrences[o].week for o in shifts_of(p, sol, "v1"))
    assert weeks == Counter({0: 2, 1: 1})
    assert shortfall(p, sol) == 5


def test_total_max_and_volunteer_min() -> None:
    p = problem(
        rules={"max_hours_total": 24},
        volunteers={"people": [{"id": "v1", "min_hours_total": 16}, {"id": "v2"}]},
        weights={"fairness": 0},
    )
    sol = run(p)
    assert 2 <= len(shifts_of(p, sol, "v1")) <= 3
    assert len(shifts_of(p, sol, "v2")) <= 3


def test_impossible_minimum_is_infeasible_and_explained() -> None:
    p = problem(
        shift_patterns=one_shift(),
        sites=[{"id": "exit-se", "pattern": "one", "need": 1}],
        volunteers={"people": people(2, min_hours_total=16)},  # 2 shifts exist, 4 needed
    )
    sol = solve(p, SolveParams(time_limit=5, workers=1))
    assert sol.status is Status.infeasible
    assert sol.explanation and "at least 16 h" in sol.explanation


def _fractional(rules: dict, *shifts: tuple[str, float]) -> tuple:
    """One site, one day, the given (start, hours) shifts needing 1 each, one volunteer."""
    pattern = [{"name": f"s{i}", "start": s, "hours": h} for i, (s, h) in enumerate(shifts)]
    p = problem(
        shift_patterns={"p": pattern},
        sites=[{"id": "exit-se", "pattern": "p", "need": 1}],
        horizon={"start": "2020-01-29", "days": 1},
        rules=rules,
        weights={"fairness": 0},
        **ONE,
    )
    return p, run(p)


def test_hours_that_are_not_whole_minutes_count_in_full() -> None:
    # 2 x 4.004 h = 8.008 h: over a day cap of 8 h, though each rounds to 240 minutes
    p, sol = _fractional({"max_hours_per_day": 8}, ("08:00", 4.004), ("13:00", 4.004))
    assert len(shifts_of(p, sol, "v1")) == 1 and shortfall(p, sol) == 1
    end = p.occurrences[0].end - p.occurrences[0].start
    assert end == dt.timedelta(hours=4, seconds=14.4)  # exact, not rounded to a minute
    # limits are kept to the minute on the safe side: 8.05 h (483 min) fits 2 x 241 min
    p, sol = _fractional({"max_hours_per_day": 8.05}, ("08:00", 4.004), ("13:00", 4.004))
    assert len(shifts_of(p, sol, "v1")) == 2


def test_rest_that_is_not_whole_minutes_is_not_rounded_down() -> None:
    # 04:00 to 15:59 is 11 h 59 min of rest: less than 11.99 h (11 h 59.4 min)
    p, sol = _fractional({"min_rest_hours": 11.99}, ("00:00", 4), ("15:59", 1))
    assert len(shifts_of(p, sol, "v1")) == 1
    p, sol = _fractional({"min_rest_hours": 11.98}, ("00:00", 4), ("15:59", 1))
    assert len(shifts_of(p, sol, "v1")) == 2
