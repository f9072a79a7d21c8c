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
from tests.conftest import nrp_data

INSTANCE2 = nrp_data() / "instances" / "Instance2.txt"
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


def test_row_violations_agree_with_the_evaluator_on_a_broken_row(nrp2):
    from solver.lns_greedy import row_violations

    inst, problem = nrp2
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


def test_row_values_price_a_row_change_exactly(nrp2):
    from collections import Counter

    from solver.lns_greedy import _values, greedy_roster, greedy_row
    from solver.lns_rules import request_values

    inst, problem = nrp2
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


def test_targeted_staff_come_from_the_pool_and_favour_short_slots(nrp2):
    from solver.lns import _targeted

    _, problem = nrp2
    roster = {(o, v) for o, v in [(occ.index, 0) for occ in problem.occurrences][:3]}
    window = range(7, 14)  # three pairs in the first days: every slot of week 2 is short
    short = {
        v for occ in problem.occurrences if occ.day in window and occ.need
        for v in problem.eligible[occ.index]
    }  # fmt: skip
    pool = [v for v in range(len(problem.volunteers)) if v % 2 == 0]
    assert short & set(pool)
    for seed in range(5):
        got = _targeted(problem, roster, window, pool, 4, random.Random(seed))
        assert len(got) == len(set(got)) == 4 and set(got) <= set(pool)
        assert set(got) & short


def test_window_share_follows_the_cost_saved_per_second_within_its_range():
    from solver.lns import SHARE_RANGE, WINDOW_SHARE, kind_shares

    def window_share(rate: dict[str, float]) -> float:
        return kind_shares(rate, {"rows": 1 - WINDOW_SHARE, "window": WINDOW_SHARE})["window"]

    assert window_share({"rows": 1.0, "window": 3.0}) == pytest.approx(0.75)
    assert window_share({"rows": 3.0, "window": 1.0}) == pytest.approx(0.25)
    assert window_share({"rows": 0.0, "window": 5.0}) == SHARE_RANGE[1]
    assert window_share({"rows": 5.0, "window": 0.0}) == SHARE_RANGE[0]
    assert window_share({"rows": 0.0, "window": 0.0}) == WINDOW_SHARE


def test_three_kinds_share_the_steps_by_cost_saved_each_above_its_floor():
    from solver.lns import SHARE_RANGE, _kind, kind_shares

    initial = {"rows": 0.25, "window": 0.5, "weekend": 0.25}
    assert kind_shares({"rows": 0.0, "window": 0.0, "weekend": 0.0}, initial) == initial
    got = kind_shares({"rows": 1.0, "window": 2.0, "weekend": 1.0}, initial)
    assert got == pytest.approx({"rows": 0.25, "window": 0.5, "weekend": 0.25})
    got = kind_shares({"rows": 0.0, "window": 9.0, "weekend": 2.0}, initial)
    floor = SHARE_RANGE[0] * 2 / 3  # rows saved nothing: kept at the floor, then rescaled
    scale = floor + 9 / 11 + 2 / 11
    assert got == pytest.approx({"rows": floor / scale, "window": 9 / 11 / scale,
                                 "weekend": 2 / 11 / scale})  # fmt: skip
    assert [_kind(initial, u) for u in (0.1, 0.6, 0.9)] == ["window", "weekend", "rows"]
    assert _kind({"rows": 1.0}, 0.99) == "rows"
    four = {"rows": 0.2, "window": 0.4, "weekend": 0.2, "sweep": 0.2}
    assert [_kind(four, u) for u in (0.3, 0.5, 0.7, 0.9)] == ["window", "weekend", "sweep", "rows"]


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


def _one_place(over_cover: int | None):
    """One shift on one day, needing one person, two volunteers who could take it."""
    from tests.solver.support import one_shift, problem

    return problem(
        shift_patterns=one_shift(), horizon={"start": "2020-01-29", "days": 1},
        weights={"fairness": 0, "over_cover": over_cover},
        sites=[{"id": "exit-se", "pattern": "one", "need": 1}],
    )  # fmt: skip


@pytest.mark.parametrize("over_cover", [None, 1])
def test_two_lanes_filling_the_same_gap_are_not_merged_above_need(over_cover):
    from collections import Counter

    from solver.lns import _accept

    p = _one_place(over_cover)
    a, b = {(0, 0)}, {(0, 1)}  # each lane fills the one place, with its own volunteer
    jobs = [("rows", [0], None, 1), ("rows", [1], None, 2)]
    empty = float(total_cost(p, set()))
    results = [(r, True, empty - float(total_cost(p, r)), 0.1, 0.1) for r in (a, b)]
    count: Counter[str] = Counter()
    best, cost = _accept(p, set(), empty, jobs, results, count)
    if over_cover is None:  # two on a shift that needs one: forbidden, whatever it costs
        assert best in (a, b) and cost == float(total_cost(p, best))
    else:  # allowed: the merge is weighed by its cost (one over-cover) and loses
        assert best in (a, b) and cost == float(total_cost(p, best)) == 0
    assert sum(count.values()) == 1


def _search(p, roster, rng_seed=1):
    from collections import Counter

    import solver.lns

    sizes = solver.lns._Sizes(2.0, 2.0, 1.0, len(p.volunteers), 1)
    return solver.lns._Search(
        p, SolveParams(workers=2), set(roster), float(total_cost(p, roster)), time.monotonic(),
        None, None, sizes, {"rows": 1.0}, {"rows": 0.0}, Counter(), random.Random(rng_seed),
    )  # fmt: skip


@pytest.mark.parametrize("over_cover", [None, 1])
def test_a_lane_that_ends_after_the_roster_moved_is_weighed_on_the_roster_as_it_is(over_cover):
    p = _one_place(over_cover)
    empty = float(total_cost(p, set()))
    a, b = {(0, 0)}, {(0, 1)}  # each lane fills the one place, with its own volunteer
    search = _search(p, set())
    base = search.roster
    search._apply(("rows", [1], None, 2), base, 1.0, (b, True, empty, 0.1, 0.1))
    assert search.roster == b and search.cost == 0 == float(total_cost(p, b))
    # lane a started from the empty roster too: on the roster as it is now it over-covers
    search._apply(("rows", [0], None, 1), base, 1.0, (a, True, empty, 0.1, 0.1))
    assert search.roster == b and search.cost == 0
    assert search.count["rows"] == 2 and search.count["rows_better"] == 1


def test_a_lane_that_ends_after_the_roster_moved_keeps_the_other_lanes_change(nrp2):
    inst, problem = nrp2
    start = construct(problem, SolveParams(workers=1), time.monotonic() + 10)
    assert start is not None
    search = _search(problem, start)
    base = search.roster
    # lane 1 moved volunteer 0's row; lane 2 (volunteer 1) started before that
    row0 = {p for p in base if p[1] == 0}
    moved = (base - {min(row0)}) if row0 else base
    search.roster, search.cost = moved, float(total_cost(problem, moved))
    row1 = {p for p in base if p[1] == 1}
    changed = base - {min(row1)}  # lane 2 drops one of volunteer 1's shifts
    gain = float(total_cost(problem, base)) - float(total_cost(problem, changed))
    before = search.cost
    search._apply(("rows", [1], None, 3), base, 1.0, (changed, True, gain, 0.1, 0.1))
    merged = moved - {min(row1)}
    expect = float(total_cost(problem, merged))
    if expect <= before + 1e-9:  # kept: both changes, at the exact cost
        assert search.roster == merged and search.cost == pytest.approx(expect)
    else:  # dearer on the roster as it is now: not kept
        assert search.roster == moved and search.cost == before
    assert evaluate(inst, as_rows(inst, problem, search.roster)).objective == search.cost


def test_unsynchronised_lanes_never_share_a_volunteer(nrp2, monkeypatch):
    import threading

    import solver.lns

    _, problem = nrp2
    params = SolveParams(time_limit=1, workers=2, seed=1)
    start = construct(problem, params, time.monotonic() + 10)
    assert start is not None
    held: set[int] = set()
    lock = threading.Lock()
    clashes, runs = [], []

    def fake_run(problem, roster, params, limit, started, job):
        with lock:
            clashes.extend(set(job[1]) & held)
            held.update(job[1])
            runs.append(job[0])
        time.sleep(0.002 * (1 + len(runs) % 3))  # lanes end out of step
        with lock:
            held.difference_update(job[1])
        return None, False, 0.0, time.monotonic() - started, 0.0

    monkeypatch.setattr(solver.lns, "_run", fake_run)
    stats: dict[str, object] = {}
    got = solver.lns._lns(problem, params, start, time.monotonic() + 0.5, None, stats)
    assert got == start and stats["lns_lanes"] == 2
    assert len(runs) > 20 and not clashes
