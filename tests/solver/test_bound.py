"""Upper bounds on weighted coverage: hand-checked values and validity against solvers."""

from __future__ import annotations

import pytest

from scheduler.fast_compile import compile_plan_fast
from scheduler.greedy import greedy
from scheduler.loading import plan_from_dict
from scheduler.problem import compile_plan
from solver.bound import coverage_bound, lp_bound, regional_bound, supply_bound, weighted_coverage
from solver.solve import solve
from solver.types import SolveParams
from tests.conftest import tiny_config
from tests.solver.test_decompose import small_city


def test_weighted_coverage_counts_min_of_staff_and_need_times_priority(make_plan) -> None:
    plan = make_plan(sites=[{"id": "a", "pattern": "three-8h", "need": 2, "priority": 3}])
    problem = compile_plan(plan)
    # occurrence 0: three people (one above need counts nothing), occurrence 1: one person
    pairs = {(0, 0), (0, 1), (0, 2), (1, 3)}
    assert weighted_coverage(problem, pairs) == 3 * 2 + 3 * 1


def test_lp_sees_the_daily_cap_the_supply_bound_misses() -> None:
    """2 people, 8 h a day each, 2 days of three 8-hour shifts needing 2: at most 4 covered."""
    cfg = tiny_config(
        sites=[{"id": "a", "pattern": "three-8h", "need": 2}],
        volunteers={"people": [{"id": "v1"}, {"id": "v2"}]},
        rules={"max_hours_per_day": 8},
    )
    problem = compile_plan(plan_from_dict(cfg))
    bound = coverage_bound(problem)
    assert bound.demand == 12
    assert bound.supply == 12
    assert bound.lp == pytest.approx(4, abs=1e-4)
    assert bound.value == pytest.approx(4, abs=1e-4)
    assert bound.value >= 4  # padded up, never below the true optimum
    assert "lp" in bound.method


def test_lp_sees_rest_between_shifts() -> None:
    """One person, 12 h rest: of the six 8-hour shifts in two days at most 2 fit (00-08, 20-)."""
    cfg = tiny_config(
        sites=[{"id": "a", "pattern": "three-8h", "need": 1}],
        volunteers={"people": [{"id": "v1"}]},
        rules={"min_rest_hours": 12},
    )
    problem = compile_plan(plan_from_dict(cfg))
    value, _method, groups = lp_bound(problem)
    assert groups == 1
    # each start instant is covered by its own shift and by the one 8 h before it (end + 12 h
    # rest > next start); LP optimum = 3 (half of each of the six), integer optimum 2
    assert 2 <= value <= 3 + 1e-4
    assert value < 6


def test_bound_is_above_the_optimum_and_the_greedy() -> None:
    plan = plan_from_dict(small_city(volunteers=45, days=2))
    problem = compile_plan(plan)
    sol = solve(problem, SolveParams(time_limit=5, workers=1, hint=frozenset(greedy(problem))))
    assert sol.status.has_roster
    bound = coverage_bound(problem)
    achieved = weighted_coverage(problem, sol.assignments)
    assert bound.value >= achieved - 1e-6
    assert bound.value >= weighted_coverage(problem, greedy(problem))
    assert bound.value <= bound.supply + 1e-6 <= bound.demand + 1e-6
    assert bound.value < bound.demand, "45 people cannot staff this city: the bound shows it"


def test_regional_bound_is_valid_and_no_tighter_than_the_global_lp() -> None:
    plan = plan_from_dict(small_city(volunteers=70, days=2))
    problem = compile_plan(plan)
    pairs = greedy(problem)
    sites = [s.id for s in plan.config.sites]
    regions = [sites[:4], sites[4:8], sites[8:]]
    regional, rows = regional_bound(compile_plan_fast(plan, lazy=True), regions, pairs)
    glob = coverage_bound(problem)
    assert len(rows) == 3
    assert regional.value >= glob.value - 1e-6
    assert regional.value >= weighted_coverage(problem, pairs) - 1e-6
    assert regional.value == pytest.approx(sum(r["bound"] for r in rows))
    assert any(r["lp"] is not None for r in rows), "a short region is bounded by its LP"


def test_coarse_home_cells_only_loosen_the_lp() -> None:
    plan = plan_from_dict(small_city(volunteers=70, days=2))
    problem = compile_plan(plan)
    exact, method, groups = lp_bound(problem)
    coarse, coarse_method, coarse_groups = lp_bound(problem, max_vars=200)
    assert "identical" in method and "home cells" in coarse_method
    assert coarse_groups < groups
    assert coarse >= exact - 1e-6
    assert exact <= supply_bound(problem) + 1e-6
