"""Skills: an occurrence requiring skill s at n people wants n holders of s among its staff.

Rule: missing_o,s = max(0, req_o,s - #assigned volunteers holding s), each missing
skilled person costs ``weights.missing_skill``. Modelled as an integer m_o,s in
[0, req] with  sum_{v holds s} x(o, v) + m_o,s >= req  (minimised, so tight at optimum).
A requirement holds in full on every occurrence (:mod:`scheduler.expand`), so where it
exceeds the need (even a need of 0) part of it is unavoidable.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from solver.constraints.coverage import add_shortfall_constant
from solver.variables import ModelContext


def add_skills(ctx: ModelContext) -> dict[tuple[int, str], cp_model.IntVar]:
    """Add a missing-skill variable per (occurrence, required skill); return them (also
    kept as ``ctx.aux["missing_skill"]``); a requirement nobody eligible holds is a constant
    cost (``ctx.aux["shortfall_constant"]``)."""
    m, w = ctx.model, ctx.problem.config.weights
    vols = ctx.problem.volunteers
    capped = w.over_cover is None  # then nobody is staffed above need
    missing: dict[tuple[int, str], cp_model.IntVar] = {}
    for occ in ctx.problem.occurrences:
        for skill, req in occ.require:
            holders = [var for v, var in ctx.occ_vars[occ.index] if skill in vols[v].skills]
            if not holders:
                add_shortfall_constant(ctx, w.missing_skill * req)
                continue
            lo = max(0, req - (min(len(holders), occ.need) if capped else len(holders)))
            miss = m.NewIntVar(lo, req, f"miss[{occ.index},{skill}]")
            m.Add(sum(holders) + miss >= req)
            ctx.add_cost(miss, w.missing_skill)
            missing[(occ.index, skill)] = miss
            ctx.count("skills")
    ctx.aux["missing_skill"] = missing
    return missing
