"""Re-planning: keep what must stay, price every change against the published roster.

Rules (SolveParams):
- every ``fixed`` pair is 1 (shifts already started, the freeze window); fixed pairs
  that are not eligible are reported by :mod:`.availability`;
- a ``frozen_occurrences`` occurrence is staffed by exactly its fixed pairs;
- with ``previous``: each pair in ``assigned XOR previous`` costs ``weights.change``:
  (1 - x) for a previous pair that still has a variable, x for any other pair, and a
  constant for previous pairs that are no longer eligible (they are necessarily gone);
- ``max_changes`` caps that same count (hard).
All terms are linear in x: no XOR auxiliaries.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.variables import ModelContext


def _describe(ctx: ModelContext, o: int, v: int) -> str:
    occ, vol = ctx.problem.occurrences[o], ctx.problem.volunteers[v]
    return f"{vol.id} on {occ.site} {occ.shift} {occ.start:%Y-%m-%d %H:%M}"


def add_replan(ctx: ModelContext) -> int:
    """Add fixed/frozen pairs, change costs and the change cap; return constraints added."""
    params, m = ctx.params, ctx.model
    added = 0
    for pair in sorted(params.fixed):
        var = ctx.x.get(pair)
        if var is None:
            continue  # ineligible: see availability
        m.Add(var == 1).OnlyEnforceIf(ctx.assumption(f"fixed: {_describe(ctx, *pair)}"))
        added += 1
    for o in sorted(params.frozen_occurrences):
        if not 0 <= o < len(ctx.occ_vars):
            continue
        free = [var for v, var in ctx.occ_vars[o] if (o, v) not in params.fixed]
        if free:
            occ = ctx.problem.occurrences[o]
            enforce = ctx.assumption(f"frozen: {occ.site} {occ.shift} {occ.start:%Y-%m-%d %H:%M}")
            m.Add(sum(free) == 0).OnlyEnforceIf(enforce)
            added += 1
    if params.previous is None:
        ctx.count("replan", added)
        return added
    weight = ctx.problem.config.weights.change
    gone = sum(1 for pair in params.previous if pair not in ctx.x)
    kept = sum(1 for pair in params.previous if pair in ctx.x)
    xs = list(ctx.x.values())
    signs = [-1 if pair in params.previous else 1 for pair in ctx.x]
    # |assigned XOR previous| = sum over non-previous x + sum over previous (1 - x) + gone
    changes = cp_model.LinearExpr.WeightedSum(xs, signs) + (kept + gone)
    ctx.add_constant_cost(weight * (kept + gone))
    ctx.add_cost(cp_model.LinearExpr.WeightedSum(xs, signs), weight)
    if params.max_changes is not None:
        enforce = ctx.assumption(f"at most {params.max_changes} changes to the published roster")
        m.Add(changes <= params.max_changes).OnlyEnforceIf(enforce)
        added += 1
    ctx.count("replan", added)
    return added
