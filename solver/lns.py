"""Large-neighbourhood search on top of rota's CP-SAT model.

``solve_lns(problem, params)`` works on *sub-problems*: a set S of volunteers, optionally
restricted to a window W of days. The sub-problem keeps only S's volunteers; outside W
their pairs are the incumbent's (eligible only where assigned, and fixed), inside W they
are free; every occurrence's need (and skill requirement) is reduced by the people
outside S who already work it. Its CP-SAT model (:func:`solver.model.build_model`, so
every rule of S's volunteers is rota's own) then prices exactly the change in the full
cost when S's rows change, because volunteers are coupled only through cover (and
skills): that holds when ``weights.fairness`` and ``weights.team_split`` are unused,
which :func:`applicable` checks (otherwise :func:`solve_lns` is plain CP-SAT).

1. *Construct* (:mod:`solver.lns_construct`): volunteers one at a time (most constrained
   first), each row built alone against the cover left by those before, by the pure-Python
   greedy of :mod:`solver.lns_greedy` (then rebuilt row by row while that saves cost) or,
   where that does not apply, by CP-SAT: every volunteer's own hard rules hold.
2. *Full model* (small problems only): CP-SAT on the whole model hinted with that roster,
   for a share of the time; its bound is the one reported.
3. *LNS* until the time limit: free a few volunteers over the whole horizon, or more
   volunteers over a window of days, or (where weekends are capped) a few drawn for a
   short weekend (:mod:`solver.lns_weekends`), re-solve hinted with the incumbent in a
   short slice, keep the result when it is no worse; each kind is drawn in proportion
   to the cost it saved per second recently. Sizes adapt (a slice proved optimal
   grows its neighbourhood, a slice that ran out shrinks it).

The neighbourhoods (kinds, sizes, draws, records) are :mod:`solver.lns_steps`; the loop
that re-solves them, alone or in two lanes, is :mod:`solver.lns_lanes`.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver import colgen, colgen_search, lns_greedy, lns_weekends
from solver.colgen_rows import row_spaces, sweep_rows
from solver.colgen_space import Space
from solver.lns_construct import construct, construct_fast
from solver.lns_lanes import Lanes, lockstep
from solver.lns_steps import Sizes
from solver.lns_sub import subproblem
from solver.model import build_model
from solver.solve import solve, solve_context
from solver.types import Pair, Solution, SolveParams

__all__ = ["applicable", "construct", "solve_lns", "subproblem"]

FULL_MODEL_MAX_PAIRS = 10_000
"""Run phase 2 (the whole model) only up to this many pair variables (was 20 000: on
Curtois & Qu Instance19, 16 800 pairs and no column generation, its 6 s proved no bound
and the LNS without it ended at 3 549, 3 722, 3 898, 3 731, 3 911 against 3 822, 4 016,
4 052, 3 722, 3 858 with it, seeds 1-5, 60 s)."""
FULL_SHARE = 0.1
COLGEN = True
FULL_AFTER_CG = 1_000
"""After column generation, the full model runs (for its proof) only up to this many pairs."""
"""Column generation and a dive (:mod:`solver.colgen`) after the start, where it applies
(instead of the full model)."""
FAST_START = True
"""Start from pure-Python greedy rows (:mod:`solver.lns_greedy`) where they apply."""
IMPROVE_SHARE = 0.15
COLGEN_IMPROVE_SHARE = 0.05
"""The same before column generation (which needs only a start)."""
SWEEP = True
"""Then exact best-response row sweeps (:func:`solver.colgen_rows.sweep_rows`) until
SWEEP_UNTIL of the time limit (COLGEN_SWEEP_UNTIL before column generation), or until no
single row can improve."""
SWEEP_UNTIL = 0.4
COLGEN_SWEEP_UNTIL = 0.15
"""Pure-Python row improvement after the greedy start, up to this share of the time."""
GREEDY_ROWS = True
GREEDY_ROWS_MAX_SLOTS = 182 * 8
"""Otherwise, above this many (day, shift name) slots, CP-SAT rows start from any
feasible row (cheaper) instead of the best row against the cover left."""
PARALLEL = True
"""With ``workers >= 2``, solve two neighbourhoods (disjoint volunteers) at once."""
ASYNC = True
"""Two lanes run unsynchronised (:class:`Lanes`): each starts its next neighbourhood as
soon as its last one ends, instead of both waiting for the slower of a pair
(:func:`lockstep`). Curtois & Qu, 60 s, seed 1 unless noted, with / without (session 21,
benchmarks/nrp/NOTES.md): Instance13 4 068 / 3 818, seed 2 3 663 / 3 852; 19 4 639 /
4 525; 20 6 492 / 6 670; 22 63 171 / 72 272; 24 214 265 / 221 603; 12 7 518 / 7 401;
18 4 797 / 5 083; 17 5 846 / 5 846 (geometric mean of the ratios 0.978, within the
spread of repeated runs on that machine); 0.5-12 % more CPU time in every pair. Session
22 (a machine twice as fast), with the sweep draw fixed (:func:`solver.lns_lanes.sweep_chance`):
Instance19 4 220 / 4 012, seed 2 3 977 / 3 972; 24 134 841 / 130 373; 13 2 371 / 2 671;
22 44 859 / 43 070; 15 4 189 / 4 200 (geometric mean 1.001)."""
WINDOW_SHARE = 0.5
"""Share of LNS steps that free a window of days (the rest free whole rows) at first;
then each kind is drawn in proportion to the cost it saved per second recently
(:data:`solver.lns_steps.ADAPTIVE`)."""
SWEEP_SHARE = 0.25
"""Where the start was swept (no column generation), a fourth kind of LNS step: best-
response sweeps (:func:`solver.colgen_rows.sweep_rows`, both workers) for
:data:`solver.lns_lanes.SWEEP_SLICE` seconds, drawn in SWEEP_SHARE of the steps at
first, then adaptive like the others. On the longest Curtois & Qu instances sweeps still
save about 1 % of the cost a second where the fixed sweep phase ends. 60 s, seed 1, with
(and :data:`solver.lns_steps.SOLVER_TIME` on) / without, session 14's slow EPYC:
Instance24 210 936 / 226 369, 23 81 351 / 92 079, 22 76 852 / 82 977,
21 24 860 / 24 944, 20 6 294 / 6 081, 19 4 292 / 4 935, 13 3 511 / 3 150; the sweep kind alone:
Instance23 84 966, Instance13 seed 2 2 951 against 2 921 without
(benchmarks/nrp/NOTES.md, session 14)."""
WEEKEND_SHARE = 0.25
"""Where a plan caps worked weekends, the share of LNS steps (taken from the rows' share)
whose rows are drawn for a short weekend (:func:`solver.lns_weekends.weekend_staff`) at
first; then adaptive like the others. Curtois & Qu, 60 s, 2 workers, with / without,
interleaved (session 13, benchmarks/nrp/NOTES.md): Instance13 better in all four pairs
(seeds 1-3 and seed 1 again; mean ratio 0.952 over seeds 1-3), 8/12/15/18/22 better on
the whole, 19/21/23/24 worse by 0.5-6 %; geometric means 0.995 over 1-19 and 1.008 over
20-24 (single seeds there)."""


def applicable(problem: Problem) -> bool:
    """Sub-problems price changes exactly: no fairness and no team terms, no re-planning."""
    w = problem.config.weights
    teams = any(v.team for v in problem.volunteers)
    return not w.fairness and not (w.team_split and teams)


def solve_lns(problem: Problem, params: SolveParams) -> Solution:
    """Construct, (full CP-SAT,) then LNS until ``params.time_limit`` seconds (wall clock)."""
    if not applicable(problem) or params.previous is not None or params.fixed:
        return solve(problem, params)
    t0 = time.monotonic()
    deadline = t0 + params.time_limit
    stats: dict[str, object] = {"method": "lns"}
    horizon = problem.config.horizon.days
    names = len({o.shift for o in problem.occurrences})
    fast = FAST_START and lns_greedy.applicable(problem)
    greedy_rows = GREEDY_ROWS and horizon * names <= GREEDY_ROWS_MAX_SLOTS
    stats["start"] = "python" if fast else "cp-sat-rows" if greedy_rows else "feasible-rows"
    use_cg = (
        COLGEN
        and colgen.applicable(problem)
        and colgen.worthwhile(problem, colgen_search.CG_SHARE * params.time_limit, params.workers)
    )
    stats["colgen"] = use_cg
    if fast:
        share = COLGEN_IMPROVE_SHARE if use_cg else IMPROVE_SHARE
        improve = t0 + share * params.time_limit
        roster = construct_fast(problem, params, t0 + 0.5 * params.time_limit, improve)
    else:
        roster = construct(problem, params, t0 + 0.5 * params.time_limit, greedy_rows)
    if roster is None:
        return solve(problem, dataclasses.replace(params, time_limit=deadline - time.monotonic()))
    stats["construct_objective"] = total_cost(problem, roster)
    stats["construct_seconds"] = round(time.monotonic() - t0, 2)
    spaces = None
    if fast and SWEEP:
        if not use_cg and SWEEP_SHARE:
            spaces = row_spaces(problem)
        until = t0 + (COLGEN_SWEEP_UNTIL if use_cg else SWEEP_UNTIL) * params.time_limit
        threads = 1 if use_cg else params.workers  # before CG: the start CG was tuned on
        roster = sweep_rows(problem, roster, params.seed, until, spaces, threads=threads)
        stats["sweep_objective"] = total_cost(problem, roster)
        stats["sweep_seconds"] = round(time.monotonic() - t0, 2)
    bound = None
    full_limit = max(FULL_SHARE * params.time_limit, min(5.0, params.time_limit / 2))
    if use_cg:
        roster, bound = colgen_search.improve(problem, roster, params, deadline, stats)
        full_limit = full_limit if problem.n_pairs <= FULL_AFTER_CG else 0
    elif problem.n_pairs > FULL_MODEL_MAX_PAIRS:
        full_limit = 0
    if full_limit and (bound is None or total_cost(problem, roster) > bound):
        limit = min(full_limit, max(0.1, deadline - time.monotonic()))
        roster, bound = _full(problem, params, roster, bound, limit, stats)
    if bound is not None and total_cost(problem, roster) <= bound:
        deadline = time.monotonic()
    roster = _lns(problem, params, roster, deadline, bound, stats, spaces)
    objective = total_cost(problem, roster)
    proved = bound is not None and objective <= bound
    return Solution(
        status=Status.optimal if proved else Status.feasible,
        objective=objective,
        bound=bound,
        assignments=tuple(sorted(roster)),
        seconds=time.monotonic() - t0,
        stats=stats,
    )


def _full(
    problem: Problem, params: SolveParams, roster: set[Pair], bound: float | None,
    limit: float, stats: dict[str, object],
) -> tuple[set[Pair], float | None]:  # fmt: skip
    """CP-SAT on the whole model, hinted with ``roster``, for ``limit`` seconds: the better
    roster and the better bound."""
    full = solve_context(
        build_model(problem, dataclasses.replace(params, hint=frozenset(roster))), limit
    )
    stats["full_status"] = str(full.status)
    if not full.status.has_roster:
        return roster, bound
    if total_cost(problem, full.assignments) <= total_cost(problem, roster):
        roster = set(full.assignments)
    if full.bound is not None:
        bound = full.bound if bound is None else max(bound, full.bound)
    return roster, bound


def _lns(
    problem: Problem, params: SolveParams, roster: set[Pair], deadline: float,
    bound: float | None, stats: dict[str, object], spaces: list[Space] | None = None,
) -> set[Pair]:  # fmt: skip
    """Re-solve random neighbourhoods until ``deadline``: ``rows`` (k volunteers over the
    horizon), ``weekend`` (k of them drawn for a short weekend, where weekends are capped)
    and ``window`` (up to m volunteers over ``span`` days), or (given the rows' ``spaces``)
    ``sweep`` (best-response sweeps for SWEEP_SLICE seconds); k, m and span adapt, and so
    do the kinds' shares (:func:`solver.lns_steps.kind_shares`).

    With two workers, two lanes (threads, one CP-SAT worker each) solve neighbourhoods on
    disjoint volunteers at once, unsynchronised (:class:`Lanes`; with :data:`ASYNC`
    off, in lock step by :func:`lockstep`)."""
    rng = random.Random(params.seed + 7)
    nvol, days = len(problem.volunteers), problem.config.horizon.days
    sizes = Sizes(2.0, float(min(nvol, 40)), float(min(days, 7)), nvol, days)
    share = {"rows": 1.0}
    if days > 14:
        share = {"rows": 1 - WINDOW_SHARE, "window": WINDOW_SHARE}
    if WEEKEND_SHARE and lns_weekends.capped(problem) and lns_weekends.weekends(problem):
        share["rows"] -= WEEKEND_SHARE
        share["weekend"] = WEEKEND_SHARE
    if spaces is not None:
        share = {kind: x * (1 - SWEEP_SHARE) for kind, x in share.items()}
        share["sweep"] = SWEEP_SHARE
    rate = dict.fromkeys(share, 0.0)  # moving average of cost saved per second
    lanes = 2 if PARALLEL and params.workers >= 2 and nvol >= 4 else 1
    count: Counter[str] = Counter()
    cost = float(total_cost(problem, roster))
    pool = ThreadPoolExecutor(max_workers=lanes) if lanes > 1 else None
    try:
        if pool is not None and ASYNC:
            search = Lanes(problem, params, roster, cost, deadline, bound, spaces, sizes,
                           share, rate, count, rng)  # fmt: skip
            search.run(pool, lanes)
            roster, share = search.roster, search.share
        else:
            roster, share = lockstep(problem, params, roster, cost, deadline, bound, spaces,
                                     sizes, share, rate, count, rng, pool, lanes)  # fmt: skip
    finally:
        if pool:
            pool.shutdown()
    stats.update({f"lns_{key}": n for key, n in sorted(count.items())})
    stats.update(lns_k=round(sizes.k, 1), lns_m=round(sizes.m, 1), lns_span=round(sizes.span, 1))
    stats["lns_lanes"] = lanes
    stats["lns_window_share"] = round(share.get("window", 0.0), 2)
    if "weekend" in share:
        stats["lns_weekend_share"] = round(share["weekend"], 2)
    if "sweep" in share:
        stats["lns_sweep_share"] = round(share["sweep"], 2)
    return roster
