"""preferences: assignments outside preferred sites cost; shift requests on/off cost."""

from __future__ import annotations

from tests.solver.support import one_shift, pair, people, problem, run, shifts_of

TWO_SITES = {
    "shift_patterns": one_shift(),
    "sites": [{"id": "a", "pattern": "one", "need": 1}, {"id": "b", "pattern": "one", "need": 1}],
    "horizon": {"start": "2020-01-29", "days": 1},
    "weights": {"fairness": 0},
}


def test_preferred_site_respected() -> None:
    p = problem(**TWO_SITES, volunteers={"people": [{"id": "v1", "prefers": "b"}, {"id": "v2"}]})
    sol = run(p)
    assert pair(p, "b", "day", "2020-01-29", "v1") in sol.assignments
    assert sol.objective == 0


def test_preference_cost_when_unavoidable() -> None:
    p = problem(
        **TWO_SITES,
        volunteers={"people": [{"id": "v1", "prefers": "b"}, {"id": "v2", "prefers": "b"}]},
    )
    sol = run(p)
    assert sol.objective == 5  # one of them must serve at a


def test_requests_on_and_off() -> None:
    p = problem(
        shift_patterns=one_shift(),
        sites=[{"id": "a", "pattern": "one", "need": 1}],
        weights={"fairness": 0},
        volunteers={"people": people(3)},
        requests=[
            {"volunteer": "v1", "date": "2020-01-29", "shift": "day", "want": "off", "weight": 7},
            {"volunteer": "v2", "date": "2020-01-29", "shift": "day", "want": "on", "weight": 3},
            {"volunteer": "v3", "date": "2020-01-30", "shift": "day", "want": "on", "weight": 4},
            {"volunteer": "v3", "date": "2020-01-30", "shift": "day", "want": "off", "weight": 1},
        ],
    )
    sol = run(p)
    assert [p.occurrences[o].day for o in shifts_of(p, sol, "v2")] == [0]
    assert [p.occurrences[o].day for o in shifts_of(p, sol, "v3")] == [1]
    assert not shifts_of(p, sol, "v1")
    assert sol.objective == 1  # v3's conflicting off request is the cheaper one to break
