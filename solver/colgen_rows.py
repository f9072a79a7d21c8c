"""Best-response sweeps: rebuild one volunteer's row at a time, exactly, against the rest.

With every other row fixed, what volunteer v working occurrence o changes in the cost is
linear: it saves ``uncovered x priority`` where o is short of people without v, and costs
``over_cover`` (or is forbidden, when over-cover is not allowed) where it is not, plus v's
own per-assignment and request costs. So the cheapest row for v alone is exactly the
pricing problem of column generation (:func:`solver.colgen_price.price`) with those
marginal values in place of duals. :func:`sweep_rows` applies it volunteer by volunteer
(random order) while a row gets cheaper: a local optimum where no single row can improve,
found in a few pricing calls per volunteer. Where a volunteer's rules do not all fit the
DP's state (penalties instead), a row is kept only when it keeps every rule
(:func:`solver.lns_rules.row_violations`).
"""

from __future__ import annotations

import math
import random
import time

import numpy as np

from scheduler.problem import Problem
from solver.colgen_master import RowCosts
from solver.colgen_price import price
from solver.colgen_space import Space, build_space, state_budget
from solver.lns_rules import row_violations
from solver.types import Pair

EPS = 1e-6


def sweep_rows(
    problem: Problem, roster: set[Pair], seed: int, deadline: float,
    spaces: list[Space] | None = None,
) -> set[Pair]:  # fmt: skip
    """Best responses until a sweep changes nothing or ``deadline`` (time.monotonic)."""
    w = problem.config.weights
    costs = RowCosts(problem)
    nv = len(problem.volunteers)
    if spaces is None:
        budget = state_budget(problem)
        spaces = [build_space(problem, v, budget) for v in range(nv)]
    need = np.array([o.need for o in problem.occurrences])
    under = np.array([w.uncovered * o.priority for o in problem.occurrences], dtype=float)
    over = math.inf if w.over_cover is None else float(w.over_cover)
    rows: list[tuple[int, ...]] = [() for _ in range(nv)]
    for o, v in sorted(roster):
        rows[v] += (o,)
    staffed = np.zeros(len(problem.occurrences), dtype=np.int64)
    for o, _ in roster:
        staffed[o] += 1
    rng = random.Random(seed)
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        order = list(range(nv))
        rng.shuffle(order)
        for v in order:
            if time.monotonic() >= deadline:
                break
            sp = spaces[v]
            if not len(sp.occs):
                continue
            np.subtract.at(staffed, list(rows[v]), 1)
            others = staffed[sp.occs]
            gain = np.where(others < need[sp.occs], under[sp.occs], -over)
            cost = costs.pair[v] - gain
            got = price(sp, cost)
            pos = costs.position[v]
            current = float(sum(cost[pos[o]] for o in rows[v]))
            if (
                got.row is not None
                and got.cost < current - EPS
                and (sp.exact or not row_violations(problem, v, list(got.row)))
            ):
                rows[v], changed = tuple(sorted(got.row)), True
            np.add.at(staffed, list(rows[v]), 1)
    return {(o, v) for v, row in enumerate(rows) for o in row}
