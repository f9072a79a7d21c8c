"""Travel: volunteers serve near home.

Rule: the hard ``rules.max_travel_km`` is enforced by eligibility pruning in
:mod:`scheduler.problem` (pairs beyond it have no variable). The soft goal costs
``weights.travel_km * round(km(v, site))`` per assignment, 0 where either location is
unknown; a linear term on the pair variable, no auxiliaries.
"""

from __future__ import annotations

from scheduler.problem import travel_km
from solver.variables import ModelContext


def pair_travel_cost(ctx: ModelContext, o: int, v: int) -> int:
    """round(km) between volunteer ``v``'s home and the site of ``o`` (0 if unknown)."""
    site = ctx.problem.sites[ctx.problem.occurrences[o].site]
    km = travel_km(ctx.problem.volunteers[v], site)
    return 0 if km is None else round(km)


def add_travel(ctx: ModelContext) -> int:
    """Add the per-assignment travel cost; return how many pairs carry one."""
    weight = ctx.problem.config.weights.travel_km
    if not weight:
        return 0
    added = 0
    cache: dict[tuple[str, int], int] = {}
    for (o, v), var in ctx.x.items():
        key = (ctx.problem.occurrences[o].site, v)
        if key not in cache:
            cache[key] = pair_travel_cost(ctx, o, v)
        if cache[key]:
            ctx.add_cost(var, weight * cache[key])
            added += 1
    ctx.count("travel", added)
    return added
