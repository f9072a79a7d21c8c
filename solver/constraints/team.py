"""Team: teammates are kept together where possible (soft).

Rule: ``weights.team_split`` per assignment of a volunteer whose team has >= 2 members in
the plan and with no other member of that team on the same occurrence. Encoding: where
no teammate is eligible for the occurrence, the cost sits on the pair variable itself;
otherwise a split Boolean s with the clause x(o, v) -> s OR any teammate x(o, u) (s is
minimised, so it is 1 exactly when the volunteer is there alone).
"""

from __future__ import annotations

from collections import Counter

from solver.variables import ModelContext


def add_team(ctx: ModelContext) -> int:
    """Add team-split costs; return how many split variables were created."""
    weight = ctx.problem.config.weights.team_split
    if not weight:
        return 0
    vols = ctx.problem.volunteers
    sizes = Counter(v.team for v in vols if v.team)
    added = 0
    for o, pairs in enumerate(ctx.occ_vars):
        for v, var in pairs:
            team = vols[v].team
            if not team or sizes[team] < 2:
                continue
            mates = [mvar for u, mvar in pairs if u != v and vols[u].team == team]
            if not mates:
                ctx.add_cost(var, weight)
                continue
            split = ctx.model.NewBoolVar(f"split[{o},{v}]")
            ctx.model.AddBoolOr([var.Not(), split, *mates])
            ctx.add_cost(split, weight)
            added += 1
    ctx.count("team", added)
    return added
