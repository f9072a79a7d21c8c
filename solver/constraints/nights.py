"""Nights: at most ``max_nights_per_week`` night shifts per 7-day block per volunteer.

Rule: a night shift is flagged ``night: true`` or covers local time in [00:00, 05:00)
(:mod:`scheduler.expand`); it counts in the week block of the date it starts.
``night_ok: false`` is not here: such pairs are pruned as ineligible.
"""

from __future__ import annotations

from typing import Any

from solver.variables import ModelContext, add_at_most


def add_nights(ctx: ModelContext) -> int:
    """Add a night cap per (volunteer, week block) where it can bind; return the count."""
    occ = ctx.problem.occurrences
    added = 0
    for v, pairs in enumerate(ctx.vol_vars):
        cap = ctx.problem.limits[v].max_nights_per_week
        if cap is None:
            continue
        weeks: dict[int, list[Any]] = {}
        for o, var in pairs:
            if occ[o].night:
                weeks.setdefault(occ[o].week, []).append(var)
        for xs in weeks.values():
            if len(xs) <= cap:
                continue
            add_at_most(ctx.model, xs, cap)
            added += 1
    ctx.count("nights", added)
    return added
