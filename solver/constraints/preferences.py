"""Preferences: preferred sites and shift requests (soft).

Rules:
- ``weights.preference`` per assignment of a volunteer with a non-empty ``prefers`` to a
  site outside it (linear on the pair variable);
- a request ``want: on`` (volunteer, date, shift name, optional site) costs its weight
  if the volunteer works no such shift starting on that date: r <= sum(matching pairs),
  cost weight * (1 - r) (constant weight when no matching pair is eligible);
- ``want: off`` costs its weight if the volunteer works one: y >= each matching pair,
  cost weight * y (the pair itself when only one matches).
"""

from __future__ import annotations

from typing import Any

from solver.variables import ModelContext


def add_preferences(ctx: ModelContext) -> int:
    """Add preferred-site and request costs; return how many terms were added."""
    problem, m = ctx.problem, ctx.model
    weights = problem.config.weights
    added = 0
    if weights.preference:
        for (o, v), var in ctx.x.items():
            prefers = problem.volunteers[v].prefers
            if prefers and problem.occurrences[o].site not in prefers:
                ctx.add_cost(var, weights.preference)
                added += 1
    for i, req in enumerate(problem.config.requests):
        v = problem.volunteer_index.get(req.volunteer)
        if v is None or not req.weight:
            continue
        day = (req.date - problem.config.horizon.start).days
        matching: list[Any] = [
            var
            for o, var in ctx.by_day(v).get(day, [])
            if problem.occurrences[o].shift == req.shift
            and (req.site is None or problem.occurrences[o].site == req.site)
        ]
        if req.want == "on":
            if not matching:
                ctx.add_constant_cost(req.weight)
            else:
                r = m.NewBoolVar(f"request_on[{i}]")
                m.AddBoolOr(matching).OnlyEnforceIf(r)
                ctx.add_constant_cost(req.weight)
                ctx.add_cost(r, -req.weight)
        elif matching:
            if len(matching) == 1:
                ctx.add_cost(matching[0], req.weight)
            else:
                y = m.NewBoolVar(f"request_off[{i}]")
                for var in matching:
                    m.AddImplication(var, y)
                ctx.add_cost(y, req.weight)
        added += 1
    ctx.count("preferences", added)
    return added
