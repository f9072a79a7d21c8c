"""Upper bounds on weighted coverage: sum_o priority_o * min(n_o, need_o) over any roster.

Two bounds, both valid for every roster that keeps the hard rules:

* **supply** (:mod:`solver.bound_supply`): ``sum_o priority_o * min(need_o, |eligible_o|)``;
* **LP** (:mod:`solver.bound_lp`, used when it solves): the LP relaxation of the pure
  coverage problem with volunteers aggregated into groups (:mod:`solver.bound_groups`):
  a group may work the union of its members' eligible occurrences, which only enlarges
  the feasible set, so the optimum stays an upper bound. Solved with HiGHS.

The reported bound is min(LP, supply). :func:`coverage_bound` says which was used. A
city too large for one LP is bounded region by region (:mod:`solver.bound_regional`).
This module keeps the public names importable from here.
"""

from __future__ import annotations

import time

from scheduler.problem import Problem
from solver.bound_lp import MAX_LP_VARS, lp_bound
from solver.bound_regional import regional_bound
from solver.bound_supply import CoverageBound, Pair, supply_bound, weighted_coverage

__all__ = [
    "MAX_LP_VARS",
    "CoverageBound",
    "Pair",
    "coverage_bound",
    "lp_bound",
    "regional_bound",
    "supply_bound",
    "weighted_coverage",
]


def coverage_bound(problem: Problem, *, lp: bool = True) -> CoverageBound:
    """The best valid upper bound available on weighted coverage (see the module doc)."""
    t0 = time.monotonic()
    demand = float(sum(o.priority * o.need for o in problem.occurrences))
    supply = supply_bound(problem)
    value, method, groups, lp_value = supply, "supply (min(need, eligible))", 0, None
    if lp and supply > 0:
        lp_value, lp_method, groups = lp_bound(problem)
        if lp_value < value:
            value, method = lp_value, lp_method
    return CoverageBound(
        value=value,
        demand=demand,
        supply=supply,
        lp=lp_value,
        method=method,
        groups=groups,
        seconds=round(time.monotonic() - t0, 3),
    )
