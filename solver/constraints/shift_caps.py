"""Shift caps: at most ``max_shifts[name]`` shifts of that name over the horizon.

Rule: per volunteer and shift name, the count of assigned occurrences with that shift
name is <= the cap (rule tightened by the volunteer's column). A cap of 0 is enforced by
eligibility pruning in :mod:`scheduler.problem`.
"""

from __future__ import annotations

from typing import Any

from solver.variables import ModelContext, add_at_most


def add_shift_caps(ctx: ModelContext) -> int:
    """Add a count cap per (volunteer, capped shift name) that can bind; return the count."""
    occ = ctx.problem.occurrences
    added = 0
    for v, pairs in enumerate(ctx.vol_vars):
        caps = ctx.problem.limits[v].max_shifts
        if not caps:
            continue
        named: dict[str, list[Any]] = {}
        for o, var in pairs:
            if occ[o].shift in caps:
                named.setdefault(occ[o].shift, []).append(var)
        for name, xs in named.items():
            cap = caps[name]
            if len(xs) <= cap:
                continue
            add_at_most(ctx.model, xs, cap)  # a cap of 0 never gets here (pruned)
            added += 1
    ctx.count("shift_caps", added)
    return added
