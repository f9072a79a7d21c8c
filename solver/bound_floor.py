"""A lower bound on the objective that is always available: the shortfall no roster avoids.

An occurrence with fewer eligible volunteers than its need leaves at least
``need - |eligible|`` person-shifts uncovered in every roster, and one with fewer eligible
holders of a skill than its requirement misses at least the difference; so does one whose
requirement exceeds its need, as nobody is staffed above need unless ``over_cover`` is
priced. Every other term of the cost is never negative, so

    uncovered * sum_o priority_o * max(0, need_o - |eligible_o|)
  + missing_skill * sum_o,s max(0, req_o,s - min(need_o, |eligible_o holding s|))

is at most the objective of any roster. ``rota plan`` reports it as the roster's ``bound``
when the solver proved none (time ran out, or the greedy roster was published), so the
contract's ``bound`` is always there and never above the objective.
"""

from __future__ import annotations

from scheduler.problem import Problem


def floor_bound(problem: Problem) -> float:
    """The cost of the shortfall that no roster can avoid (see the module doc)."""
    w = problem.config.weights
    vols = problem.volunteers
    capped = w.over_cover is None  # then nobody is staffed above need
    total = 0.0
    for occ, eligible in zip(problem.occurrences, problem.eligible, strict=True):
        total += w.uncovered * occ.priority * max(0, occ.need - len(eligible))
        for skill, req in occ.require:
            holders = sum(1 for v in eligible if skill in vols[v].skills)
            if capped:
                holders = min(holders, occ.need)
            total += w.missing_skill * max(0, req - holders)
    return total
