"""successions: a shift named `first` on day d forbids one named `then` on day d + 1."""

from __future__ import annotations

from tests.solver.support import people, problem, run, shifts_of, shortfall


def test_forbidden_succession_never_worked() -> None:
    p = problem(
        rules={"forbidden_successions": [{"first": "evening", "then": "night"}]},
        volunteers={"people": people(1)},
    )
    sol = run(p)
    mine = [p.occurrences[o] for o in shifts_of(p, sol, "v1")]
    evenings = {o.day for o in mine if o.shift == "evening"}
    nights = {o.day for o in mine if o.shift == "night"}
    assert not any(d + 1 in nights for d in evenings)
    assert shortfall(p, sol) == 1


def test_evening_then_day_forbidden() -> None:
    p = problem(
        rules={"forbidden_successions": [{"first": "evening", "then": "day"}]},
        volunteers={"people": people(1)},
        horizon={"start": "2020-01-29", "days": 2},
    )
    sol = run(p)
    mine = {(p.occurrences[o].shift, p.occurrences[o].day) for o in shifts_of(p, sol, "v1")}
    assert not {("evening", 0), ("day", 1)} <= mine
    assert shortfall(p, sol) == 1
