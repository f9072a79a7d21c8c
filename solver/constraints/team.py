"""Team: teammates are kept together where possible (soft).

Rule: ``weights.team_split`` per assignment of a volunteer with a team and no other member
of that team on the same occurrence (the contract's words: a team of one is always alone,
so its member's every assignment costs, as an independent checker counts it). Since a member is
alone exactly when the team has one member on the occurrence, the cost is
``team_split * [n_(o,T) == 1]`` per (occurrence, team). Encoding: where only one member
of T is eligible for o, the cost sits on that pair variable; otherwise one Boolean
a_(o,T) with, for each member v, x(o, v) -> a OR (some other member on o), posted as the
linear a >= x(o, v) - sum of the other members' x(o, u): the same clause, but CP-SAT
keeps a linear constraint in its LP at the default linearization level (a clause only
at level 2), so the bound sees the team term (Shanghai station, 30 s: 2 334 against
2 401 with the clause). a is minimised, so it is 1 exactly when one member works o
alone. When staffing is capped at need <= 1 (no over-cover), anyone on o is alone: the
cost goes on the pair variables, which keeps the LP bound honest (a fractional teammate
cannot hide it).
"""

from __future__ import annotations

from typing import Any

from solver.variables import ModelContext


def add_team(ctx: ModelContext) -> int:
    """Add team-split costs; return how many (occurrence, team) variables were created."""
    weight = ctx.problem.config.weights.team_split
    if not weight:
        return 0
    vols = ctx.problem.volunteers
    teams = {v: vol.team for v, vol in enumerate(vols) if vol.team}
    if not teams:
        return 0
    m = ctx.model
    capped = ctx.problem.config.weights.over_cover is None
    added = 0
    for o, pairs in enumerate(ctx.occ_vars):
        single = capped and ctx.problem.occurrences[o].need <= 1
        groups: dict[str, list[Any]] = {}
        for v, var in pairs:
            team = teams.get(v)
            if team is not None:
                groups.setdefault(team, []).append(var)
        for team, members in groups.items():
            if len(members) == 1 or single:
                # alone for sure: one eligible member, or at most one person on the shift
                for var in members:
                    ctx.add_cost(var, weight)
                continue
            alone = m.NewBoolVar(f"alone[{o},{team}]")
            total = sum(members)
            for var in members:
                # x_v -> alone OR another member, as the linear alone >= x_v - others,
                # which CP-SAT keeps in its LP at the default linearization level
                m.Add(alone + total - 2 * var >= 0)
            ctx.add_cost(alone, weight)
            added += 1
    ctx.count("team", added)
    return added
