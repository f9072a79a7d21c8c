"""fairness: weights.fairness * (max - min hours) over volunteers eligible for a shift."""

from __future__ import annotations

from tests.solver.support import one_shift, people, problem, run, shifts_of

BASE = {
    "shift_patterns": one_shift(),
    "sites": [{"id": "s", "pattern": "one", "need": 1}],
    "horizon": {"start": "2020-01-29", "days": 4},
}


def test_load_shared_equally() -> None:
    p = problem(**BASE, volunteers={"people": people(2)})
    sol = run(p)
    assert len(shifts_of(p, sol, "v1")) == len(shifts_of(p, sol, "v2")) == 2
    assert sol.objective == 0


def test_spread_priced_when_one_is_rarely_available() -> None:
    rare = {"id": "v2", "available": "2020-01-29T00:00/2020-01-30T00:00"}
    p = problem(**BASE, volunteers={"people": [{"id": "v1"}, rare]})
    sol = run(p)
    assert len(shifts_of(p, sol, "v2")) == 1
    assert sol.objective == 10 * 16  # 3 shifts vs 1: 16 h spread


def test_volunteer_with_no_eligible_shift_is_not_counted() -> None:
    never = {"id": "v3", "available": "2021-01-01T00:00/2021-01-02T00:00"}
    p = problem(**BASE, volunteers={"people": [*people(2), never]})
    assert run(p).objective == 0


def test_volunteer_free_only_for_a_closed_shift_is_not_counted() -> None:
    """Closed (need 0) with over_cover unset: nobody may work it, so a volunteer free only
    then cannot work at all and is left out of the spread (counted, it would cost 160)."""
    close = {"site": "s", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00", "set": 0}
    only_then = {"id": "v3", "available": "2020-01-29T00:00/2020-01-30T00:00"}
    cfg = {**BASE, "horizon": {"start": "2020-01-29", "days": 5}, "demand_changes": [close]}
    p = problem(**cfg, volunteers={"people": [*people(2), only_then]})
    sol = run(p)
    assert len(shifts_of(p, sol, "v1")) == len(shifts_of(p, sol, "v2")) == 2
    assert sol.objective == 0
