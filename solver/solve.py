"""Solve a compiled problem with CP-SAT and report a neutral :class:`Solution`.

``solve(problem, params)`` builds the model (:func:`solver.model.build_model`), runs
CP-SAT with the time limit, workers and seed of ``params``, reports each improving
solution to ``params.on_progress`` and maps the status (OPTIMAL -> optimal,
FEASIBLE -> feasible, INFEASIBLE / MODEL_INVALID -> infeasible with an explanation,
UNKNOWN -> unknown). Objective and bound are in cost units (internal / 60).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.candidates import candidate_pairs, estimated_size
from solver.model import build_model
from solver.objective import to_cost
from solver.restrict import restricted
from solver.types import Pair, Progress, Solution, SolveParams
from solver.variables import ModelContext

__all__ = ["build_model", "explain_infeasible", "solve"]

_STATUS = {
    cp_model.OPTIMAL: Status.optimal,
    cp_model.FEASIBLE: Status.feasible,
    cp_model.INFEASIBLE: Status.infeasible,
    cp_model.MODEL_INVALID: Status.infeasible,
    cp_model.UNKNOWN: Status.unknown,
}
EXPLAIN_TIME_LIMIT = 10.0


class _ProgressCallback(cp_model.CpSolverSolutionCallback):
    """Forwards each improving solution to ``params.on_progress`` in cost units, and
    stops the search when ``stop_when`` says so (it sees the same progress), or, between
    solutions, ``stop_idle`` (:meth:`idle`: it sees the best so far)."""

    def __init__(
        self,
        params: SolveParams,
        stop_when: Callable[[Progress], bool] | None = None,
        stop_idle: Callable[[Progress], bool] | None = None,
    ) -> None:
        super().__init__()
        self._params = params
        self._stop_when = stop_when
        self._stop_idle = stop_idle
        self._best: float | None = None
        self._last: Progress | None = None
        self._lock = threading.Lock()  # the two are asked from two threads
        self.solutions = 0
        self.stopped = False

    def on_solution_callback(self) -> None:
        self.solutions += 1
        obj = self.ObjectiveValue()
        if self._best is not None and obj >= self._best:
            return
        self._best = obj
        progress = Progress(
            seconds=self.WallTime(),
            objective=to_cost(obj),
            bound=max(0, to_cost(self.BestObjectiveBound())),
        )
        if self._params.on_progress is not None:
            self._params.on_progress(progress)
        with self._lock:
            self._last = progress
            if self._stop_when is not None:
                self.stopped = self._stop_when(progress)
        if self.stopped:
            self.StopSearch()

    def idle(self, seconds: float) -> bool:
        """``stop_idle``'s verdict at ``seconds`` with no new solution since the last."""
        with self._lock:
            last = self._last
            if self._stop_idle is None or last is None or self.stopped:
                return False
            self.stopped = self._stop_idle(dataclasses.replace(last, seconds=seconds))
            return self.stopped


STOP_POLL = 0.25
"""Seconds between asking ``stop_idle`` with no new solution (:meth:`_ProgressCallback.idle`):
a search that finds nothing more is judged too, not only at its next solution (S1's
phase 1, seed 5, stalled at 2 398 found nothing for 9 s and ran its whole 16.5 s)."""


def _watch(solver: cp_model.CpSolver, callback: _ProgressCallback, done: threading.Event) -> None:
    """Until ``done``: every STOP_POLL s, stop the search when ``callback.idle`` says so."""
    t0 = time.monotonic()
    while not done.wait(STOP_POLL):
        if callback.idle(time.monotonic() - t0):
            solver.StopSearch()
            return


SYMMETRY_MAX_PAIRS = 10_000
"""Above this many pair variables symmetry detection is skipped (seconds on big graphs)."""


def _solver(
    params: SolveParams, time_limit: float, workers: int, pairs: int = 0
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.max_time_in_seconds = max(0.01, float(time_limit))
    p.num_workers = max(1, int(workers))
    p.random_seed = int(params.seed)
    # CP-SAT's presolve is off by default: on these models it costs seconds (probing tens
    # of thousands of literals) and rewrites the objective (expansion through the
    # coverage equalities) so that the bound stays meaningless for most of a 30-60 s run,
    # while without it the completed hint is the first solution and the LP bound is
    # available at once. Measured: Shanghai station 2 days 326/bound 284 vs 337/bound 0;
    # Xuchang 14 days 719/698 vs 1019/94; NRP Instance3/4 optimal (1001, 1716) vs not.
    p.cp_model_presolve = False
    if pairs > SYMMETRY_MAX_PAIRS:
        p.symmetry_level = 0
    for name, value in params.cp_sat_options.items():
        if not hasattr(p, name):
            raise ValueError(f"unknown CP-SAT parameter {name!r}")
        if isinstance(value, list | tuple):  # repeated fields, e.g. extra_subsolvers
            field = getattr(p, name)
            field.clear()
            field.extend(value)
        else:
            setattr(p, name, value)
    return solver


def solve_context(
    ctx: ModelContext,
    time_limit: float | None = None,
    stop_when: Callable[[Progress], bool] | None = None,
    stop_idle: Callable[[Progress], bool] | None = None,
) -> Solution:
    """Solve an already built context (lets NRP/LNS code add to the model first);
    ``stop_when`` ends the search early, judged at each improving solution, and
    ``stop_idle`` between them, every STOP_POLL s, with the best so far."""
    params = ctx.params
    t0 = time.monotonic()
    invalid = ctx.model.Validate()
    if invalid:
        return Solution(
            status=Status.infeasible,
            objective=None,
            bound=None,
            assignments=(),
            seconds=time.monotonic() - t0,
            stats=dict(ctx.stats),
            explanation=f"the model is invalid: {invalid}",
        )
    limit = params.time_limit if time_limit is None else time_limit
    solver = _solver(params, limit, params.workers, len(ctx.x))
    callback = _ProgressCallback(params, stop_when, stop_idle)
    done = threading.Event()
    watcher = None
    if stop_idle is not None:
        watcher = threading.Thread(target=_watch, args=(solver, callback, done), daemon=True)
        watcher.start()
    try:
        code = solver.Solve(ctx.model, callback)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    status = _STATUS.get(code, Status.unknown)
    assignments: tuple[Pair, ...] = ()
    objective = bound = None
    if status.has_roster:
        assignments = tuple(sorted(pair for pair, var in ctx.x.items() if solver.BooleanValue(var)))
        # The exact cost of the roster returned: auxiliaries of a non-optimal CP-SAT
        # solution may sit above their definition (e.g. a split flag left at 1).
        objective = total_cost(ctx.problem, assignments, params.previous)
        # every cost term is >= 0, so 0 is a valid bound whatever CP-SAT's presolve says
        bound = max(0, min(to_cost(solver.BestObjectiveBound()), objective))
    stats: dict[str, object] = {
        **ctx.stats,
        "cp_sat_status": solver.StatusName(code),
        "cp_sat_objective": to_cost(solver.ObjectiveValue()) if status.has_roster else None,
        "wall_time": round(solver.WallTime(), 3),
        "conflicts": solver.NumConflicts(),
        "branches": solver.NumBranches(),
        "solutions": callback.solutions,
        "workers": solver.parameters.num_workers,
        "seed": solver.parameters.random_seed,
    }
    return Solution(
        status=status,
        objective=objective,
        bound=bound,
        assignments=assignments,
        seconds=time.monotonic() - t0,
        stats=stats,
    )


def explain_infeasible(problem: Problem, params: SolveParams, time_limit: float) -> str:
    """Name hard limits that contradict each other, using CP-SAT assumptions.

    Rebuilds the model with an assumption literal on each rule that can make a plan
    infeasible (fixed pairs, frozen occurrences, minimum totals and runs, the change
    cap), solves for feasibility only and reads back a sufficient set of assumptions.
    """
    ctx = build_model(problem, params, explain=True)
    ctx.model.ClearObjective()
    ctx.model.ClearHints()
    ctx.model.AddAssumptions([lit for lit, _ in ctx.assumptions])
    solver = _solver(params, time_limit, 1)
    code = solver.Solve(ctx.model)
    if code != cp_model.INFEASIBLE:
        return (
            "hard limits contradict each other, but the conflicting rules could not be "
            f"isolated in {time_limit:g} s (CP-SAT: {solver.StatusName(code)})"
        )
    names = {lit.Index(): text for lit, text in ctx.assumptions}
    core = [names[i] for i in solver.SufficientAssumptionsForInfeasibility() if i in names]
    if not core:
        return "hard limits contradict each other regardless of fixed pairs and minimum rules"
    shown = "; ".join(core[:10]) + (f"; and {len(core) - 10} more" if len(core) > 10 else "")
    return (
        "hard limits contradict each other: these cannot all hold together with the "
        f"rest, hours, day and weekly limits: {shown}"
    )


WARM_START_MIN_PAIRS = 8_000
GUIDED = True
"""Solve large models LP-guided (:mod:`solver.guided`) before the warm-start path."""
WARM_START_SHARE = 0.5
BUILD_SECONDS_PER_PAIR = 60e-6
"""Model building, seconds per volunteer-shift pair, until a build on this machine
measured it (c13 of QA, 160 080 pairs: 8-13 s on a loaded 2-core VM)."""
GUIDED_BUILDS = 3.0
"""The LP-guided method (it builds the whole model, then solves its LP and a restricted
model) is tried only when the time limit holds this many estimated builds."""
MIN_FULL_SOLVE = 1.0
"""The whole model is built only when this long is left for CP-SAT after building it."""


def full_model_fits(problem: Problem, seconds: float, rate: float = BUILD_SECONDS_PER_PAIR) -> bool:
    """Whether ``seconds`` hold building the whole model (estimated at ``rate`` seconds
    per pair) and MIN_FULL_SOLVE of search on it; always on small models (at most
    WARM_START_MIN_PAIRS pairs: they build in a blink and have no restricted model)."""
    if problem.n_pairs <= WARM_START_MIN_PAIRS:
        return True
    return seconds >= rate * problem.n_pairs + MIN_FULL_SOLVE


def warm_fits(problem: Problem, deadline: float) -> bool:
    """Whether the time left holds building the restricted model (its size estimated
    from the needs and the pool) and half a second of search."""
    return deadline - time.monotonic() >= BUILD_SECONDS_PER_PAIR * estimated_size(problem) + 0.5


def warm_start(
    problem: Problem,
    params: SolveParams,
    seconds: float,
    keep: frozenset[Pair] | None = None,
    deadline: float | None = None,
) -> tuple[Solution | None, float]:
    """Solve ``problem`` restricted to :func:`candidate_pairs` (a far smaller model) to
    get a good roster fast; it is feasible for the full problem (only pairs are
    removed) and its cost is the same, so it becomes the full solve's hint. The search
    gets ``seconds``, and ends by ``deadline`` however long the build took. Also returns
    the seconds the restricted model took to build."""
    keep = candidate_pairs(problem, params) if keep is None else keep
    sub_problem = restricted(problem, lambda o, v: (o, v) in keep)
    on_progress = params.on_progress
    relay = None
    if on_progress is not None:  # the restricted bound says nothing about the full problem

        def relay(p: Progress) -> None:
            on_progress(Progress(seconds=p.seconds, objective=p.objective, bound=0))

    sub = dataclasses.replace(params, time_limit=seconds, on_progress=relay)
    t0 = time.monotonic()
    ctx = build_model(sub_problem, sub)
    built = time.monotonic() - t0
    if deadline is not None:
        seconds = max(0.1, min(seconds, deadline - time.monotonic()))
    solution = solve_context(ctx, seconds)
    return (solution if solution.status.has_roster else None), built


def solve(problem: Problem, params: SolveParams) -> Solution:
    """Build and solve ``problem``; on infeasibility, explain which hard limits conflict.

    Large problems (> WARM_START_MIN_PAIRS pairs) first spend WARM_START_SHARE of the
    time on a restricted model of promising pairs; its roster hints the full model,
    whose bound and status are what is reported. The whole model is built only when its
    estimated build time (BUILD_SECONDS_PER_PAIR, or the rate the restricted model's
    build measured) leaves MIN_FULL_SOLVE for CP-SAT: otherwise the restricted model
    gets all the time, and its roster (or none: the caller's greedy fallback) stands.
    """
    t0 = time.monotonic()
    deadline = t0 + params.time_limit
    rate = BUILD_SECONDS_PER_PAIR
    warm_stats: dict[str, object] = {}
    if problem.n_pairs > WARM_START_MIN_PAIRS and not params.hint:
        # CP-SAT alone is slow to a first good roster on large models: start from greedy
        from scheduler.greedy import greedy

        params = dataclasses.replace(params, hint=frozenset(greedy(problem)))
        warm_stats["greedy_hint"] = len(params.hint)
    guided_fits = params.time_limit >= max(5.0, GUIDED_BUILDS * rate * problem.n_pairs)
    if problem.n_pairs > WARM_START_MIN_PAIRS and guided_fits and GUIDED:
        from solver.guided import guided_solve

        guided = guided_solve(problem, params)
        if guided is not None:
            stats = {**guided.stats, **warm_stats, "method": "lp-guided"}
            return dataclasses.replace(guided, seconds=time.monotonic() - t0, stats=stats)
        warm_stats["lp_guided"] = "no LP in time"
        spent = time.monotonic() - t0
        params = dataclasses.replace(params, time_limit=max(1.0, params.time_limit - spent))

    def full_fits() -> bool:
        return full_model_fits(problem, deadline - time.monotonic(), rate)

    warm = None
    large = problem.n_pairs > WARM_START_MIN_PAIRS
    if large and (params.time_limit >= 5 or not full_fits()) and warm_fits(problem, deadline):
        keep = candidate_pairs(problem, params)
        left = deadline - time.monotonic()
        # when the whole model will not fit, the restricted one gets all the time
        seconds = params.time_limit * WARM_START_SHARE if full_fits() else left - rate * len(keep)
        if seconds >= 0.5:
            warm, built = warm_start(problem, params, seconds, keep, deadline)
            rate = max(rate, built / max(1, len(keep)))
            warm_stats["warm_start_build_seconds"] = round(built, 3)
        if warm is not None:
            warm_stats["warm_start_objective"] = warm.objective
            warm_stats["warm_start_pairs"] = warm.stats.get("pairs")
            params = dataclasses.replace(params, hint=frozenset(warm.assignments))
    if not full_fits():
        return _without_full_model(problem, warm, warm_stats, rate, t0, deadline)
    ctx = build_model(problem, params)
    built = time.monotonic() - t0
    remaining = max(0.1, deadline - time.monotonic())
    solution = solve_context(ctx, remaining)
    if warm is not None and (
        not solution.status.has_roster or (warm.objective or 0) < (solution.objective or 0)
    ):
        # the full model found nothing better in the time left: the warm start's roster
        # stands (feasible for the full problem, same cost); its bound says nothing here
        warm_stats["roster_source"] = "warm start"
        bound = solution.bound if solution.status.has_roster else None
        solution = dataclasses.replace(
            warm, status=Status.feasible, bound=bound, stats={**solution.stats}
        )
    stats = {**solution.stats, **warm_stats, "build_seconds": round(built, 3)}
    explanation = solution.explanation
    if solution.status is Status.infeasible and explanation is None:
        explanation = explain_infeasible(
            problem, params, min(EXPLAIN_TIME_LIMIT, max(1.0, params.time_limit))
        )
    return Solution(
        status=solution.status,
        objective=solution.objective,
        bound=solution.bound,
        assignments=solution.assignments,
        seconds=time.monotonic() - t0,
        stats=stats,
        explanation=explanation,
    )


def _without_full_model(
    problem: Problem,
    warm: Solution | None,
    stats: dict[str, object],
    rate: float,
    t0: float,
    deadline: float,
) -> Solution:
    """What :func:`solve` reports when the time left cannot build the whole model: the
    restricted model's roster (no bound on the whole problem), or no roster."""
    left = max(0.0, deadline - time.monotonic())
    stats = {
        **stats,
        "full_model": f"skipped: about {rate * problem.n_pairs:.1f} s to build "
        f"{problem.n_pairs} pairs, {left:.1f} s left",
    }
    if warm is not None:
        stats = {**warm.stats, **stats, "roster_source": "warm start"}
        return dataclasses.replace(
            warm, status=Status.feasible, bound=None, stats=stats,
            seconds=time.monotonic() - t0,
        )  # fmt: skip
    return Solution(
        status=Status.unknown, objective=None, bound=None, assignments=(),
        seconds=time.monotonic() - t0, stats=stats,
    )  # fmt: skip
