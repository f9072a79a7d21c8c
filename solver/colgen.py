"""Column generation over volunteers' rows, then an integer master: a start and a bound.

Where every rule is a rule on one volunteer's sequence of days
(:func:`solver.lns_rules.applicable`) and volunteers are coupled only through cover
(:func:`solver.lns.applicable`), the problem is "one row per volunteer" with cover linking
them (:mod:`solver.colgen_master`). Its LP relaxation over every feasible row is much
tighter than the LP of the pair model; it is solved by column generation:

1. start from the incumbent roster's rows;
2. solve the master LP (HiGHS), read the duals of cover and of each volunteer's row;
3. price: per volunteer the cheapest row under (own cost - cover duals) by dynamic
   programming (:mod:`solver.colgen_price`); add it when its reduced cost is negative;
4. repeat until no column prices out or the time share is spent.

Every pricing round also gives a Lagrangian lower bound on the whole problem: the LP value
plus each volunteer's most negative reduced cost, priced with every per-name cap relaxed
(a relaxation, so the bound is valid). :mod:`solver.colgen_search` turns the LP into
rosters (dives, CP-SAT on the LP's support).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from scheduler.problem import Problem
from solver import lns_rules
from solver.colgen_kernel import warm_up
from solver.colgen_master import Column, LpResult, Master, RowCosts, cover_costs
from solver.colgen_price import Priced, price
from solver.colgen_space import Space, build_space, state_budget
from solver.types import Pair

EPS = 1e-6
ALPHA = 0.7
"""Dual smoothing: weight of the best duals seen so far."""
BLOCK = 30
"""Above this many volunteers, pricing goes in blocks with an LP re-solve after each."""
EXTRA = 2
"""Rows priced per volunteer and round beyond the cheapest (other end states)."""
LP_SECONDS = 0.1
LP_ROWS = 300
"""Typical master LP re-solve per block of a round, for :func:`worthwhile`: LP_SECONDS at
LP_ROWS rows, growing with the square of the rows (interior point: 0.13 s on Curtois & Qu
Instance15's 297 rows, 0.26 s on Instance19's 460, 0.4-0.65 s on Instance13's 624)."""
STALL_ROUNDS = 4
STALL_DROP = 0.01
"""An LP that fell less than this (relative) over the last STALL_ROUNDS rounds guides the
search as a converged one would (quick dives, then CP-SAT on its support) instead of one
quick dive and sweeps. Curtois & Qu Instance15 on a 2-core machine about half as fast as
the one 0.004 was set on: its LP is at 3 839 when its share ends (3 867 four rounds
before: 0.7 %; converged 3 823.7), and 60 s end at 3 870 (RENS 4 051) with 0.01 against
5 132 (dive 8 474, then sweeps and LNS) with 0.004."""
ROUNDS_NEEDED = 30
"""Pricing rounds column generation typically needs to converge or stall (STALL_DROP)
over 28 days (for :func:`worthwhile`): Instance15 stalls after 20-24 rounds. At 40 its
estimate on a half-speed 2-core machine was 20.2 s against a 21 s share, and the test
flipped from run to run (60 s: 3 870 with column generation, 4 886 without); at 30 it
is 15.2 s, while Instance19 (29.9 s) and Instance13 and 20-24 (the LP re-solves alone)
stay out."""


def applicable(problem: Problem) -> bool:
    """Rows are independent but for cover: per-day rules only, no fairness or team terms."""
    w = problem.config.weights
    teams = any(v.team for v in problem.volunteers)
    if w.fairness or (w.team_split and teams):
        return False
    return lns_rules.applicable(problem)


def worthwhile(problem: Problem, budget: float, threads: int = 1) -> bool:
    """Whether column generation can converge within ``budget`` seconds: a round (every
    volunteer once, ``threads`` at a time, at random cover duals of the size of an
    uncovered need, timed on a sample, plus the LP re-solves) must fit ROUNDS_NEEDED
    times, more on longer horizons (x sqrt(days / 28))."""
    nv = len(problem.volunteers)
    if not nv:
        return False
    lp = LP_SECONDS * ((nv + len(problem.occurrences)) / LP_ROWS) ** 2
    rounds = ROUNDS_NEEDED * math.sqrt(max(1, problem.config.horizon.days) / 28)
    blocks = -(-nv // BLOCK)
    if lp * blocks * rounds > budget:
        return False  # the LP re-solves alone do not fit: no need to time pricing
    rng = np.random.default_rng(0)
    sample = random.Random(0).sample(range(nv), min(3, nv))
    scale = problem.config.weights.uncovered
    warm_up()
    states = state_budget(problem)
    took = []
    for v in sample:
        sp = build_space(problem, v, states)
        cost = -rng.uniform(0, scale, len(sp.occs))
        price(sp, cost)  # the first call sizes the DP buffers (page faults, not pricing)
        t0 = time.monotonic()
        price(sp, cost)
        took.append(time.monotonic() - t0)
    per_round = min(took) * nv / max(1, threads) + lp * blocks
    return per_round * rounds <= budget


@dataclass
class Generation:
    """What column generation found: columns, the best lower bound, rounds and timing."""

    master: Master
    costs: RowCosts
    bound: float = -math.inf
    lp: float = math.inf
    rounds: int = 0
    converged: bool = False
    spaces: list[Space] = field(default_factory=list)
    need: np.ndarray = field(default_factory=lambda: np.zeros(0))
    under: np.ndarray = field(default_factory=lambda: np.zeros(0))
    over: np.ndarray | None = None  # per person above need; None: not allowed
    history: list[float] = field(default_factory=list)  # LP value after each pricing round
    pool: ThreadPoolExecutor | None = None  # prices volunteers in threads (the DP releases
    # the GIL); its threads keep their DP buffers between rounds. Shut down by close().

    @property
    def stalled(self) -> bool:
        """The LP barely moves: less than STALL_DROP (relative) over the last STALL_ROUNDS
        rounds. Its support is then as good a guide as a converged one's (Curtois & Qu
        Instance15: 3 829 -> 3 824 in the last 10 s, the optimum is 3 829)."""
        if len(self.history) <= STALL_ROUNDS:
            return False
        old, new = self.history[-1 - STALL_ROUNDS], self.history[-1]
        return old - new <= STALL_DROP * max(1.0, abs(new))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None

    def cover_term(self, duals: np.ndarray) -> float:
        """The cover's part of the Lagrangian at ``duals``: sum_o min over under/over of
        (under_o - pi_o) u + (over_o + pi_o) s + pi_o need_o."""
        value = float(duals @ self.need + (self.need * np.minimum(0.0, self.under - duals)).sum())
        if self.over is not None and (self.over + duals < -EPS).any():
            return -math.inf
        return value


def rows_of(problem: Problem, roster: set[Pair]) -> list[tuple[int, ...]]:
    rows: list[list[int]] = [[] for _ in problem.volunteers]
    for o, v in roster:
        rows[v].append(o)
    return [tuple(sorted(r)) for r in rows]


def generate(problem: Problem, roster: set[Pair], deadline: float, threads: int = 1) -> Generation:
    """Column generation from ``roster``'s rows until convergence or ``deadline``, pricing
    ``threads`` volunteers at once (then :meth:`Generation.close` it)."""
    costs = RowCosts(problem)
    master = Master(problem)
    for v, row in enumerate(rows_of(problem, roster)):
        master.add(Column(v, row, costs.of(v, row)))
    gen = Generation(master, costs)
    if threads > 1:
        gen.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pricing")
    states = state_budget(problem)
    gen.spaces = [build_space(problem, v, states) for v in range(len(problem.volunteers))]
    gen.need, gen.under, over = cover_costs(problem)
    if over is not None:
        gen.over = np.full(len(problem.occurrences), over)
    lp = converge(gen, range(len(problem.volunteers)), deadline, bound=True)
    gen.converged = lp is not None and gen.converged
    if lp is not None and not gen.converged and gen.stalled:
        # one more round at the last LP's duals, for the Lagrangian bound at them
        value, _ = _price_round(gen, range(len(gen.spaces)), lp, lp.occ_dual, math.inf)
        gen.bound = max(gen.bound, value)
    return gen


def converge(
    gen: Generation, active: Sequence[int], deadline: float, bound: bool = False,
    max_rounds: int | None = None,
) -> LpResult | None:  # fmt: skip
    """Price the ``active`` volunteers and re-solve until no column prices out (sets
    ``gen.converged``), ``max_rounds`` or ``deadline``; the last LP (None: infeasible).

    Up to BLOCK volunteers, a round prices them all at smoothed duals (Wentges: ALPHA x
    the best duals seen, by their Lagrangian bound, + (1 - ALPHA) x the LP's); a round that
    adds nothing is repeated at the LP's own duals before convergence is declared. More
    volunteers are priced in blocks of BLOCK at the LP's duals, re-solving the LP after
    each block that adds a column. With ``bound``, every round priced at one set of duals
    updates the Lagrangian lower bound of the whole problem."""
    gen.converged = False
    rounds = 0
    center: np.ndarray | None = None
    center_value = -math.inf
    smooth = len(active) <= BLOCK
    full = bound and len(active) == len(gen.spaces)
    lp = gen.master.solve()
    while True:
        if lp is None:
            return None
        gen.lp = lp.objective
        gen.history.append(lp.objective)
        gen.rounds += 1
        rounds += 1
        if time.monotonic() >= deadline or (max_rounds is not None and rounds > max_rounds):
            return lp
        if len(active) > BLOCK:
            lp, value, added = _price_blocks(gen, active, lp, deadline)
        else:
            duals = lp.occ_dual
            if center is not None and smooth:
                duals = ALPHA * center + (1 - ALPHA) * lp.occ_dual
            value, added = _price_round(gen, active, lp, duals, deadline)
            if value > center_value:
                center, center_value = duals, value
            if not added and smooth and duals is not lp.occ_dual:
                smooth = False
                lp = gen.master.solve()
                continue
            smooth = True
            if added:
                lp = gen.master.solve()
        if full:
            gen.bound = max(gen.bound, value)
        if not added:
            gen.converged = value > -math.inf
            return lp


def _price_blocks(
    gen: Generation, active: Sequence[int], lp: LpResult, deadline: float
) -> tuple[LpResult | None, float, int]:
    """One pass over ``active`` in blocks at the LP's duals, re-solving after each block
    that adds columns: (the last LP, the Lagrangian bound if no block added a column,
    else -inf, columns added)."""
    value, total = gen.cover_term(lp.occ_dual), 0
    for i in range(0, len(active), BLOCK):
        got, added = _price_round(gen, active[i : i + BLOCK], lp, lp.occ_dual, deadline, False)
        value += got
        if added:
            total += added
            value = -math.inf
            solved = gen.master.solve()
            if solved is None:
                return None, -math.inf, total
            lp = solved
    return lp, value, total


def _price_round(
    gen: Generation, active: Sequence[int], lp: LpResult, duals: np.ndarray, deadline: float,
    cover: bool = True,
) -> tuple[float, int]:  # fmt: skip
    """Price every active volunteer at cover ``duals``; add the rows with a negative
    reduced cost at the LP's duals. Returns (the Lagrangian bound at ``duals`` (without
    the cover's part unless ``cover``), or -inf if time ran out; columns added)."""
    costs, master = gen.costs, gen.master
    value = gen.cover_term(duals) if cover else 0.0
    added = 0

    def job(v: int) -> Priced | None:
        if time.monotonic() >= deadline:
            return None
        sp = gen.spaces[v]
        return price(sp, costs.pair[v] - duals[sp.occs], EXTRA)

    if gen.pool is not None and len(active) > 1:
        priced = list(gen.pool.map(job, active))
    else:
        priced = [job(v) for v in active]
    for v, got in zip(active, priced, strict=True):
        if got is None:
            return -math.inf, added
        value += costs.constant[v] + got.relaxed
        if got.row is None:
            continue
        pair, pos = costs.pair[v], costs.position[v]
        for row, _ in ((got.row, got.cost), *got.others):
            reduced = (
                costs.constant[v] - lp.vol_dual[v] + sum(pair[pos[o]] - lp.occ_dual[o] for o in row)
            )
            if reduced < -EPS:
                key = tuple(sorted(row))
                added += master.add(Column(v, key, costs.of(v, key)))
    return value, added


def bound_value(gen: Generation) -> float | None:
    """The lower bound in cost units (never below 0), rounded up when every cost is
    integral; None before a complete pricing round."""
    if gen.bound == -math.inf:
        return None
    value = max(0.0, gen.bound)
    return math.ceil(value - EPS) if _integral(gen) else value


def _integral(gen: Generation) -> bool:
    weights = [*gen.under, *([] if gen.over is None else gen.over)]
    return all(float(c.cost).is_integer() for c in gen.master.columns) and all(
        float(w).is_integer() for w in weights
    )
