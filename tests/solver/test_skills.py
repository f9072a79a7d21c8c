"""skills: each required skill should be held by enough of the people on the shift."""

from __future__ import annotations

from tests.solver.support import one_shift, problem, run, shortfall, staff

SITE = {"id": "exit-se", "pattern": "one", "need": 2, "require": {"interpreter": 1}}


def test_skilled_volunteer_placed_on_every_shift() -> None:
    p = problem(
        shift_patterns=one_shift(),
        sites=[SITE],
        volunteers={"people": [{"id": "v1"}, {"id": "v2"}, {"id": "v3", "skills": "interpreter"}]},
    )
    sol = run(p)
    assert shortfall(p, sol) == 0
    assert all("v3" in s for s in staff(p, sol))
    assert sol.objective < 300


def test_missing_skill_priced_when_nobody_holds_it() -> None:
    p = problem(shift_patterns=one_shift(), sites=[SITE], weights={"fairness": 0})
    sol = run(p)
    assert shortfall(p, sol) == 0
    assert sol.objective == 2 * 300  # one missing interpreter on each of 2 days


def test_scarce_skill_with_rest_counts_each_missing_person() -> None:
    p = problem(
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 1, "require": {"medical": 1}}],
        rules={"min_rest_hours": 12},
        volunteers={"people": [{"id": "v1"}, {"id": "v2"}, {"id": "m", "skills": "medical"}]},
        weights={"fairness": 0},
    )
    sol = run(p)
    on = [s for s in staff(p, sol) if "m" in s]
    assert len(on) == 2  # starts >= 20 h apart: 2 of 6 shifts at most
    assert sol.objective == 4 * 300
