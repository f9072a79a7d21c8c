"""From the column-generation LP to rosters: dives and CP-SAT on the LP's support.

:func:`improve` runs after the start roster: column generation
(:func:`solver.colgen.generate`), a quick dive, then CP-SAT on the pairs the converged LP
uses plus the best roster's (a relaxation-induced neighbourhood, "RENS": a real
sub-problem, every roster of it keeps every rule), then finer randomised dives while they
improve. The LP is tight on rostering problems, so its support is small and holds the good
rosters: on Curtois & Qu Instance14 CP-SAT proves the best known (1 278, the LP bound) in
3-4 s on it, where dives stop at 1 395 and LNS at 1 280-1 283 in 60 s.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter

from scheduler.cost import total_cost
from scheduler.problem import Problem
from solver.colgen import Generation, bound_value, converge, generate
from solver.colgen_rows import sweep_rows
from solver.model import build_model
from solver.restrict import restricted
from solver.solve import solve_context
from solver.types import Pair, SolveParams

CG_SHARE = 0.35
"""Share of the time left for column generation."""
QUICK_DIVES = 3
QUICK_DIVES_SHARE = 0.15
"""Quick dives before RENS (the first deterministic, then randomised, within this share of
the time left): RENS is hinted with the best and may use every pair they use."""
RENS_SHARE = 0.4
"""Share of the time left (after column generation and the quick dive) for CP-SAT on the
LP's support."""
DIVE_SHARE = 0.25
"""Share of the time left after that for finer dives."""
QUICK = 0.35
"""When column generation did not converge: share of the time left for one dive that
keeps generating columns as it fixes (UNCONVERGED_ROUNDS pricing rounds a step),"""
UNCONVERGED_ROUNDS = 4
ROWS = 0.45
"""... and for best-response row sweeps (:func:`solver.colgen_rows.sweep_rows`)."""
STALL = 2
"""Stop diving after this many dives without a better roster."""
DIVE_ROUNDS = 2
"""Pricing rounds after each fixing step of the quick dive."""
FINE_DIVE = (0.0, 10)
"""Finer dives: fix one volunteer a step (or all whole ones), up to 10 pricing rounds."""
SUPPORT = 1e-6


def dive(
    problem: Problem, gen: Generation, deadline: float, share: float = 0.1,
    rounds: int = DIVE_ROUNDS, rng: random.Random | None = None,
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
                lp = converge(gen, sorted(free), deadline, max_rounds=rounds)
    finally:
        master.release()
    roster = {(o, v) for v, i in chosen.items() for o in master.columns[i].row}
    if problem.config.weights.over_cover is None:
        staffed = Counter(o for o, _ in roster)
        if any(n > problem.occurrences[o].need for o, n in staffed.items()):
            return None
    return roster


def support(gen: Generation) -> set[Pair]:
    """The pairs of every column the master LP uses now."""
    lp = gen.master.solve()
    if lp is None:
        return set()
    cols = gen.master.columns
    return {(o, cols[i].v) for i, x in enumerate(lp.values) if x > SUPPORT for o in cols[i].row}


def rens(
    problem: Problem, params: SolveParams, keep: set[Pair], roster: set[Pair], limit: float
) -> tuple[set[Pair], bool]:
    """CP-SAT on the pairs ``keep`` (and ``roster``'s) only, hinted with ``roster``, for
    ``limit`` seconds: (the better roster, whether the restricted problem was solved to
    optimality)."""
    allowed = keep | roster
    sub = restricted(problem, lambda o, v: (o, v) in allowed)
    hinted = dataclasses.replace(params, hint=frozenset(roster), time_limit=limit)
    sol = solve_context(build_model(sub, hinted), limit)
    if not sol.status.has_roster:
        return roster, False
    found = set(sol.assignments)
    if total_cost(problem, found) <= total_cost(problem, roster):
        return found, sol.status.name == "optimal"
    return roster, False


def improve(
    problem: Problem, roster: set[Pair], params: SolveParams, deadline: float,
    stats: dict[str, object],
) -> tuple[set[Pair], float | None]:  # fmt: skip
    """Column generation from ``roster``, a quick dive, CP-SAT on the LP's support, then
    finer randomised dives while they improve: the best roster found and the bound."""
    t0 = time.monotonic()
    gen = generate(problem, roster, t0 + CG_SHARE * (deadline - t0), params.workers)
    try:
        return _improve(problem, gen, roster, params, deadline, stats, t0)
    finally:
        gen.close()


def _improve(
    problem: Problem, gen: Generation, roster: set[Pair], params: SolveParams,
    deadline: float, stats: dict[str, object], t0: float,
) -> tuple[set[Pair], float | None]:  # fmt: skip
    t1 = time.monotonic()
    stats.update(cg_rounds=gen.rounds, cg_columns=len(gen.master.columns),
                 cg_lp=round(gen.lp, 3), cg_converged=gen.converged,
                 cg_seconds=round(t1 - t0, 2))  # fmt: skip
    bound = bound_value(gen)
    best = _Best(problem, roster, bound)
    if not gen.converged and not gen.stalled:  # not a guide yet: a quick dive, then sweeps
        until = time.monotonic() + QUICK * (deadline - t1)
        best.offer(dive(problem, gen, until, share=0.1, rounds=UNCONVERGED_ROUNDS), "dive")
        if not best.done:
            until = t1 + ROWS * (deadline - t1)
            rows = sweep_rows(problem, best.roster, params.seed, until, gen.spaces, params.workers)
            best.offer(rows, "sweep")
    else:
        keep = support(gen)
        rng = random.Random(params.seed)
        quick = time.monotonic() + QUICK_DIVES_SHARE * (deadline - time.monotonic())
        for i in range(QUICK_DIVES):  # the first always; RENS starts from the best
            if best.done or (i and time.monotonic() >= quick):
                break
            dived = dive(problem, gen, quick if i else deadline, rng=rng if i else None)
            keep |= dived or set()
            best.offer(dived, "dive")
        if not best.done:
            limit = RENS_SHARE * (deadline - time.monotonic())
            found, optimal = rens(problem, params, keep, best.roster, limit)
            best.offer(found, "rens")
            stats["rens_optimal"] = optimal
        until = time.monotonic() + DIVE_SHARE * (deadline - time.monotonic())
        while time.monotonic() < until and not best.done and best.stalled <= STALL:
            fine = dive(problem, gen, until, FINE_DIVE[0], FINE_DIVE[1], rng)
            if not best.offer(fine, "dive"):
                break
    stats.update(best.log, search_seconds=round(time.monotonic() - t1, 2),
                 cg_columns_end=len(gen.master.columns))  # fmt: skip
    return best.roster, bound


class _Best:
    """The best roster so far, what each step found, and steps since the last gain."""

    def __init__(self, problem: Problem, roster: set[Pair], bound: float | None):
        self.problem, self.roster, self.bound = problem, roster, bound
        self.cost = total_cost(problem, roster)
        self.stalled = 0
        self.log: dict[str, object] = {}

    @property
    def done(self) -> bool:
        return self.bound is not None and self.cost <= self.bound

    def offer(self, roster: set[Pair] | None, step: str) -> bool:
        """Keep ``roster`` if no worse; False when there is none. The log keeps, per step,
        how many ran and the best cost one reached."""
        if roster is None:
            return False
        cost = total_cost(self.problem, roster)
        self.log[f"{step}_runs"] = int(self.log.get(f"{step}_runs", 0)) + 1  # type: ignore[call-overload]
        prev = self.log.get(f"{step}_best")
        self.log[f"{step}_best"] = cost if prev is None else min(prev, cost)  # type: ignore[type-var]
        self.stalled = 0 if cost < self.cost else self.stalled + 1
        if cost <= self.cost:
            self.roster, self.cost = roster, cost
        return True
