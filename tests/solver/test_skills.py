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


def test_requirement_above_need_counts_in_full() -> None:
    """The contract: "at least N of those on it hold the skill", also where need < N."""
    site = {"id": "exit-se", "pattern": "one", "need": 1, "require": {"interpreter": 2}}
    people = [{"id": "v1"}, {"id": "i1", "skills": "interpreter"}]
    p = problem(shift_patterns=one_shift(), sites=[site], volunteers={"people": people},
                weights={"fairness": 0})  # fmt: skip
    sol = run(p)
    assert shortfall(p, sol) == 0
    assert all(s == ["i1"] for s in staff(p, sol))  # the one seat goes to the interpreter
    assert sol.objective == 2 * 300  # and one interpreter is still missing, each day


def test_closed_occurrence_misses_its_required_holders() -> None:
    """A closure (need set to 0) keeps the occurrence and its requirement: nobody is on
    it, so its required holders are missing (the contract's literal count), not staffed."""
    site = {"id": "exit-se", "pattern": "one", "need": 1, "require": {"interpreter": 1}}
    close = {"site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-31T00:00", "set": 0}
    people = [{"id": "i1", "skills": "interpreter"}]
    p = problem(shift_patterns=one_shift(), sites=[site], demand_changes=[close],
                volunteers={"people": people})  # fmt: skip
    sol = run(p)
    assert sol.assignments == ()  # no one staffed above a need of 0
    assert sol.objective == 2 * 300  # one interpreter missing on each of the two days
