"""LP-guided solving of large models: bound from the relaxation, search on its support.

On models of tens of thousands of pairs CP-SAT alone, in 30 s, neither proves a useful
bound (its root LP leaves the clauses out and settles slowly) nor finds the cheap
rosters: a max-min fairness term makes every single move that loads the nearest
volunteers more look worse, so its local search stays on a plateau far from optimal
(Shanghai station: 2 518 against an LP bound of 2 286.5). :func:`guided_solve`:

1. builds the full model without a hint and solves its LP relaxation
   (:func:`solver.relax.lp_relaxation`, HiGHS interior point): a valid bound;
2. restricts the problem to the pairs the LP uses (plus hinted, fixed and previous
   pairs) and fixes fairness' ``minutes_max`` at the LP's value rounded up (or the
   hint's highest load, if higher, so the hint stays feasible): the fairness term is a
   constant and the search can load volunteers up to that level;
   CP-SAT solves this small problem (a relaxation-induced neighbourhood, "RENS") hinted
   with the greedy roster, most of the remaining time;
3. hints the full model with the best roster and lets CP-SAT improve it for the rest.

The reported bound is the larger of the LP's and the full model's; the status is
optimal when the roster's cost reaches it. Returns None when the LP is not solved in
its share of the time, and the caller falls back to its plain path.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.model import add_hint, build_model
from solver.objective import to_cost
from solver.relax import Relaxation, lp_relaxation
from solver.solve import solve_context
from solver.types import Pair, Progress, Solution, SolveParams
from solver.variables import ModelContext

LP_SHARE = 0.45
"""At most this share of the time limit for building the model and solving the LP."""
RESTRICTED_SHARE = 0.8
"""Share of the time left after the LP for the restricted (support) problem."""
SUPPORT = 1e-6
"""A pair is in the LP's support when its LP value exceeds this."""


def _support(ctx: ModelContext, relax: Relaxation, params: SolveParams) -> frozenset[Pair]:
    used = {pair for pair, var in ctx.x.items() if relax.x[var.Index()] > SUPPORT}
    return frozenset(used | params.hint | params.fixed | (params.previous or frozenset()))


def _restricted(problem: Problem, keep: frozenset[Pair]) -> Problem:
    eligible = tuple(
        tuple(v for v in elig if (o, v) in keep) for o, elig in enumerate(problem.eligible)
    )
    return dataclasses.replace(problem, eligible=eligible)


def _relay(params: SolveParams, bound: float, start: float | None, t0: float) -> SolveParams:
    """Progress of every phase against the full problem's bound, improvements only
    (``start``: the cost of the roster in hand, reported first), seconds since ``t0``."""
    on_progress = params.on_progress
    if on_progress is None:
        return params
    best = [float("inf")]

    def relay(p: Progress) -> None:
        if p.objective < best[0]:
            best[0] = p.objective
            seconds = time.monotonic() - t0
            on_progress(Progress(seconds, objective=p.objective, bound=min(bound, p.objective)))

    if start is not None:
        relay(Progress(seconds=0.0, objective=start, bound=bound))
    return dataclasses.replace(params, on_progress=relay)


def _solve_restricted(
    problem: Problem, params: SolveParams, relax: Relaxation, ctx: ModelContext, seconds: float
) -> Solution:
    sub = _restricted(problem, _support(ctx, relax, params))
    sub_ctx = build_model(sub, dataclasses.replace(params, hint=frozenset()))
    hi = ctx.aux.get("minutes_max")
    sub_hi = sub_ctx.aux.get("minutes_max")
    if hi is not None and sub_hi is not None:
        # the LP's level, or the hint's highest load if higher: the hint stays feasible
        load = Counter()
        for o, v in params.hint | params.fixed:
            load[v] += problem.occurrences[o].minutes
        level = max(math.ceil(relax.x[hi.Index()] - 1e-6), max(load.values(), default=0))
        sub_ctx.model.Add(sub_hi == level)
    sub_ctx.params = dataclasses.replace(params, time_limit=seconds)
    add_hint(sub_ctx)
    return solve_context(sub_ctx, seconds)


def guided_solve(problem: Problem, params: SolveParams) -> Solution | None:
    """Solve with the LP's bound and support (see the module doc); None if no LP in time."""
    t0 = time.monotonic()
    limit = params.time_limit
    ctx = build_model(problem, dataclasses.replace(params, hint=frozenset()))
    relax = lp_relaxation(ctx.model, LP_SHARE * limit - (time.monotonic() - t0))
    if relax is None:
        return None
    lp_bound = max(0, to_cost(relax.bound))
    start = total_cost(problem, params.hint, params.previous) if params.hint else None
    relayed = _relay(params, lp_bound, start, t0)  # the hint is the roster in hand
    left = limit - (time.monotonic() - t0)
    best = _solve_restricted(problem, relayed, relax, ctx, RESTRICTED_SHARE * left)
    stats: dict[str, object] = {
        "lp_bound": lp_bound,
        "lp_seconds": round(relax.seconds, 3),
        "restricted_pairs": best.stats.get("pairs"),
        "restricted_objective": best.objective,
    }
    bound: float = lp_bound
    left = limit - (time.monotonic() - t0)
    if left > 1.0:
        hint = frozenset(best.assignments) if best.status.has_roster else params.hint
        ctx.params = dataclasses.replace(relayed, hint=hint, time_limit=left)
        add_hint(ctx)
        full = solve_context(ctx, limit - (time.monotonic() - t0))
        if full.bound is not None:
            bound = max(bound, full.bound)
        if full.status.has_roster and (
            not best.status.has_roster or (full.objective or 0) < (best.objective or 0)
        ):
            best = full
        stats["full_model"] = full.stats.get("cp_sat_status")
    if not best.status.has_roster:
        return None
    objective = total_cost(problem, best.assignments, params.previous)
    bound = min(bound, objective)
    status = Status.optimal if objective <= bound else Status.feasible
    return Solution(
        status=status,
        objective=objective,
        bound=bound,
        assignments=best.assignments,
        seconds=time.monotonic() - t0,
        stats={**ctx.stats, **best.stats, **stats},
    )
