"""Availability: a volunteer only works shifts they can take.

Rule: a pair (o, v) may be 1 only if eligible. ``available`` / ``unavailable`` windows,
``night_ok``, fixed ``days_off``, adopted sites, shift caps of 0, the hard travel limit
and shifts longer than a day/week/total cap are all enforced by *eligibility pruning* in
:func:`scheduler.problem.compile_plan`: an ineligible pair has no variable at all, so it
is 0 by construction and costs nothing to propagate.

What remains for this module is what pruning cannot see: pairs that the caller forces
(``params.fixed``) although they are ineligible. Those make the plan infeasible (a hard
limit contradicts the fix), and this module records that with the reason, so the
explanation names it. (Fixed pairs that are eligible are set in :mod:`.replan`.)
"""

from __future__ import annotations

from scheduler.problem import ineligibility
from solver.variables import ModelContext


def add_availability(ctx: ModelContext) -> list[str]:
    """Reject fixed pairs that eligibility pruning removed; return the reasons found."""
    problem = ctx.problem
    reasons: list[str] = []
    for o, v in sorted(ctx.params.fixed):
        if (o, v) in ctx.x:
            continue
        if not (0 <= o < len(problem.occurrences) and 0 <= v < len(problem.volunteers)):
            reasons.append(f"fixed pair ({o}, {v}) names no occurrence/volunteer of this plan")
        else:
            occ, vol = problem.occurrences[o], problem.volunteers[v]
            why = ineligibility(problem, v, o) or "not eligible"
            reasons.append(
                f"{vol.id} is fixed on {occ.site} {occ.shift} {occ.start:%Y-%m-%d %H:%M} but {why}"
            )
        enforce = ctx.assumption(reasons[-1])
        ctx.model.AddBoolOr([]).OnlyEnforceIf(enforce)  # always false: infeasible
        ctx.count("availability")
    ctx.stats["pruned_pairs"] = len(problem.occurrences) * len(problem.volunteers) - len(ctx.x)
    return reasons
