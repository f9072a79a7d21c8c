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
(a relaxation, so the bound is valid). Then CP-SAT picks one generated row per volunteer
(:func:`solver.colgen_master.solve_integer`), hinted with the incumbent.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from scheduler.cost import total_cost
from scheduler.problem import Problem
from solver import lns_rules
from solver.colgen_master import Column, LpResult, Master, RowCosts, solve_integer
from solver.colgen_price import price
from solver.colgen_space import Space, build_space
from solver.types import Pair, SolveParams

EPS = 1e-6
ALPHA = 0.7
BLOCK = 30
"""Above this many volunteers, pricing goes in blocks with an LP re-solve after each."""
"""Dual smoothing: weight of the best duals seen so far."""
EXTRA = 2
"""Rows priced per volunteer and round beyond the cheapest (other end states)."""
DIVE_ROUNDS = 2
"""Pricing rounds after each fixing step of the dive."""
ROUNDS_NEEDED = 30
"""Pricing rounds column generation typically needs to converge (for :func:`worthwhile`)."""
MAX_STATES = 150_000
"""Largest pricing tensor per day before rules move from the state to penalties."""
"""Rows priced per volunteer and round beyond the cheapest (other end states)."""


def applicable(problem: Problem) -> bool:
    """Rows are independent but for cover: per-day rules only, no fairness or team terms."""
    w = problem.config.weights
    teams = any(v.team for v in problem.volunteers)
    if w.fairness or (w.team_split and teams):
        return False
    return lns_rules.applicable(problem)


def worthwhile(problem: Problem, time_limit: float) -> bool:
    """Whether column generation can converge in its share of ``time_limit``: a pricing
    round (every volunteer once) is timed on a sample and must fit ROUNDS_NEEDED times."""
    nv = len(problem.volunteers)
    if not nv:
        return False
    sample = random.Random(0).sample(range(nv), min(3, nv))
    t0 = time.monotonic()
    for v in sample:
        sp = build_space(problem, v, MAX_STATES)
        price(sp, np.zeros(len(sp.occs)))
    per_round = (time.monotonic() - t0) / len(sample) * nv
    return per_round * ROUNDS_NEEDED <= CG_SHARE * time_limit


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

    def cover_term(self, duals: np.ndarray) -> float:
        """The cover's part of the Lagrangian at ``duals``: sum_o min over under/over of
        (under_o - pi_o) u + (over_o + pi_o) s + pi_o need_o."""
        value = float(duals @ self.need + (self.need * np.minimum(0.0, self.under - duals)).sum())
        if self.over is not None and (self.over + duals < -EPS).any():
            return -math.inf
        return value


def _rows(problem: Problem, roster: set[Pair]) -> list[tuple[int, ...]]:
    rows: list[list[int]] = [[] for _ in problem.volunteers]
    for o, v in roster:
        rows[v].append(o)
    return [tuple(sorted(r)) for r in rows]


def generate(problem: Problem, roster: set[Pair], deadline: float) -> Generation:
    """Column generation from ``roster``'s rows until convergence or ``deadline``."""
    costs = RowCosts(problem)
    master = Master(problem)
    for v, row in enumerate(_rows(problem, roster)):
        master.add(Column(v, row, costs.of(v, row)))
    w = problem.config.weights
    gen = Generation(master, costs)
    gen.spaces = [build_space(problem, v, MAX_STATES) for v in range(len(problem.volunteers))]
    gen.need = np.array([o.need for o in problem.occurrences], dtype=float)
    gen.under = np.array([w.uncovered * o.priority for o in problem.occurrences], dtype=float)
    if w.over_cover is not None:
        gen.over = np.full(len(problem.occurrences), float(w.over_cover))
    lp = _converge(gen, range(len(problem.volunteers)), deadline, bound=True)
    gen.converged = lp is not None and gen.converged
    return gen


def _converge(
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
    for v in active:
        if time.monotonic() >= deadline:
            return -math.inf, added
        sp = gen.spaces[v]
        pair = costs.pair[v]
        got = price(sp, pair - duals[sp.occs], EXTRA)
        value += costs.constant[v] + got.relaxed
        if got.row is None:
            continue
        pos = costs.position[v]
        for row, _ in ((got.row, got.cost), *got.others):
            reduced = (
                costs.constant[v] - lp.vol_dual[v] + sum(pair[pos[o]] - lp.occ_dual[o] for o in row)
            )
            if reduced < -EPS:
                key = tuple(sorted(row))
                added += master.add(Column(v, key, costs.of(v, key)))
    return value, added


def dive(
    problem: Problem, gen: Generation, deadline: float, share: float = 0.1,
    rounds: int = 2, rng: random.Random | None = None,
) -> set[Pair] | None:  # fmt: skip
    """A roster by diving: fix the volunteers whose row the LP uses most (every one used
    whole, or else a ``share`` of those still free, at least one; with ``rng``, drawn
    with noise among the most used), re-converge on the rest for at most ``rounds``
    pricing rounds, until every volunteer is fixed. When time runs out, the rest take the
    row the last LP uses most. None if the LP becomes infeasible or the rows break a hard
    cover limit; the master's fixings are undone either way."""
    master = gen.master
    free = set(range(len(problem.volunteers)))
    chosen: dict[int, int] = {}
    try:
        lp = master.solve()
        while free:
            if lp is None:
                return None
            best = {v: max(master.by_vol[v], key=lambda j: lp.values[j]) for v in free}
            if time.monotonic() >= deadline:
                chosen.update(best)
                break
            noise = {v: rng.uniform(0.6, 1.0) if rng else 1.0 for v in free}
            order = sorted(free, key=lambda v: -lp.values[best[v]] * noise[v])
            whole = [v for v in order if lp.values[best[v]] >= 1 - 1e-6]
            n = max(1, int(len(order) * share))
            for v in whole if len(whole) >= n else order[:n]:
                chosen[v] = best[v]
                master.fix(v, best[v])
                free.discard(v)
            if free:
                lp = _converge(gen, sorted(free), deadline, max_rounds=rounds)
    finally:
        master.release()
    roster = {(o, v) for v, i in chosen.items() for o in master.columns[i].row}
    if problem.config.weights.over_cover is None:
        staffed = Counter(o for o, _ in roster)
        if any(n > problem.occurrences[o].need for o, n in staffed.items()):
            return None
    return roster


def integer_roster(
    problem: Problem, gen: Generation, roster: set[Pair], params: SolveParams, limit: float
) -> tuple[set[Pair], bool]:
    """The best one-row-per-volunteer choice among the generated columns (CP-SAT, hinted
    with ``roster``), or ``roster`` when that is no better: (roster, proved optimal among
    the columns)."""
    cols = gen.master.columns
    index = {(c.v, c.row): i for i, c in enumerate(cols)}
    hint = {v: index[(v, row)] for v, row in enumerate(_rows(problem, roster))}
    choice, optimal = solve_integer(problem, cols, hint, limit, params.workers, params.seed)
    if choice is None:
        return roster, False
    picked = {(o, v) for v, i in choice.items() for o in cols[i].row}
    if total_cost(problem, picked) <= total_cost(problem, roster):
        return picked, optimal
    return roster, False


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


CG_SHARE = 0.35
"""Share of the time left for column generation before diving."""
DIVE_SHARE = 0.6
"""Share of the time left (after column generation) for dives."""
STALL = 8
"""Stop diving after this many dives without a better roster."""
FINE_DIVE = (0.0, 10)
"""Later dives: fix one volunteer a step (or all whole ones), up to 10 pricing rounds."""


def improve(
    problem: Problem, roster: set[Pair], params: SolveParams, deadline: float,
    stats: dict[str, object],
) -> tuple[set[Pair], float | None]:  # fmt: skip
    """Column generation from ``roster``, then dives (a quick one, then finer randomised
    ones while the share lasts): the best roster found and the bound."""
    t0 = time.monotonic()
    gen = generate(problem, roster, t0 + CG_SHARE * (deadline - t0))
    t1 = time.monotonic()
    stats.update(cg_rounds=gen.rounds, cg_columns=len(gen.master.columns),
                 cg_lp=round(gen.lp, 3), cg_converged=gen.converged,
                 cg_seconds=round(t1 - t0, 2))  # fmt: skip
    bound = bound_value(gen)
    until = t1 + DIVE_SHARE * (deadline - t1)
    best_cost = total_cost(problem, roster)
    rng = random.Random(params.seed)
    dives: list[float] = []
    while (
        time.monotonic() < until
        and (bound is None or best_cost > bound)
        and len(dives) - _best_index(dives) <= STALL
    ):
        if dives:
            dived = dive(problem, gen, until, FINE_DIVE[0], FINE_DIVE[1], rng)
        else:
            dived = dive(problem, gen, until)
        if dived is None:
            break
        dives.append(total_cost(problem, dived))
        if dives[-1] <= best_cost:
            roster, best_cost = dived, dives[-1]
    stats.update(dives=dives, dive_seconds=round(time.monotonic() - t1, 2),
                 cg_columns_end=len(gen.master.columns))  # fmt: skip
    return roster, bound


def _best_index(values: list[float]) -> int:
    """Index just past the first best value (0 when empty)."""
    return 1 + min(range(len(values)), key=lambda i: (values[i], i)) if values else 0
