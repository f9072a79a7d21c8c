"""Hours: per-day, per-week and total working time of each volunteer.

Rules (a shift counts on the local date / 7-day block from horizon start it starts in):
- minutes of shifts starting on one day <= ``max_day_minutes``;
- shifts starting on one day <= ``max_shifts_per_day``;
- minutes of shifts starting in one week block <= ``max_week_minutes``;
- ``min_total_minutes`` <= total minutes <= ``max_total_minutes``.

All are plain linear sums over the volunteer's pair variables; a sum that can never
exceed its cap is not posted. A minimum total is the only one here that can make a
plan infeasible, so it carries an assumption literal when explaining.
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from solver.variables import ModelContext


def _cap(ctx: ModelContext, pairs: list[tuple[int, Any]], cap: int | None, unit: str) -> bool:
    if cap is None or not pairs:
        return False
    occ = ctx.problem.occurrences
    weights = [occ[o].minutes if unit == "minutes" else 1 for o, _ in pairs]
    if sum(weights) <= cap:
        return False
    if unit != "minutes" and cap == 1:
        ctx.model.AddAtMostOne([var for _, var in pairs])
    else:
        expr = cp_model.LinearExpr.WeightedSum([var for _, var in pairs], weights)
        ctx.model.Add(expr <= cap)
    return True


def add_hours(ctx: ModelContext) -> int:
    """Add day/week/total time limits per volunteer; return how many were posted."""
    problem, m = ctx.problem, ctx.model
    added = 0
    for v, pairs in enumerate(ctx.vol_vars):
        lim = problem.limits[v]
        for d, day_pairs in ctx.by_day(v).items():
            if ctx.day_is_clique(v, d):
                continue  # rest allows one shift that day, and one fits every cap (pruned)
            added += _cap(ctx, day_pairs, lim.max_day_minutes, "minutes")
            added += _cap(ctx, day_pairs, lim.max_shifts_per_day, "shifts")
        if lim.max_week_minutes is not None:
            weeks: dict[int, list[tuple[int, Any]]] = {}
            for o, var in pairs:
                weeks.setdefault(problem.occurrences[o].week, []).append((o, var))
            for week_pairs in weeks.values():
                added += _cap(ctx, week_pairs, lim.max_week_minutes, "minutes")
        added += _cap(ctx, pairs, lim.max_total_minutes, "minutes")
        if lim.min_total_minutes:
            vol = problem.volunteers[v]
            enforce = ctx.assumption(
                f"{vol.id} must work at least {lim.min_total_minutes / 60:g} h in total"
            )
            m.Add(ctx.minutes_expr(v) >= lim.min_total_minutes).OnlyEnforceIf(enforce)
            added += 1
    ctx.count("hours", added)
    return added
