"""LP-guided solving (solver/guided.py): bound from the LP, search on its support.

Every roster goes through the independent checker (``support.run``); the reported bound
is the LP's (or better) and never above the roster's cost; fixed pairs stay.
"""

from __future__ import annotations

import numpy as np
import pytest

import solver.guided as guided_module
import solver.solve as solve_module
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.guided import Stall, _phase_level, guided_solve
from solver.relax import Relaxation
from solver.types import Progress, SolveParams
from tests.solver.support import pair, people, problem, run


def _located(n: int) -> list[dict]:
    return [
        {"id": f"v{i}", "lat": 31.0 + 0.01 * i, "lon": 121.0, "team": f"t{i % 3}"}
        for i in range(1, n + 1)
    ]


def _one_exit() -> Problem:
    """One exit, three 8 h shifts needing 2, twelve located volunteers in three teams,
    every soft term priced."""
    return problem(
        rules={"min_rest_hours": 12, "max_hours_per_week": 24},
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2,
                "location": {"lat": 31.0, "lon": 121.0}}],
        weights={"uncovered": 1000, "travel_km": 1, "fairness": 10, "team_split": 2},
        volunteers={"people": _located(12)},
    )  # fmt: skip


def test_guided_roster_is_valid_and_bounded(guided_always: None) -> None:
    p = _one_exit()
    sol = run(p, time_limit=6, workers=2)
    assert sol.stats["method"] == "lp-guided"
    assert sol.stats["lp_bound"] <= sol.objective
    assert sol.stats["rounded_objective"] >= sol.stats["lp_bound"]  # a roster's cost
    # the widened phase searches a superset of the restricted one's pairs, from its roster
    assert sol.stats["widened_pairs"] >= sol.stats["restricted_pairs"]
    assert sol.stats["widened_objective"] is not None
    assert sol.objective <= sol.stats["restricted_objective"]
    assert sol.bound is not None and sol.stats["lp_bound"] <= sol.bound <= sol.objective
    assert sol.status is Status.optimal or sol.bound < sol.objective


def test_stall_needs_a_slow_window_after_its_start() -> None:
    stall = Stall(after=3.0, window=2.0, ratio=0.01)
    assert not stall(Progress(0.0, objective=1000, bound=0))
    assert not stall(Progress(1.0, objective=900, bound=0))  # before `after`
    assert not stall(Progress(3.5, objective=850, bound=0))  # 900 two seconds before
    assert not stall(Progress(4.0, objective=845, bound=0))  # still 900 at 2.0 s
    assert stall(Progress(6.0, objective=842, bound=0))  # 845 at 4.0 s: less than 1 %


def test_stall_judges_a_phase_lost_above_its_level_after_its_start() -> None:
    stall = Stall(after=3.0, window=2.0, ratio=0.01, lost_above=500)
    assert not stall(Progress(0.0, objective=1000, bound=0))
    assert not stall(Progress(2.9, objective=900, bound=0))  # before `after`
    assert stall(Progress(3.1, objective=600, bound=0))  # improving fast, but lost
    kept = Stall(after=3.0, window=2.0, ratio=0.01, lost_above=500)
    assert not kept(Progress(0.0, objective=1000, bound=0))
    assert not kept(Progress(3.1, objective=450, bound=0))  # below the level: goes on


def test_stall_between_rosters_waits_out_a_quiet_spell_above_its_line() -> None:
    stall = Stall(after=3.0, window=2.0, ratio=0.01, quiet_above=800)
    assert not stall(Progress(0.0, objective=1000, bound=0))
    assert not stall.idle(Progress(6.0, objective=1000, bound=0))  # quiet, but far above
    assert not stall(Progress(7.0, objective=790, bound=0))  # the dive's roster
    assert not stall.idle(Progress(8.0, objective=790, bound=0))  # 1000 at 6.0 s
    assert stall.idle(Progress(9.5, objective=790, bound=0))  # nothing new since 7.0 s
    lost = Stall(after=3.0, window=2.0, ratio=0.01, lost_above=900, quiet_above=800)
    assert not lost(Progress(0.0, objective=1000, bound=0))
    assert lost.idle(Progress(3.5, objective=1000, bound=0))  # lost, quiet or not


def test_guided_keeps_fixed_pairs(guided_always: None) -> None:
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(10)})
    fixed = frozenset({pair(p, "exit-se", "night", "2020-01-29", "v7")})
    sol = run(p, time_limit=6, fixed=fixed)
    assert sol.stats["method"] == "lp-guided"
    assert fixed <= set(sol.assignments)


def test_no_lp_in_time_falls_back_to_the_warm_start(
    guided_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solver.guided as guided_module

    monkeypatch.setattr(guided_module, "LP_SHARE", 0.0)
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(20)})
    assert guided_solve(p, SolveParams(time_limit=5, workers=1)) is None
    sol = run(p, time_limit=6)
    assert sol.stats["lp_guided"] == "no LP in time"
    assert "warm_start_objective" in sol.stats


def test_progress_reports_the_lp_bound(guided_always: None) -> None:
    seen: list[Progress] = []
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(10)})
    sol = run(p, time_limit=6, on_progress=seen.append)
    assert seen, "no progress reported"
    assert all(s.bound <= s.objective for s in seen)
    assert seen[0].bound == sol.stats["lp_bound"] or seen[0].bound == seen[0].objective
    assert seen[-1].objective >= sol.objective


def test_infeasible_fixed_pairs_still_explained(guided_always: None) -> None:
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(8)})
    a = pair(p, "exit-se", "day", "2020-01-29", "v1")
    b = pair(p, "exit-se", "evening", "2020-01-29", "v1")
    sol = solve_module.solve(p, SolveParams(time_limit=5, workers=1, fixed=frozenset({a, b})))
    assert sol.status is Status.infeasible and sol.assignments == ()
    assert "fixed: v1 on exit-se day" in (sol.explanation or "")


def test_phase_level_is_the_highest_single_roster_load() -> None:
    # one volunteer, three 8 h shifts: a roster working the early shift and one working
    # the late shift each load them 480 min; the level is 480 (each stays feasible), not
    # the 960 of the two rosters' union, and never below the LP's own level
    p = problem(volunteers={"people": people(1)})
    early, late = frozenset({(0, 0)}), frozenset({(1, 0)})
    assert p.occurrences[0].minutes == p.occurrences[1].minutes == 480

    class Hi:
        def Index(self) -> int:  # CP-SAT's name
            return 0

    def relax(level: float) -> Relaxation:
        x = np.array([level])
        return Relaxation(value=0, bound=0, x=x, central=None, reduced=x, seconds=0, method="")

    assert _phase_level(p, relax(100.2), Hi(), (early, late)) == 480
    assert _phase_level(p, relax(700.2), Hi(), (early, late)) == 701


def test_a_lost_phase_hands_over_to_swaps(
    guided_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with the lost level at a millionth of the LP bound every phase 1 counts as lost:
    # swaps and hand-overs take its roster over, and what comes out still passes the
    # independent checker (``run``) and costs no more than phase 1's roster
    monkeypatch.setattr(guided_module, "LOST_RATIO", 1e-6)
    p = _one_exit()
    sol = run(p, time_limit=6, workers=2)
    assert sol.stats["method"] == "lp-guided" and sol.stats["lp_bound"] >= 1
    assert sol.stats["lost_swaps"] is not None
    assert sol.stats["swapped_objective"] <= sol.stats["restricted_objective"]
    assert sol.objective <= sol.stats["swapped_objective"]
