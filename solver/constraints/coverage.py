"""Coverage: each occurrence wants ``need`` people; shortfall and over-cover are priced.

Rule: n_o = sum_v x(o, v). Shortfall max(0, need_o - n_o) costs
``weights.uncovered * priority_o`` per person. When ``weights.over_cover`` is None,
staffing above need is forbidden (hard n_o <= need_o) and the shortfall is exactly
s_o = need_o - n_o (an equality, no slack). Otherwise n_o + s_o - u_o = need_o with
s_o, u_o >= 0 and u_o costing ``over_cover`` per person: at any optimum they take their
max(0, ...) values. (The objective reported for a roster is recomputed exactly from the
cost definition, see :mod:`solver.solve`.)
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.variables import ModelContext


def add_coverage(ctx: ModelContext) -> dict[int, cp_model.IntVar]:
    """Add shortfall (and over-cover) variables per occurrence; return shortfall vars
    (also kept as ``ctx.aux["shortfall"]``, by occurrence index). The cost of occurrences
    nobody may work is a constant, added to ``ctx.aux["shortfall_constant"]``."""
    m, w = ctx.model, ctx.problem.config.weights
    shortfall: dict[int, cp_model.IntVar] = {}
    for occ in ctx.problem.occurrences:
        pairs = ctx.occ_vars[occ.index]
        n = sum(var for _, var in pairs)
        need = occ.need
        if not pairs:
            add_shortfall_constant(ctx, w.uncovered * occ.priority * need)
            continue
        lo = max(0, need - len(pairs))
        s = m.NewIntVar(lo, need, f"short[{occ.index}]")
        shortfall[occ.index] = s
        ctx.add_cost(s, w.uncovered * occ.priority)
        if w.over_cover is None:
            m.Add(n + s == need)
        else:
            over = m.NewIntVar(0, max(0, len(pairs) - need), f"over[{occ.index}]")
            m.Add(n + s - over == need)
            ctx.add_cost(over, w.over_cover)
        ctx.count("coverage")
    ctx.aux["shortfall"] = shortfall
    return shortfall


def add_shortfall_constant(ctx: ModelContext, cost: int) -> None:
    """A shortfall no assignment can lessen: a constant cost, also summed in
    ``ctx.aux["shortfall_constant"]`` (what the fill's cap must not count against it)."""
    ctx.add_constant_cost(cost)
    ctx.aux["shortfall_constant"] = ctx.aux.get("shortfall_constant", 0) + cost
