"""nights: at most max_night_shifts_per_week night shifts per 7-day block."""

from __future__ import annotations

from collections import Counter

from tests.solver.support import one_shift, people, problem, run, shifts_of, shortfall

NIGHTS = {
    "shift_patterns": one_shift("night", "00:00", 8),
    "sites": [{"id": "exit-se", "pattern": "one", "need": 1}],
    "volunteers": {"people": people(1)},
}


def test_night_cap_per_week_block() -> None:
    p = problem(
        **NIGHTS, horizon={"start": "2020-01-29", "days": 9}, rules={"max_night_shifts_per_week": 1}
    )
    sol = run(p)
    weeks = Counter(p.occurrences[o].week for o in shifts_of(p, sol, "v1"))
    assert weeks == Counter({0: 1, 1: 1})
    assert shortfall(p, sol) == 7


def test_no_cap_takes_every_night() -> None:
    p = problem(**NIGHTS, horizon={"start": "2020-01-29", "days": 3})
    assert shortfall(p, run(p)) == 0
