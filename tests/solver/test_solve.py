"""solve(): status mapping, progress reports, parameters, explanations, build_model reuse."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

import pytest

import solver.solve
from scheduler.roster import Status
from solver.solve import build_model, solve, solve_context
from solver.types import Progress, SolveParams
from tests.solver.support import pair, people, problem, run


def test_progress_reported_on_improving_solutions() -> None:
    seen: list[Progress] = []
    p = problem(rules={"min_rest_hours": 12})
    sol = run(p, on_progress=seen.append, seed=7)
    assert seen, "no progress reported"
    objs = [s.objective for s in seen]
    assert objs == sorted(objs, reverse=True) and len(set(objs)) == len(objs)
    assert all(s.bound <= s.objective for s in seen)
    assert sol.stats["seed"] == 7 and sol.stats["workers"] == 1


def test_stop_when_ends_the_search_at_an_improving_solution() -> None:
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(12)})
    ctx = build_model(p, SolveParams(workers=1))
    seen: list[Progress] = []

    def stop(progress: Progress) -> bool:
        seen.append(progress)
        return True

    sol = solve_context(ctx, 20, stop_when=stop)
    assert sol.status.has_roster
    assert len(seen) == 1 and sol.stats["solutions"] == 1
    assert sol.seconds < 10


def test_hint_is_completed_and_used() -> None:
    p = problem(rules={"min_rest_hours": 12})
    hint = frozenset(run(p).assignments)
    sol = run(p, hint=hint)
    assert sol.stats["hint"] == "full"
    assert sol.stats["hinted_pairs"] == len(hint)


def test_fixed_pairs_breaking_rest_are_infeasible_and_named() -> None:
    p = problem(rules={"min_rest_hours": 12})
    a = pair(p, "exit-se", "day", "2020-01-29", "v1")
    b = pair(p, "exit-se", "evening", "2020-01-29", "v1")
    sol = solve(p, SolveParams(time_limit=5, workers=1, fixed=frozenset({a, b})))
    assert sol.status is Status.infeasible
    assert sol.objective is None and sol.assignments == ()
    text = sol.explanation or ""
    assert "fixed: v1 on exit-se day" in text and "fixed: v1 on exit-se evening" in text


def test_build_model_exposes_pair_variables() -> None:
    p = problem()
    ctx = build_model(p, SolveParams())
    assert set(ctx.x) == {(o, v) for o, vols in enumerate(p.eligible) for v in vols}
    assert sum(len(x) for x in ctx.vol_vars) == len(ctx.x) == p.n_pairs
    assert ctx.model.Validate() == ""


def test_empty_plan_is_optimal_with_nothing_to_do() -> None:
    p = problem(sites=[{"id": "exit-se", "pattern": "three-8h", "need": 0}])
    sol = run(p)
    assert sol.status is Status.optimal and sol.assignments == () and sol.objective == 0


def test_hint_breaking_rest_is_repaired() -> None:
    p = problem(rules={"min_rest_hours": 12})
    bad = frozenset(
        {
            pair(p, "exit-se", "day", "2020-01-29", "v1"),
            pair(p, "exit-se", "evening", "2020-01-29", "v1"),
        }
    )
    sol = run(p, hint=bad)
    assert sol.stats["hint"].startswith("repaired")
    assert sol.status is Status.optimal


def test_cp_sat_options_override_defaults() -> None:
    p = problem()
    sol = run(p, cp_sat_options={"num_workers": 1, "cp_model_presolve": False})
    assert sol.status is Status.optimal
    try:
        solve(p, SolveParams(time_limit=1, cp_sat_options={"no_such_parameter": 1}))
    except ValueError as err:
        assert "no_such_parameter" in str(err)
    else:
        raise AssertionError("an unknown CP-SAT parameter was accepted")


def test_minimum_for_volunteer_who_can_never_work_is_explained() -> None:
    never = {"id": "v9", "available": "2021-01-01T00:00/2021-01-02T00:00", "min_hours_total": 8}
    p = problem(volunteers={"people": [{"id": "v1"}, never]})
    sol = solve(p, SolveParams(time_limit=5, workers=1))
    assert sol.status is Status.infeasible
    assert "v9 must work at least 8 h" in (sol.explanation or "")


def test_warm_start_on_candidate_pairs_then_full_model(monkeypatch) -> None:
    import solver.solve as solve_module
    from solver import candidates

    monkeypatch.setattr(solve_module, "WARM_START_MIN_PAIRS", 0)
    monkeypatch.setattr(solve_module, "GUIDED", False)
    monkeypatch.setattr(candidates, "PER_OCCURRENCE", 1)
    monkeypatch.setattr(candidates, "PER_VOLUNTEER", 1)
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(20)})
    keep = candidates.candidate_pairs(p, SolveParams())
    assert len(keep) < p.n_pairs  # the warm-start model really is smaller
    assert all(sum((o, v) in keep for v in p.eligible[o]) >= 12 for o in range(len(p.occurrences)))
    sol = run(p, time_limit=5)
    assert "warm_start_objective" in sol.stats and "greedy_hint" in sol.stats
    assert sol.status is Status.optimal and sol.objective <= sol.stats["warm_start_objective"]


def test_warm_start_roster_stands_when_the_full_model_finds_none(monkeypatch) -> None:
    import solver.solve as solve_module

    monkeypatch.setattr(solve_module, "WARM_START_MIN_PAIRS", 0)
    monkeypatch.setattr(solve_module, "GUIDED", False)
    real = solve_module.solve_context
    calls: list[int] = []

    def full_model_times_out(ctx, time_limit=None, stop_when=None):
        calls.append(len(ctx.x))
        if len(calls) == 1:  # the warm start, on its candidate pairs
            return real(ctx, time_limit, stop_when)
        return dataclasses.replace(real(ctx, 0.001), status=Status.unknown, assignments=())

    monkeypatch.setattr(solve_module, "solve_context", full_model_times_out)
    p = problem(rules={"min_rest_hours": 12}, volunteers={"people": people(20)})
    sol = run(p, time_limit=5)
    assert len(calls) == 2
    assert sol.stats["roster_source"] == "warm start"
    assert sol.status is Status.feasible and sol.assignments
    assert sol.objective == sol.stats["warm_start_objective"]


def _slow_builds(monkeypatch: pytest.MonkeyPatch, per_pair: float) -> None:
    """Pretend the whole model builds at ``per_pair`` seconds a pair, and treat every
    model as large (a restricted model exists)."""
    monkeypatch.setattr(solver.solve, "WARM_START_MIN_PAIRS", 10)
    monkeypatch.setattr(solver.solve, "BUILD_SECONDS_PER_PAIR", per_pair)
    monkeypatch.setattr(solver.solve, "GUIDED", False)


def test_whole_model_skipped_when_its_build_would_overrun(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    p = problem(volunteers={"people": people(30)}, horizon={"start": "2020-01-29", "days": 4})
    _slow_builds(monkeypatch, per_pair=0.006)  # 360 pairs: 2.2 s + 1 s of search > 3 s
    sol = solve(p, SolveParams(time_limit=3, workers=1))
    assert str(sol.stats["full_model"]).startswith("skipped: about 2.2 s to build 360 pairs")
    assert sol.status is Status.feasible and sol.stats["roster_source"] == "warm start"
    assert sol.bound is None  # the restricted model proves nothing about the whole one
    assert sol.seconds < 3


def test_whole_model_built_when_it_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    p = problem(volunteers={"people": people(30)}, horizon={"start": "2020-01-29", "days": 4})
    _slow_builds(monkeypatch, per_pair=1e-6)
    sol = solve(p, SolveParams(time_limit=3, workers=1))
    assert "full_model" not in sol.stats and sol.status is Status.optimal


def test_plan_roster_starts_the_restricted_model_from_the_cheapest_hand_roster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scheduler.greedy import greedy
    from solver import pipeline

    p = problem(volunteers={"people": people(30)}, horizon={"start": "2020-01-29", "days": 4})
    _slow_builds(monkeypatch, per_pair=0.006)
    hints: list[frozenset[tuple[int, int]]] = []
    real = solver.solve.solve

    def spy(problem_: object, params: SolveParams) -> object:
        hints.append(params.hint)
        return real(problem_, params)  # type: ignore[arg-type]

    monkeypatch.setattr(solver.solve, "solve", spy)
    roster, _ = pipeline.plan_roster(p, SolveParams(time_limit=3, workers=1))
    hand = pipeline.hand_rosters(p, frozenset(greedy(p)))
    assert hints == [hand[0][2]]
    assert roster.objective is not None and roster.objective <= hand[0][0]


def _asks(answers: list[bool]) -> tuple[list[Progress], Callable[[Progress], bool]]:
    seen: list[Progress] = []

    def stop(progress: Progress) -> bool:
        seen.append(progress)
        return answers[len(seen) - 1]

    return seen, stop


def test_stop_when_is_asked_between_solutions_with_the_best_so_far() -> None:
    seen, stop = _asks([False, True])
    callback = solver.solve._ProgressCallback(SolveParams(), None, stop)
    assert not callback.idle(1.0)  # no solution yet: nothing to judge
    assert seen == []
    callback._last = Progress(seconds=0.5, objective=120, bound=100)
    assert not callback.idle(2.0)
    assert callback.idle(3.0) and callback.stopped
    assert [(p.seconds, p.objective, p.bound) for p in seen] == [(2.0, 120, 100), (3.0, 120, 100)]
    assert not callback.idle(4.0) and len(seen) == 2  # stopping already: not asked again


class _Solver:
    def __init__(self) -> None:
        self.stops = 0

    def StopSearch(self) -> None:
        self.stops += 1


class _Idle:
    def __init__(self, stop_at: int) -> None:
        self.calls, self.stop_at = 0, stop_at

    def idle(self, seconds: float) -> bool:
        self.calls += 1
        return self.calls >= self.stop_at


def test_the_watch_stops_the_search_when_idle_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver.solve, "STOP_POLL", 0.01)
    fake, idle = _Solver(), _Idle(stop_at=3)
    solver.solve._watch(fake, idle, threading.Event())  # type: ignore[arg-type]
    assert (fake.stops, idle.calls) == (1, 3)
    done = threading.Event()
    done.set()  # the search ended first: nothing asked, nothing stopped
    fake, idle = _Solver(), _Idle(stop_at=1)
    solver.solve._watch(fake, idle, done)  # type: ignore[arg-type]
    assert (fake.stops, idle.calls) == (0, 0)
