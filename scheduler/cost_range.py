"""The largest cost a plan can reach must stay inside rota's cost range.

Each weight, need and priority has its own bound (:mod:`scheduler.models`), but their
products summed over a long horizon can still leave the range in which the solver's
integer objective (cost x 60) and the floats of reports stay exact: weights.uncovered
10^9 x priority 10 000 x need 1 000 over 30 days is 3 x 10^17. Such a plan is rejected
as invalid input, naming the term that dominates, instead of failing inside the solver.
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduler.errors import ConfigError, Problem
from scheduler.expand import Occurrence
from scheduler.models import Plan

COST_LIMIT = 10**14
"""Largest cost (in cost units) a plan may be able to reach; 2^53 / 60 is about 1.5e14."""
FARTHEST_KM = 20_040
"""Half the Earth's circumference: no home is farther from a site."""


def worst_costs(plan: Plan, occurrences: Sequence[Occurrence]) -> dict[str, int]:
    """An upper bound on each weighted term of the cost of any roster of ``plan``."""
    w = plan.config.weights
    people = len(plan.volunteers)
    # people on an occurrence: at most its need unless over-cover is allowed
    staffed = sum(o.need if w.over_cover is None else people for o in occurrences)
    hours = sum(o.minutes for o in occurrences) // 60 + 1
    per_person = w.travel_km * FARTHEST_KM + w.preference + w.team_split + 2 * w.change
    return {
        "weights.uncovered": sum(w.uncovered * o.priority * o.need for o in occurrences),
        "weights.missing_skill": sum(
            w.missing_skill * n for o in occurrences for _, n in o.require
        ),
        "weights.over_cover": (w.over_cover or 0) * staffed,
        "weights.travel_km": per_person * staffed,
        "weights.fairness": w.fairness * hours,
        "requests": sum(r.weight for r in plan.config.requests),
    }


def check_cost_range(plan: Plan, occurrences: Sequence[Occurrence]) -> None:
    """Raise ConfigError when the plan's largest possible cost exceeds COST_LIMIT."""
    terms = worst_costs(plan, occurrences)
    total = sum(terms.values())
    if total <= COST_LIMIT:
        return
    field = max(terms, key=lambda k: terms[k])
    raise ConfigError(
        [
            Problem(
                plan.source,
                field,
                f"the largest cost this plan could reach ({total:.3g}, {terms[field]:.3g} of it "
                f"from {field} with the needs and priorities) exceeds rota's range "
                f"({COST_LIMIT:.0e}): use smaller weights, priorities or needs",
            )
        ]
    )
