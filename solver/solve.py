"""Solve a compiled problem with CP-SAT and report a neutral :class:`Solution`.

``solve(problem, params)`` builds the model (:func:`solver.model.build_model`), runs
CP-SAT with the time limit, workers and seed of ``params``, reports each improving
solution to ``params.on_progress`` and maps the status (OPTIMAL -> optimal,
FEASIBLE -> feasible, INFEASIBLE / MODEL_INVALID -> infeasible with an explanation,
UNKNOWN -> unknown). Objective and bound are in cost units (internal / 60).
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.model import build_model
from solver.objective import to_cost
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
    """Forwards each improving solution to ``params.on_progress`` in cost units."""

    def __init__(self, params: SolveParams) -> None:
        super().__init__()
        self._params = params
        self._best: float | None = None
        self.solutions = 0

    def on_solution_callback(self) -> None:
        self.solutions += 1
        obj = self.ObjectiveValue()
        if self._best is not None and obj >= self._best:
            return
        self._best = obj
        if self._params.on_progress is not None:
            self._params.on_progress(
                Progress(
                    seconds=self.WallTime(),
                    objective=to_cost(obj),
                    bound=to_cost(self.BestObjectiveBound()),
                )
            )


def _solver(params: SolveParams, time_limit: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, float(time_limit))
    solver.parameters.num_workers = max(1, int(workers))
    solver.parameters.random_seed = int(params.seed)
    return solver


def solve_context(ctx: ModelContext, time_limit: float | None = None) -> Solution:
    """Solve an already built context (lets NRP/LNS code add to the model first)."""
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
    solver = _solver(params, limit, params.workers)
    callback = _ProgressCallback(params)
    code = solver.Solve(ctx.model, callback)
    status = _STATUS.get(code, Status.unknown)
    assignments: tuple[Pair, ...] = ()
    objective = bound = None
    if status.has_roster:
        assignments = tuple(sorted(pair for pair, var in ctx.x.items() if solver.BooleanValue(var)))
        # The exact cost of the roster returned: auxiliaries of a non-optimal CP-SAT
        # solution may sit above their definition (e.g. a split flag left at 1).
        objective = total_cost(ctx.problem, assignments, params.previous)
        bound = min(to_cost(solver.BestObjectiveBound()), objective)
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


def solve(problem: Problem, params: SolveParams) -> Solution:
    """Build and solve ``problem``; on infeasibility, explain which hard limits conflict."""
    t0 = time.monotonic()
    ctx = build_model(problem, params)
    built = time.monotonic() - t0
    remaining = max(0.1, params.time_limit - built)
    solution = solve_context(ctx, remaining)
    stats = {**solution.stats, "build_seconds": round(built, 3)}
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
