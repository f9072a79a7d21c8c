"""solver.lns: sub-problems price changes exactly; LNS keeps every hard rule."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from scheduler.cost import total_cost
from scheduler.nrp import load_nrp
from scheduler.nrp_eval import evaluate
from scheduler.problem import compile_plan
from solver.lns import applicable, construct, solve_lns, subproblem
from solver.model import build_model
from solver.solve import solve_context
from solver.types import SolveParams

INSTANCE2 = Path(__file__).resolve().parents[3] / "shared/benchmarks/nrp/instances/Instance2.txt"
pytestmark = pytest.mark.skipif(not INSTANCE2.exists(), reason="benchmark files not present")


@pytest.fixture(scope="module")
def nrp2():
    inst, plan = load_nrp(INSTANCE2)
    return inst, compile_plan(plan)


def as_rows(inst, problem, pairs):
    rows = {s.id: [""] * inst.days for s in inst.staff}
    for o, v in pairs:
        rows[problem.volunteers[v].id][problem.occurrences[o].day] = problem.occurrences[o].shift
    return rows


def test_nrp_plans_qualify(nrp2):
    assert applicable(nrp2[1])


@pytest.mark.parametrize("window", [None, range(3, 9)])
def test_subproblem_cost_change_equals_full_cost_change(nrp2, window):
    inst, problem = nrp2
    roster = construct(problem, SolveParams(workers=1, seed=3), time.monotonic() + 10)
    assert roster is not None and evaluate(inst, as_rows(inst, problem, roster)).feasible
    staff = sorted(random.Random(5).sample(range(len(problem.volunteers)), 3))
    sub = subproblem(problem, staff, roster, window)
    if window is not None:  # the window widened to whole weeks by the run rules (5 days)
        assert [problem.occurrences[o].day for o in sub.occ_map][:: len(inst.shifts)] == list(
            range(0, 14)
        )
        assert sub.fixed and all(
            problem.occurrences[sub.occ_map[o]].day not in window for o, _ in sub.fixed
        )
    params = SolveParams(time_limit=2, workers=1, hint=sub.hint, fixed=sub.fixed)
    sol = solve_context(build_model(sub.problem, params), 2)
    assert sol.status.has_roster
    region = set(sub.occ_map)
    new = {p for p in roster if p[1] not in staff or p[0] not in region} | sub.back(sol.assignments)
    if window is not None:  # outside the window S's rows are unchanged
        outside = {p for p in new if p[1] in staff and problem.occurrences[p[0]].day not in window}
        assert outside == {
            p for p in roster if p[1] in staff and problem.occurrences[p[0]].day not in window
        }
    full_change = float(total_cost(problem, new)) - float(total_cost(problem, roster))
    sub_change = float(sol.objective) - float(total_cost(sub.problem, sub.hint))
    assert full_change == pytest.approx(sub_change)
    assert evaluate(inst, as_rows(inst, problem, new)).feasible


def test_solve_lns_roster_is_feasible_and_its_objective_exact(nrp2):
    inst, problem = nrp2
    sol = solve_lns(problem, SolveParams(time_limit=4, workers=1, seed=2))
    assert sol.status.has_roster
    ev = evaluate(inst, as_rows(inst, problem, sol.assignments))
    assert ev.feasible and ev.objective == sol.objective
    assert sol.stats["method"] == "lns" and sol.stats["construct_objective"] >= sol.objective


def test_window_subproblem_is_cut_to_whole_weeks_and_stays_exact():
    inst, plan = load_nrp(INSTANCE2.with_name("Instance4.txt"))
    problem = compile_plan(plan)
    roster = construct(problem, SolveParams(workers=1, seed=4), time.monotonic() + 10)
    assert roster is not None
    staff = [0, 3, 5, 8]
    window = range(12, 15)  # run rules up to 5 days: region = days 7..20 (weeks 1 and 2)
    sub = subproblem(problem, staff, roster, window)
    days = sorted({problem.occurrences[o].day for o in sub.occ_map})
    assert days == list(range(7, 21)) and sub.problem.config.horizon.days == 14
    assert sub.problem.config.horizon.start.weekday() == 0
    params = SolveParams(time_limit=2, workers=1, hint=sub.hint, fixed=sub.fixed)
    sol = solve_context(build_model(sub.problem, params), 2)
    assert sol.status.has_roster
    region = set(sub.occ_map)
    new = {p for p in roster if p[1] not in staff or p[0] not in region}
    new |= sub.back(sol.assignments)
    full_change = float(total_cost(problem, new)) - float(total_cost(problem, roster))
    assert full_change == pytest.approx(
        float(sol.objective) - float(total_cost(sub.problem, sub.hint))
    )
    assert evaluate(inst, as_rows(inst, problem, new)).feasible
