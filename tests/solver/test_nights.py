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


def test_night_cap_0_means_nobody_could_work_nights() -> None:
    """With max_night_shifts_per_week 0 a night occurrence is nobody's to work, so a
    volunteer available only at night could not work at all: out of the fairness pool."""
    two = {
        "two-12h": [
            {"name": "day", "start": "08:00", "hours": 12},
            {"name": "night", "start": "20:00", "hours": 12},
        ]
    }
    p = problem(
        shift_patterns=two,
        sites=[{"id": "exit-se", "pattern": "two-12h", "need": 1}],
        horizon={"start": "2020-01-29", "days": 2},
        volunteers={
            "people": [
                {"id": "owl", "available": "2020-01-29T20:00/2020-01-30T08:00"},
                {"id": "v1"},
                {"id": "v2"},
            ]
        },
        rules={"max_night_shifts_per_week": 0},
        weights={"fairness": 10},
    )
    owl = p.volunteer_index["owl"]
    assert all(owl not in e for e in p.eligible)
    sol = run(p)  # run() re-checks the objective with the checker's own fairness pool
    # two day shifts between v1 and v2 (12 h each): no spread; owl is not counted
    assert sol.objective == 1000 * 2
