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
(:func:`solver.lns_rules.row_violations`), and each pricing starts its penalties where the
last one's ended for the same limit (:class:`solver.colgen_price.PenaltyHint`): on
Curtois & Qu Instance24 a row takes 2.7 DP runs instead of 4.25 (``benchmarks/nrp/NOTES.md``,
session 18).
"""

from __future__ import annotations

import math
import random
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from scheduler.problem import Problem
from solver.colgen import rows_of
from solver.colgen_master import RowCosts, cover_costs
from solver.colgen_price import PenaltyHint, Priced, price
from solver.colgen_space import Space, build_space, state_budget
from solver.lns_rules import row_violations
from solver.types import Pair

EPS = 1e-6


def row_spaces(problem: Problem) -> list[Space]:
    """Every volunteer's pricing space (what :func:`sweep_rows` needs; built once, reused)."""
    budget = state_budget(problem)
    return [build_space(problem, v, budget) for v in range(len(problem.volunteers))]


def sweep_rows(
    problem: Problem, roster: set[Pair], seed: int, deadline: float,
    spaces: list[Space] | None = None, threads: int = 1,
) -> set[Pair]:  # fmt: skip
    """Best responses until a sweep changes nothing or ``deadline`` (time.monotonic).

    With ``threads`` > 1, that many volunteers are priced at once, each against the cover
    as it stands before any of them changes; each new row is then re-costed against the
    cover as it stands when its turn comes and kept only if it still improves, so every
    change is a real improvement of the whole roster."""
    costs = RowCosts(problem)
    nv = len(problem.volunteers)
    if spaces is None:
        spaces = row_spaces(problem)
    need, under, over_cost = cover_costs(problem)
    over = math.inf if over_cost is None else over_cost
    rows = rows_of(problem, roster)
    staffed = np.zeros(len(problem.occurrences), dtype=np.int64)
    for o, _ in roster:
        staffed[o] += 1

    def row_costs(v: int) -> np.ndarray:
        """v's per-pair cost against everyone else's cover (v's own row taken out)."""
        occs = spaces[v].occs
        others = staffed[occs] - np.isin(occs, rows[v])
        return costs.pair[v] - np.where(others < need[occs], under[occs], -over)

    def hinted(job: tuple[Space, np.ndarray], hint: PenaltyHint) -> Priced:
        return price(*job, hint=hint)

    rng = random.Random(seed)
    hint = PenaltyHint()  # penalties where the last pricings ended
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    try:
        changed = True
        while changed and time.monotonic() < deadline:
            changed = False
            order = [v for v in range(nv) if len(spaces[v].occs)]
            rng.shuffle(order)
            for i in range(0, len(order), max(1, threads)):
                if time.monotonic() >= deadline:
                    break
                chunk = order[i : i + max(1, threads)]
                jobs = [(spaces[v], row_costs(v)) for v in chunk]
                # each from the hint as the chunk found it: a seed gives the same rows
                # whatever the threads' timing
                hints = [PenaltyHint(dict(hint.shares)) for _ in chunk]
                priced = list(pool.map(hinted, jobs, hints) if pool else map(hinted, jobs, hints))
                for h in hints:
                    hint.shares.update(h.shares)
                moved = False  # a row of this chunk changed: re-cost the rest
                for v, got, (_, priced_at) in zip(chunk, priced, jobs, strict=True):
                    if got.row is None:
                        continue
                    cost, pos = row_costs(v) if moved else priced_at, costs.position[v]
                    current = float(sum(cost[pos[o]] for o in rows[v]))
                    new = float(sum(cost[pos[o]] for o in got.row))
                    if new < current - EPS and (
                        spaces[v].exact or not row_violations(problem, v, list(got.row))
                    ):
                        np.subtract.at(staffed, list(rows[v]), 1)
                        rows[v], changed, moved = tuple(sorted(got.row)), True, True
                        np.add.at(staffed, list(rows[v]), 1)
    finally:
        if pool:
            pool.shutdown()
    return {(o, v) for v, row in enumerate(rows) for o in row}
