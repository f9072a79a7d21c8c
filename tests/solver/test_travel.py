"""travel: the hard km limit is pruned; each assignment costs travel_km * round(km)."""

from __future__ import annotations

from tests.solver.support import one_shift, problem, run, shifts_of, shortfall

SITE = {"id": "s", "pattern": "one", "need": 1, "location": {"lat": 31.0, "lon": 121.0}}
NEAR = {"id": "near", "lat": 31.01, "lon": 121.0}  # ~1.1 km
MID = {"id": "mid", "lat": 31.04, "lon": 121.0}  # ~4.4 km
FAR = {"id": "far", "lat": 31.3, "lon": 121.0}  # ~33 km
BASE = {
    "shift_patterns": one_shift(),
    "sites": [SITE],
    "horizon": {"start": "2020-01-29", "days": 1},
    "weights": {"fairness": 0},
}


def test_nearest_volunteer_chosen_and_priced() -> None:
    p = problem(**BASE, volunteers={"people": [MID, NEAR]})
    sol = run(p)
    assert shifts_of(p, sol, "near") and not shifts_of(p, sol, "mid")
    assert sol.objective == 1  # round(1.1 km) * weight 1


def test_hard_limit_leaves_shortfall_rather_than_send_far() -> None:
    p = problem(**BASE, rules={"max_travel_km": 10}, volunteers={"people": [FAR]})
    sol = run(p)
    assert sol.assignments == ()
    assert shortfall(p, sol) == 1


def test_unknown_location_costs_nothing() -> None:
    p = problem(**BASE, volunteers={"people": [{"id": "home-unknown"}, MID]})
    sol = run(p)
    assert shifts_of(p, sol, "home-unknown")
    assert sol.objective == 0


def test_a_limit_of_zero_km_keeps_only_volunteers_at_the_site() -> None:
    at_site = {"id": "at-site", "lat": 31.0, "lon": 121.0}
    p = problem(**BASE, rules={"max_travel_km": 0}, volunteers={"people": [NEAR, at_site]})
    sol = run(p)
    assert shifts_of(p, sol, "at-site") and not shifts_of(p, sol, "near")
    assert shortfall(p, sol) == 0
