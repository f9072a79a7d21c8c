"""solver.lns: sub-problems price changes exactly; LNS keeps every hard rule."""

from __future__ import annotations

import random
import time

import pytest

from scheduler.cost import total_cost
from scheduler.nrp import load_nrp
from scheduler.nrp_eval import evaluate
from scheduler.problem import compile_plan
from solver.lns import applicable, construct, solve_lns, subproblem
from solver.model import build_model
from solver.solve import solve_context
from solver.types import SolveParams
from tests.solver.support import INSTANCE2, as_rows

pytestmark = pytest.mark.skipif(not INSTANCE2.exists(), reason="benchmark files not present")


def test_nrp_plans_qualify(instance2):
    assert applicable(instance2[1])


@pytest.mark.parametrize("window", [None, range(3, 9)])
def test_subproblem_cost_change_equals_full_cost_change(instance2, window):
    inst, problem = instance2
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


def test_solve_lns_roster_is_feasible_and_its_objective_exact(instance2):
    inst, problem = instance2
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


# --- the pure-Python start (solver.lns_greedy) ---


def _runs_ok(pattern, work, kmax, kmin, koff):
    """The run rules of lns_greedy._pattern, checked directly (edges exempt from minima)."""
    days = len(pattern)
    if any(p and work[d] is None for d, p in enumerate(pattern)):
        return False
    start = 0
    for d in range(1, days + 1):
        if d < days and pattern[d] == pattern[start]:
            continue
        n, edge = d - start, start == 0 or d == days
        if pattern[start] and (n > kmax or (not edge and n < kmin)):
            return False
        if not pattern[start] and not edge and n < koff:
            return False
        start = d
    return True


@pytest.mark.parametrize("seed", range(6))
def test_pattern_is_the_best_pattern_under_the_run_rules(seed):
    import itertools

    from solver.lns_patterns import best_pattern, longest_pattern

    rng = random.Random(seed)
    days, kmax, kmin, koff = 11, rng.choice([2, 3, 4]), rng.choice([1, 2]), rng.choice([1, 2, 3])
    work = [None if rng.random() < 0.15 else rng.uniform(-3, 5) for _ in range(days)]

    def score(p):
        return sum(work[d] for d in range(days) if p[d])

    feasible = [
        p
        for p in itertools.product([False, True], repeat=days)
        if _runs_ok(p, work, kmax, kmin, koff)
    ]
    got = best_pattern(work, kmax, kmin, koff)
    assert _runs_ok(got, work, kmax, kmin, koff)
    assert score(got) == pytest.approx(max(score(p) for p in feasible))
    groups = [[5, 6]]  # day 5/6 = the weekend (horizon from a Monday)
    capped = longest_pattern(work, kmax, kmin, koff, groups, 0)
    assert _runs_ok(capped, work, kmax, kmin, koff) and not capped[5] and not capped[6]
    best = max(score(p) for p in feasible if not p[5] and not p[6])
    assert score(capped) == pytest.approx(best)


@pytest.mark.parametrize("name", ["Instance1.txt", "Instance4.txt", "Instance8.txt"])
def test_greedy_rows_keep_every_hard_rule_of_the_evaluator(name):
    from solver.lns_greedy import applicable as fast_ok
    from solver.lns_greedy import greedy_roster, improve_rows, row_violations

    inst, plan = load_nrp(INSTANCE2.with_name(name))
    problem = compile_plan(plan)
    assert fast_ok(problem)
    roster, failed = greedy_roster(problem, seed=1)
    assert failed == []
    ev = evaluate(inst, as_rows(inst, problem, roster))
    assert ev.feasible, ev.violations[:3]
    assert ev.objective == total_cost(problem, roster)
    better = improve_rows(problem, roster, seed=1, deadline=time.monotonic() + 2)
    ev2 = evaluate(inst, as_rows(inst, problem, better))
    assert ev2.feasible and ev2.objective <= ev.objective
    for v in range(len(problem.volunteers)):
        assert row_violations(problem, v, [o for o, u in better if u == v]) == []


def test_row_violations_agree_with_the_evaluator_on_a_broken_row(instance2):
    from solver.lns_greedy import row_violations

    inst, problem = instance2
    v = 0
    row = [o for o in problem.by_volunteer[v] if problem.occurrences[o].day < 14]
    by_day = {}
    for o in row:
        by_day.setdefault(problem.occurrences[o].day, o)
    row = list(by_day.values())  # every day worked: too many in a row, too many minutes
    bad = row_violations(problem, v, row)
    pairs = {(o, v) for o in row}
    ev = evaluate(inst, as_rows(inst, problem, pairs))
    mine = [x for x in ev.violations if x.startswith(inst.staff[v].id)]
    assert bad and mine
    assert any("in a row" in b for b in bad) and any("in a row" in m for m in mine)


def test_row_values_price_a_row_change_exactly(instance2):
    from collections import Counter

    from solver.lns_greedy import _values, greedy_roster, greedy_row
    from solver.lns_rules import request_values

    inst, problem = instance2
    roster, _ = greedy_roster(problem, seed=2)
    requests = request_values(problem)
    for v in range(len(problem.volunteers)):
        old = [o for o, u in roster if u == v]
        staffed = Counter(o for o, u in roster if u != v)
        value = _values(problem, v, staffed, requests)
        new = greedy_row(problem, v, value, random.Random(v), capacity=v % 2 == 1)
        if new is None:
            continue
        changed = {p for p in roster if p[1] != v} | {(o, v) for o in new}
        full = float(total_cost(problem, changed)) - float(total_cost(problem, roster))
        assert full == pytest.approx(sum(value[o] for o in old) - sum(value[o] for o in new))
        assert evaluate(inst, as_rows(inst, problem, changed)).feasible


def test_two_lanes_keep_every_rule_and_the_exact_objective():
    inst, plan = load_nrp(INSTANCE2.with_name("Instance8.txt"))
    problem = compile_plan(plan)
    sol = solve_lns(problem, SolveParams(time_limit=6, workers=2, seed=3))
    assert sol.stats["lns_lanes"] == 2 and sol.stats["start"] == "python"
    ev = evaluate(inst, as_rows(inst, problem, sol.assignments))
    assert ev.feasible and ev.objective == sol.objective
    assert sol.objective <= sol.stats["construct_objective"]


def test_sweep_steps_keep_every_rule_and_the_exact_objective(monkeypatch):
    import solver.lns
    from solver.colgen_rows import row_spaces

    # every step a sweep (the other kinds' shares scaled to 0), whatever the draws
    monkeypatch.setattr(solver.lns, "SWEEP_SHARE", 1.0)
    inst, plan = load_nrp(INSTANCE2.with_name("Instance8.txt"))
    problem = compile_plan(plan)
    params = SolveParams(time_limit=3, workers=2, seed=3)
    start = construct(problem, params, time.monotonic() + 10)
    assert start is not None
    stats: dict[str, object] = {}
    got = solver.lns._lns(problem, params, start, time.monotonic() + 3, None, stats,
                          row_spaces(problem))  # fmt: skip
    assert stats["lns_sweep"] >= 1 and stats["lns_sweep_share"] == 1.0
    assert not any(kind in stats for kind in ("lns_rows", "lns_window", "lns_weekend"))
    cost = total_cost(problem, got)
    ev = evaluate(inst, as_rows(inst, problem, got))
    assert ev.feasible and ev.objective == cost
    assert cost <= total_cost(problem, start)


def _fall_back_plan(late_start: str) -> dict:
    """QA's case: New York, clocks back at 02:00 on 3 Nov 2024; site b opens only on
    2 Nov with a 9 h shift at ``late_start``; site a has a 3 h shift at 01:15 on 3 Nov."""
    from tests.conftest import tiny_config

    return tiny_config(
        timezone="America/New_York",
        horizon={"start": "2024-11-02", "days": 2},
        shift_patterns={
            "e": [{"name": "early", "start": "01:15", "hours": 3}],
            "l": [{"name": "late", "start": late_start, "hours": 9}],
        },
        sites=[
            {"id": "a", "pattern": "e", "need": 1,
             "open": {"from": "2024-11-02T12:00", "to": "2024-11-04T00:00"}},
            {"id": "b", "pattern": "l", "need": 1,
             "open": {"from": "2024-11-02T00:00", "to": "2024-11-03T00:00"}},
        ],
        volunteers={"people": [{"id": "v1"}]},
        rules={"max_shifts_per_day": 1},
        weights={"fairness": 0},
    )  # fmt: skip


def test_row_methods_refused_where_a_shift_reaches_a_later_days_shift_by_instants() -> None:
    # b's 17:10 shift ends at 01:10 EST (06:10 UTC), after a's 01:15 EDT start (05:15 UTC)
    # the next day, though its wall clock reads earlier: the row methods (one shift a day,
    # none reaching the next day's) must not apply, and plan_roster's roster passes the
    # checker (it raised before: v1 on both). From 16:10 it ends at 05:10 UTC: they apply.
    from scheduler.loading import plan_from_dict
    from solver import lns_rules
    from solver.pipeline import plan_roster

    reaching = compile_plan(plan_from_dict(_fall_back_plan("17:10")))
    assert not lns_rules.applicable(reaching)
    roster, solution = plan_roster(reaching, SolveParams(time_limit=5, workers=1))
    assert solution.objective == 1000 and len(roster.assignments) == 1
    assert lns_rules.applicable(compile_plan(plan_from_dict(_fall_back_plan("16:10"))))
