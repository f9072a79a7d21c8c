"""Large-neighbourhood search on top of rota's CP-SAT model.

``solve_lns(problem, params)`` builds the full model once (:func:`solver.model.build_model`),
runs CP-SAT on it for a first share of the time (hinted with the greedy roster) and then,
until the time limit, repeatedly frees a *neighbourhood* of pair variables and fixes every
other pair to the incumbent (on a clone of the model, by setting variable domains, so
presolve removes them), hints the incumbent and re-solves in a short time slice. A
sub-solution at least as good becomes the incumbent (equal moves let the search drift
across plateaus). Neighbourhoods, chosen at random (seeded by ``params.seed``):

* ``staff``: every pair of a few volunteers over the whole horizon;
* ``window``: every pair in a window of consecutive days;
* ``staff-window``: more volunteers over a window of days;
* ``shift``: one shift name over a longer window of days.

Their size adapts: a sub-solve proved optimal grows it, a sub-solve that times out
shrinks it. The bound reported is the full model's (sub-solves prove nothing global).
"""

from __future__ import annotations

import dataclasses
import random
import time

from ortools.sat.python import cp_model

from scheduler.problem import Problem
from scheduler.roster import Status
from solver.model import build_model
from solver.objective import to_cost
from solver.types import Pair, Solution, SolveParams
from solver.variables import ModelContext

FIRST_SHARE = 0.25
"""Share of the time limit for the first full CP-SAT run (more if it finds nothing)."""
SLICE = (0.5, 5.0)
"""Bounds of one sub-solve's time slice, in seconds."""
KINDS = ("staff", "window", "staff-window", "shift")


@dataclasses.dataclass
class _State:
    values: dict[Pair, bool]
    objective: int  # internal units
    size: dict[str, float]
    tries: int = 0
    improvements: int = 0


def _cp_solver(params: SolveParams, limit: float, seed: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, limit)
    solver.parameters.num_workers = max(1, params.workers)
    solver.parameters.random_seed = seed
    return solver


def _hint(proto: cp_model.cp_model_pb2.CpModelProto, ctx: ModelContext, values: dict) -> None:
    hint = proto.solution_hint
    hint.vars.clear()
    hint.values.clear()
    hint.vars.extend([var.Index() for var in ctx.x.values()])
    hint.values.extend([int(values[pair]) for pair in ctx.x])


def neighbourhood(ctx: ModelContext, kind: str, size: float, rng: random.Random) -> set[Pair]:
    """Pairs to free for one LNS step (``size`` is a fraction of volunteers or days)."""
    problem = ctx.problem
    days = problem.config.horizon.days
    nvol = len(problem.volunteers)
    occ = problem.occurrences
    k_vol = max(1, min(nvol, round(size * nvol)))
    span = max(2, min(days, round(size * days * 2)))
    a = rng.randrange(0, max(1, days - span + 1))
    if kind == "staff":
        vols = set(rng.sample(range(nvol), k_vol))
        return {p for p in ctx.x if p[1] in vols}
    if kind == "window":
        return {p for p in ctx.x if a <= occ[p[0]].day < a + span}
    if kind == "staff-window":
        vols = set(rng.sample(range(nvol), min(nvol, 2 * k_vol)))
        wide = min(days, 2 * span)
        a = rng.randrange(0, max(1, days - wide + 1))
        return {p for p in ctx.x if p[1] in vols and a <= occ[p[0]].day < a + wide}
    names = sorted({o.shift for o in occ})
    name = rng.choice(names)
    wide = min(days, 4 * span)
    a = rng.randrange(0, max(1, days - wide + 1))
    return {p for p in ctx.x if occ[p[0]].shift == name and a <= occ[p[0]].day < a + wide}


def _step(ctx: ModelContext, state: _State, kind: str, limit: float, seed: int) -> str:
    rng = random.Random(seed)
    free = neighbourhood(ctx, kind, state.size[kind], rng)
    sub = ctx.model.clone()
    variables = sub.proto.variables
    for pair, var in ctx.x.items():
        if pair not in free:
            d = variables[var.Index()].domain
            d[0] = d[1] = int(state.values[pair])
    _hint(sub.proto, ctx, state.values)
    solver = _cp_solver(ctx.params, limit, seed)
    code = solver.Solve(sub)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        state.size[kind] *= 0.8
        return "none"
    obj = round(solver.ObjectiveValue())
    if code == cp_model.OPTIMAL:
        state.size[kind] = min(1.0, state.size[kind] * 1.15)
    else:
        state.size[kind] = max(0.01, state.size[kind] * 0.85)
    if obj <= state.objective:
        better = obj < state.objective
        state.values = {pair: solver.BooleanValue(var) for pair, var in ctx.x.items()}
        state.objective = obj
        state.improvements += better
        return "better" if better else "equal"
    return "worse"


def _full_solve(ctx: ModelContext, params: SolveParams, limit: float):
    solver = _cp_solver(params, limit, params.seed)
    code = solver.Solve(ctx.model)
    return solver, code


def solve_lns(problem: Problem, params: SolveParams) -> Solution:
    """Greedy hint, a full CP-SAT run, then LNS until ``params.time_limit`` (wall clock)."""
    t0 = time.monotonic()
    if not params.hint:
        from scheduler.greedy import greedy

        params = dataclasses.replace(params, hint=frozenset(greedy(problem)))
    ctx = build_model(problem, params)
    deadline = t0 + params.time_limit
    first = max(1.0, FIRST_SHARE * params.time_limit - (time.monotonic() - t0))
    solver, code = _full_solve(ctx, params, min(first, deadline - time.monotonic()))
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE) and deadline - time.monotonic() > 0.5:
        solver, code = _full_solve(ctx, params, deadline - time.monotonic())
    stats: dict[str, object] = {**ctx.stats, "first_status": solver.StatusName(code)}
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = Status.infeasible if code == cp_model.INFEASIBLE else Status.unknown
        return Solution(status, None, None, (), time.monotonic() - t0, stats,
                        "CP-SAT found no roster" if status is Status.unknown else
                        "hard limits contradict each other")  # fmt: skip
    bound = round(solver.BestObjectiveBound())
    state = _State(
        values={pair: solver.BooleanValue(var) for pair, var in ctx.x.items()},
        objective=round(solver.ObjectiveValue()),
        size={"staff": 0.15, "window": 0.15, "staff-window": 0.15, "shift": 0.25},
    )
    stats["first_objective"] = to_cost(state.objective)
    optimal = code == cp_model.OPTIMAL
    rng = random.Random(params.seed)
    while not optimal and state.objective > bound:
        left = deadline - time.monotonic()
        if left < SLICE[0]:
            break
        kind = rng.choice(KINDS)
        limit = min(left, max(SLICE[0], min(SLICE[1], left / 10)))
        _step(ctx, state, kind, limit, rng.randrange(1 << 30))
        state.tries += 1
    stats.update(lns_tries=state.tries, lns_improvements=state.improvements)
    assignments = tuple(sorted(p for p, on in state.values.items() if on))
    proved = optimal or state.objective <= bound
    return Solution(
        status=Status.optimal if proved else Status.feasible,
        objective=to_cost(state.objective),
        bound=to_cost(bound),
        assignments=assignments,
        seconds=time.monotonic() - t0,
        stats=stats,
    )
