"""Fairness: share the load (soft).

Rule: ``weights.fairness * (max_v minutes_v - min_v minutes_v) / 60`` over volunteers
eligible for at least one occurrence (no cost if fewer than two). In internal units
(cost * 60) that is ``fairness`` per minute of spread: hi >= minutes_v >= lo for each
such volunteer, cost fairness * (hi - lo). Linear, no big-M.
"""

from __future__ import annotations

from solver.variables import ModelContext


def add_fairness(ctx: ModelContext) -> int:
    """Add the max-min spread of minutes; return how many volunteers it spans."""
    weight = ctx.problem.config.weights.fairness
    vols = [v for v, pairs in enumerate(ctx.vol_vars) if pairs]
    if not weight or len(vols) < 2:
        return 0
    m = ctx.model
    ub = max(sum(ctx.problem.occurrences[o].minutes for o, _ in ctx.vol_vars[v]) for v in vols)
    hi = m.NewIntVar(0, ub, "minutes_max")
    lo = m.NewIntVar(0, ub, "minutes_min")
    m.Add(hi >= lo)
    ctx.aux["minutes_max"] = hi
    for v in vols:
        t = ctx.total_minutes(v)
        m.Add(hi >= t)
        m.Add(lo <= t)
    # Valid cuts for the LP: whoever works o works at least its minutes, so hi >= minutes_o
    # as soon as n_o >= 1; with n_o <= cap_o that is cap_o * hi >= minutes_o * n_o.
    capped = ctx.problem.config.weights.over_cover is None
    for occ in ctx.problem.occurrences:
        pairs = ctx.occ_vars[occ.index]
        cap = occ.need if capped else len(pairs)
        if pairs and cap > 0:
            m.Add(cap * hi >= occ.minutes * sum(var for _, var in pairs))
    # cost fairness * (hi - lo) / SCALE minutes -> internal (x SCALE): fairness * (hi - lo)
    ctx.costs.append((weight, hi - lo))
    ctx.count("fairness", len(vols))
    return len(vols)
