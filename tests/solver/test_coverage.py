"""coverage: shortfall priced by priority; never above need unless over_cover is priced."""

from __future__ import annotations

from tests.solver.support import one_shift, pair, people, problem, run, shortfall, staff


def test_every_shift_covered_when_people_suffice() -> None:
    p = problem()
    sol = run(p)
    assert shortfall(p, sol) == 0
    assert all(len(s) == 1 for s in staff(p, sol))


def test_shortfall_when_need_exceeds_people() -> None:
    p = problem(
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 3}],
        volunteers={"people": people(2)},
    )
    sol = run(p)
    assert shortfall(p, sol) == 6  # one person short on each of 6 shifts
    assert sol.objective >= 6 * 1000


def test_never_staffed_above_need_even_when_asked() -> None:
    p = problem(
        sites=[{"id": "exit-se", "pattern": "one", "need": 0}],
        shift_patterns=one_shift(),
        requests=[
            {"volunteer": "v1", "date": "2020-01-29", "shift": "day", "want": "on", "weight": 50}
        ],
    )
    sol = run(p)
    assert sol.assignments == ()
    assert sol.objective == 50  # the unmet request


def test_over_cover_priced_allows_staffing_above_need() -> None:
    p = problem(
        sites=[{"id": "exit-se", "pattern": "one", "need": 0}],
        shift_patterns=one_shift(),
        weights={"over_cover": 3, "fairness": 0},
        requests=[
            {"volunteer": "v1", "date": "2020-01-29", "shift": "day", "want": "on", "weight": 50}
        ],
    )
    sol = run(p)
    assert sol.assignments == (pair(p, "exit-se", "day", "2020-01-29", "v1"),)
    assert sol.objective == 3


def test_priority_decides_which_site_is_short() -> None:
    p = problem(
        shift_patterns=one_shift(),
        horizon={"start": "2020-01-29", "days": 1},
        sites=[
            {"id": "low", "pattern": "one", "need": 1, "priority": 1},
            {"id": "high", "pattern": "one", "need": 1, "priority": 5},
        ],
        volunteers={"people": people(1)},
    )
    sol = run(p)
    assert staff(p, sol)[[o.site for o in p.occurrences].index("high")] == ["v1"]
    assert sol.objective == 1000  # the low-priority person-shift
