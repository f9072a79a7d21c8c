"""team: each assignment of a team member with no teammate on the same shift costs."""

from __future__ import annotations

from tests.solver.support import one_shift, problem, run, staff

BASE = {
    "shift_patterns": one_shift(),
    "sites": [{"id": "s", "pattern": "one", "need": 2}],
    "horizon": {"start": "2020-01-29", "days": 2},
    "weights": {"fairness": 0},
}
TEAM = [{"id": "a1", "team": "red"}, {"id": "a2", "team": "red"}]


def test_teammates_kept_together() -> None:
    p = problem(**BASE, volunteers={"people": [*TEAM, {"id": "x"}, {"id": "y"}]})
    sol = run(p)
    for names in staff(p, sol):
        assert ("a1" in names) == ("a2" in names)
    assert sol.objective == 0


def test_split_priced_when_teammate_cannot_come() -> None:
    away = {"id": "a2", "team": "red", "unavailable": "2020-01-29T00:00/2020-02-01T00:00"}
    p = problem(**BASE, volunteers={"people": [TEAM[0], away, {"id": "x"}]})
    sol = run(p)
    assert sol.objective == 2 * 2  # a1 works both days without a2 (need 2, 2 people)


def test_team_of_one_is_always_alone() -> None:
    """The contract prices every assignment of a team member with no teammate on the
    occurrence: a team of one has none, so each of its member's shifts costs."""
    p = problem(**BASE, volunteers={"people": [{"id": "a1", "team": "solo"}, {"id": "x"}]})
    sol = run(p)
    worked = sum("a1" in names for names in staff(p, sol))
    assert worked == 2  # need 2 on both days: uncovered costs far more than the split
    assert sol.objective == 2 * worked
