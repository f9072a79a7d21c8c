"""Restricting a problem (solver/restrict.py) keeps every roster's cost and fairness pool."""

from __future__ import annotations

from scheduler.cost import cost_breakdown, total_cost
from solver.restrict import restricted
from tests.solver.support import people, problem


def test_restricted_rosters_cost_what_they_cost_in_full() -> None:
    p = problem(weights={"fairness": 10}, volunteers={"people": people(6)})
    v1 = p.volunteer_index["v1"]
    roster = {(o, v1) for o in range(len(p.occurrences)) if v1 in p.eligible[o]}
    roster = {min(roster)}
    sub = restricted(p, lambda o, v: (o, v) in roster)
    # everyone else keeps one pair: still in the fairness pool (lowest load 0, not 8 h)
    assert {v for vols in sub.eligible for v in vols} == set(range(6))
    assert total_cost(sub, roster) == total_cost(p, roster)
    assert cost_breakdown(sub, roster)["fairness"] == cost_breakdown(p, roster)["fairness"] == 80
    assert sum(len(vols) for vols in sub.eligible) == 6


def test_without_fairness_only_the_allowed_pairs_stay() -> None:
    p = problem(weights={"fairness": 0}, volunteers={"people": people(6)})
    sub = restricted(p, lambda o, v: v == 0)
    assert all(vols in ((), (0,)) for vols in sub.eligible)
