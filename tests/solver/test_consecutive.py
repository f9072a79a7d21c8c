"""consecutive: max working-day runs; min working-day runs and min day-off runs (edges exempt)."""

from __future__ import annotations

from tests.solver.support import days_worked, one_shift, people, problem, run, shortfall

BASE = {
    "shift_patterns": one_shift(),
    "sites": [{"id": "exit-se", "pattern": "one", "need": 1}],
    "horizon": {"start": "2020-01-29", "days": 5},
}


def _runs(days: set[int]) -> list[int]:
    runs, n = [], 0
    for d in range(5):
        if d in days:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return [*runs, n] if n else runs


def test_max_consecutive_days() -> None:
    p = problem(**BASE, rules={"max_consecutive_days": 2}, volunteers={"people": people(1)})
    sol = run(p)
    assert max(_runs(days_worked(p, sol, "v1"))) <= 2
    assert shortfall(p, sol) == 1  # e.g. days 0,1,3,4


def test_without_limit_works_every_day() -> None:
    p = problem(**BASE, volunteers={"people": people(1)})
    assert shortfall(p, run(p)) == 0


def test_min_consecutive_days_forbids_isolated_inner_day() -> None:
    vol = {"id": "v1", "days_off": "2020-01-30;2020-02-01"}  # can work days 0, 2, 4
    free = run(problem(**BASE, volunteers={"people": [vol]}))
    assert shortfall(problem(**BASE, volunteers={"people": [vol]}), free) == 2
    p = problem(**BASE, rules={"min_consecutive_days": 2}, volunteers={"people": [vol]})
    sol = run(p)
    assert days_worked(p, sol, "v1") == {0, 4}  # the edge runs are exempt, day 2 is not
    assert shortfall(p, sol) == 3


def test_min_consecutive_days_off() -> None:
    vol = {"id": "v1", "days_off": "2020-01-31"}  # day 2 forced off
    p = problem(**BASE, rules={"min_consecutive_days_off": 2}, volunteers={"people": [vol]})
    sol = run(p)
    worked = days_worked(p, sol, "v1")
    assert 1 not in worked or 3 not in worked  # the inner off-run must be >= 2 days
    assert shortfall(p, sol) == 2
