"""weekends: at most max_weekends worked Saturday+Sunday weekends (edge-cut ones count)."""

from __future__ import annotations

from tests.solver.support import days_worked, one_shift, people, problem, run, shortfall

BASE = {
    "shift_patterns": one_shift(),
    "sites": [{"id": "exit-se", "pattern": "one", "need": 1}],
    "volunteers": {"people": people(1)},
}


def test_one_weekend_of_two() -> None:
    # Fri 2020-01-31 .. Sun 2020-02-09: weekends on days 1-2 and 8-9
    p = problem(**BASE, horizon={"start": "2020-01-31", "days": 10}, rules={"max_weekends": 1})
    sol = run(p)
    worked = days_worked(p, sol, "v1")
    assert not (worked & {1, 2} and worked & {8, 9})
    assert shortfall(p, sol) == 2  # one whole weekend off, the other fully worked


def test_edge_cut_weekends_still_count() -> None:
    # Sun 2020-02-02 .. Sat 2020-02-08: day 0 and day 6 are two different weekends
    p = problem(**BASE, horizon={"start": "2020-02-02", "days": 7}, rules={"max_weekends": 1})
    sol = run(p)
    worked = days_worked(p, sol, "v1")
    assert not (0 in worked and 6 in worked)
    assert shortfall(p, sol) == 1


def test_zero_weekends() -> None:
    p = problem(**BASE, horizon={"start": "2020-01-31", "days": 3}, rules={"max_weekends": 0})
    assert days_worked(p, run(p), "v1") == {0}
