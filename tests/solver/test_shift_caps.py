"""shift_caps: at most max_shifts[name] shifts of that name over the horizon."""

from __future__ import annotations

from collections import Counter

from tests.solver.support import people, problem, run, shifts_of, shortfall


def test_cap_per_shift_name() -> None:
    p = problem(rules={"max_shifts": {"night": 1, "day": 2}}, volunteers={"people": people(1)})
    sol = run(p)
    names = Counter(p.occurrences[o].shift for o in shifts_of(p, sol, "v1"))
    assert names == Counter({"night": 1, "day": 2, "evening": 2})
    assert shortfall(p, sol) == 1


def test_volunteer_cap_zero_never_works_that_shift() -> None:
    p = problem(volunteers={"people": [{"id": "v1", "max_shifts": "evening=0"}, {"id": "v2"}]})
    sol = run(p)
    assert all(p.occurrences[o].shift != "evening" for o in shifts_of(p, sol, "v1"))
    assert shortfall(p, sol) == 0
