"""LP-guided solving of large models: bound from the relaxation, search on its support.

On models of tens of thousands of pairs CP-SAT alone, in 30 s, neither proves a useful
bound (its root LP leaves the clauses out and settles slowly) nor finds the cheap
rosters: a max-min fairness term makes every single move that loads the nearest
volunteers more look worse, so its local search stays on a plateau far from optimal
(Shanghai station: 2 518 against an LP bound of 2 286.5). :func:`guided_solve`:

1. builds the full model without a hint and solves its LP relaxation
   (:func:`solver.relax.lp_relaxation`, HiGHS interior point and dual simplex racing):
   a valid bound (dual simplex prices in the pairs outside each shift's cheapest
   candidates: :func:`_priced_columns`);
2. restricts the problem to the pairs the LP's optimal vertex uses (plus hinted, fixed
   and previous pairs) and fixes fairness' ``minutes_max`` at the LP's value rounded up
   (or the hint's highest load, if higher, so the hint stays feasible): the fairness term
   is a constant and the search can load volunteers up to that level; CP-SAT solves this
   small problem (a relaxation-induced neighbourhood, "RENS") hinted with the greedy
   roster until it stalls (:class:`Stall`: its first good roster comes from CP-SAT's LP
   dive, 4 to 22 s in on the scenarios, then it creeps) or RESTRICTED_SHARE of the time
   left runs out; if it is lost (still above LOST_RATIO times the LP bound after
   STALL_AFTER of its time), swaps and hand-overs (:mod:`solver.swaps`) take its roster
   over until that share runs out;
3. re-solves the roster a few days at a time, everything else in place, round the
   windows until a round lowers nothing (:mod:`solver.windows`; S1 at 30 s: 2 384-2 385
   in eight seeds of eight, where phases 4 and 5 and the final swaps without the windows
   ended at 2 387-2 393);
4. widens it to the LP's optimal face (the pairs the interior point solution uses, or
   those of zero reduced cost when dual simplex won: every pair some optimal LP
   solution may use, S1 5 800 or 8 900 against the vertex's 1 500) plus the best roster's,
   the level still fixed, and lets CP-SAT improve the best roster there for the rest of
   that share (S1: 8 to 25 lower in 5-10 s, where the full model gained 0 to 4 and
   staying on the vertex's pairs 0 to 6), when the windows left time;
5. hints the full model with the best roster and lets CP-SAT improve it for the rest
   (on some scenarios, e.g. S8, its bound beats the LP's).

The reported bound is the larger of the LP's and the full model's; the status is
optimal when the roster's cost reaches it. Returns None when the LP is not solved in
its share of the time, and the caller falls back to its plain path.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import Counter
from typing import Any

import numpy as np

from scheduler.cost import total_cost
from scheduler.greedy import greedy
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.candidates import candidate_pairs, pair_cost
from solver.model import add_hint, build_model
from solver.objective import to_cost
from solver.pipeline import is_plain, with_swaps
from solver.relax import Relaxation, lp_relaxation
from solver.restrict import restricted
from solver.solve import solve_context
from solver.types import Pair, Progress, Solution, SolveParams
from solver.variables import ModelContext

LP_SHARE = 0.75
"""At most this share of the time limit for building the model and solving the LP (S1's
LP takes 5 s on the EPYC, 9-11 s on the 2.1 GHz Xeon, S2's 15-17 s there: 0.45 of 30 s
left S1's unsolved, 0.65 S2's in one of three runs; without it S2 ends near 5 500, with
it near 1 600)."""
LP_LEAVE_OUT = ("rest",)
"""Families whose rows the LP leaves out (``lp_relaxation``'s
``leave_out``): rest's cliques (a third of S1's rows) never moved the LP value on S1-S9
and cost 40 % of S1's interior point time (10.0 s against 5.9 s on a 2-core EPYC), so
with them S1's LP missed its share at 15 s (the greedy roster, 5 097, was published;
without them 2 476). But the vertex then breaks rest (123 of S1's cliques), its support
is smaller, and phase 1 on it ends higher at 30 s (S1 2 437-2 471 against 2 404-2 413):
so the vertex gets them back when there is time (RESTORE_SHARE; S1 2 403 when it
did)."""
RESTORE_SHARE = 0.75
"""The vertex gets the left-out rows it breaks back (``lp_relaxation``'s
``restore_within``) only while this share of the time limit has not passed: as long as
the LP itself may take (LP_SHARE). On a slower EPYC, S1's LP took 8-14 s and the restore
7 s more; at 0.6 it was skipped and S1 ended at 2 428-2 438, at 0.7 it failed once in
six runs (2 437), at 0.75 it held in four of four (2 391-2 395)."""
RESTRICTED_SHARE = 0.8
"""Share of the time left after the LP for the restricted (vertex support) problem and,
once it stalls, the widened one; the rest goes to the full model."""
STALL_WINDOW = 2.0
"""A phase has stalled when its best improved by less than STALL_RATIO in this many s..."""
STALL_RATIO = 0.003
STALL_AFTER = 0.4
"""...judged only after this share of the phase's time (CP-SAT's LP dive, which finds the
first good roster, takes 4-22 s on the scenarios: S8, S1, S4)."""
QUIET_WITHIN = 0.02
"""Between rosters a phase is judged stalled only while its best is within this share
above the LP bound (:meth:`Stall.idle`; S1: 2 414)."""
LOST_RATIO = 2.5
"""Phase 1 is judged lost, and stopped, when after STALL_AFTER of its time its roster
still costs more than this many times the LP bound; swaps and hand-overs
(:mod:`solver.swaps`) then take over until the phase's end. On S6 (bound 7 850) CP-SAT's
phase 1 ended at 21 178-26 562 in 14 s (seeds 1-3, one run in four of `rota plan` found
~8 130 by its LP dive) and stood at 26 840-29 505 after 40 % of it; swaps took those to
9 520-9 638 in the remaining 60 %. The other scenarios stay below the ratio even at
the roster phase 1 starts from: the highest, S8's hand roster, is 2.2 times its bound
(8 085 / 3 625); S2 starts from the LP-rounded roster (1 674 / 1 468), not its hand
roster (7 942)."""
WINDOWS = True
"""After phase 1, day windows (:mod:`solver.windows`) before phase 2."""
SUPPORT = 1e-6
"""A pair is in the LP vertex's support when its value exceeds this."""
CENTRAL_SUPPORT = 1e-4
"""A pair is in the interior point solution's support when its value exceeds this..."""
REDUCED_ZERO = 1e-6
"""...or, when dual simplex solved the LP (no central solution), a pair is on the optimal
face when its reduced cost at the vertex is at most this (S1: 8 900 pairs, against the
central solution's 5 800; phase 2 ended at 2 391-2 394 either way)."""


def _support(
    ctx: ModelContext, values: np.ndarray, params: SolveParams, threshold: float = SUPPORT
) -> frozenset[Pair]:
    used = {pair for pair, var in ctx.x.items() if values[var.Index()] > threshold}
    return frozenset(used | params.hint | params.fixed | (params.previous or frozenset()))


def _optimal_face(ctx: ModelContext, relax: Relaxation, params: SolveParams) -> frozenset[Pair]:
    """The pairs some optimal LP solution may use: the central solution's support when
    the interior point method solved the LP, else those of zero reduced cost."""
    if relax.central is not None:
        return _support(ctx, relax.central, params, CENTRAL_SUPPORT)
    return _support(ctx, -relax.reduced, params, -REDUCED_ZERO)


class Stall:
    """``stop_when`` for a phase: true once the best roster improved by less than
    ``ratio`` (relative) over the last ``window`` seconds, after ``after`` seconds; or,
    with ``lost_above``, once it still costs more than that after ``after`` seconds.
    Between rosters :meth:`idle` judges the same way, but waits out a quiet spell above
    ``quiet_above``."""

    def __init__(
        self,
        after: float,
        window: float = STALL_WINDOW,
        ratio: float = STALL_RATIO,
        lost_above: float | None = None,
        quiet_above: float | None = None,
    ):
        self.after, self.window, self.ratio = after, window, ratio
        self.lost_above, self.quiet_above = lost_above, quiet_above
        self.seen: list[tuple[float, float]] = []

    def _lost(self, p: Progress) -> bool:
        return self.lost_above is not None and p.objective > self.lost_above

    def __call__(self, p: Progress) -> bool:
        self.seen.append((p.seconds, p.objective))
        if self._lost(p) and p.seconds >= self.after:
            return True
        if p.seconds < max(self.after, self.window):
            return False
        before = [obj for t, obj in self.seen if t <= p.seconds - self.window]
        return bool(before) and before[-1] - p.objective < self.ratio * max(1.0, p.objective)

    def idle(self, p: Progress) -> bool:
        """The verdict with no new roster since the last (``p``: the best so far, at the
        time asked): a quiet spell while the best costs more than ``quiet_above`` (and
        is not lost) is waited out, since CP-SAT's LP dive may end it with a far better
        roster (S1 on a slow EPYC, session 12: a phase judged stalled at 2 501 and 2 485
        between rosters ended the runs at 2 416 and 2 409)."""
        if self.quiet_above is not None and p.objective > self.quiet_above and not self._lost(p):
            return False
        return self(p)


def _relay(params: SolveParams, bound: float, start: float | None, t0: float) -> SolveParams:
    """Progress of every phase against the full problem's bound, improvements only
    (``start``: the cost of the roster in hand, reported first), seconds since ``t0``."""
    on_progress = params.on_progress
    if on_progress is None:
        return params
    best = [float("inf")]

    def relay(p: Progress) -> None:
        if p.objective < best[0]:
            best[0] = p.objective
            seconds = time.monotonic() - t0
            on_progress(Progress(seconds, objective=p.objective, bound=min(bound, p.objective)))

    if start is not None:
        relay(Progress(seconds=0.0, objective=start, bound=bound))
    return dataclasses.replace(params, on_progress=relay)


def _solve_restricted(
    problem: Problem,
    params: SolveParams,
    keep: frozenset[Pair],
    relax: Relaxation,
    ctx: ModelContext,
    seconds: float,
    stall: bool = False,
    loaded: frozenset[Pair] = frozenset(),
    lost_above: float | None = None,
) -> Solution:
    """CP-SAT on the pairs ``keep``, fairness' top load fixed (see the module doc: at
    least the highest load of the hint and of ``loaded``), for ``seconds`` or (``stall``)
    until it stalls or (``lost_above``) is judged lost (:class:`Stall`)."""
    sub = restricted(problem, lambda o, v: (o, v) in keep)
    sub_ctx = build_model(sub, dataclasses.replace(params, hint=frozenset()))
    hi = ctx.aux.get("minutes_max")
    sub_hi = sub_ctx.aux.get("minutes_max")
    if hi is not None and sub_hi is not None:
        rosters = (params.hint | params.fixed, loaded | params.fixed)
        level = _phase_level(problem, relax, hi, rosters)
        sub_ctx.model.Add(sub_hi == level)
    sub_ctx.params = dataclasses.replace(params, time_limit=seconds)
    add_hint(sub_ctx)
    stop = None
    if stall:
        quiet_above = (1 + QUIET_WITHIN) * to_cost(relax.bound)
        stop = Stall(STALL_AFTER * seconds, lost_above=lost_above, quiet_above=quiet_above)
    return solve_context(sub_ctx, seconds, stop, stop.idle if stop else None)


def _lp_level(relax: Relaxation, hi: Any) -> int:
    """Fairness' top load (``minutes_max``, variable ``hi``) in the LP, rounded up."""
    return math.ceil(relax.x[hi.Index()] - 1e-6)


def _phase_level(
    problem: Problem, relax: Relaxation, hi: Any, rosters: tuple[frozenset[Pair], ...]
) -> int:
    """The restricted phases' fixed top load: the LP's level, or the highest load of any
    of ``rosters`` if higher, so each stays feasible. Each roster's top load counts
    alone: the top load of their union (a volunteer's shifts in both summed) let S4's
    phase 1 load people far beyond either, unpriced, and end at 5 008 from a 4 554 hint."""
    return max(_lp_level(relax, hi), *(_top_load(problem, r) for r in rosters))


def _top_load(problem: Problem, pairs: frozenset[Pair]) -> int:
    """The most minutes any one volunteer works in ``pairs``."""
    load: Counter[int] = Counter()
    for o, v in pairs:
        load[v] += problem.occurrences[o].minutes
    return max(load.values(), default=0)


def _rounded_hint(
    problem: Problem, params: SolveParams, ctx: ModelContext, relax: Relaxation
) -> tuple[SolveParams, float | None]:
    """The hand method guided by the LP (candidates by LP value, then travel and
    preference cost, then least used) as the hint when it costs less than the hint in
    hand (plain planning only); and its cost. S1: 2 636 in 0.35 s against greedy's
    5 097; where the LP's rounding leaves shifts short (S6: 58 214 against 30 342) the
    hint stays; so it does where its top load exceeds the LP's and the hand method's (it
    would raise phase 1's fixed level: S8 4 639 against 8 085, but phase 1 then ended at
    its optimum 4 219 in 1 s, against 3 721 from the hand method). Phase 1 keeps the hand
    method's pairs beside it."""
    if not is_plain(params):
        return params, None
    value = {pair: relax.x[var.Index()] for pair, var in ctx.x.items()}
    cost = pair_cost(problem)
    rounded = greedy(problem, lambda o, v: (-round(value.get((o, v), 0.0), 3), cost(o, v)))
    rounded_cost = total_cost(problem, rounded)
    if params.hint and rounded_cost >= total_cost(problem, params.hint):
        return params, rounded_cost
    hi = ctx.aux.get("minutes_max")
    if hi is not None:
        level = max(_lp_level(relax, hi), _top_load(problem, params.hint))
        if _top_load(problem, rounded) > level:
            return params, rounded_cost  # it would raise phase 1's fixed top load
    return dataclasses.replace(params, hint=rounded), rounded_cost


def _priced_columns(problem: Problem, params: SolveParams, ctx: ModelContext) -> np.ndarray:
    """The columns of the pairs outside :func:`solver.candidates.candidate_pairs`: dual
    simplex lets them into the LP only by pricing (``lp_relaxation``'s ``priced``)."""
    keep = candidate_pairs(problem, params)
    return np.array(
        [var.Index() for pair, var in ctx.x.items() if pair not in keep], dtype=np.int32
    )


def _lost_above(problem: Problem, params: SolveParams, lp_bound: float) -> float | None:
    """Phase 1 is judged lost when its roster costs more than this (LOST_RATIO times the
    LP bound) after STALL_AFTER of its time: None where swaps cannot take over (not
    plain planning, requests) or the LP bound is 0."""
    from solver import swaps

    if lp_bound < 1 or not (is_plain(params) and swaps.applicable(problem)):
        return None
    return LOST_RATIO * lp_bound


def _windowed(
    problem: Problem,
    params: SolveParams,
    best: Solution,
    relax: Relaxation,
    ctx: ModelContext,
    deadline: float,
    stats: dict[str, object],
) -> Solution:
    """``best`` improved by day windows (:mod:`solver.windows`), fairness' top load
    fixed as in the restricted phases, until ``deadline``."""
    from solver import windows

    def solve_on(pairs: frozenset[Pair], roster: frozenset[Pair], seconds: float) -> Solution:
        hinted = dataclasses.replace(params, hint=roster)
        return _solve_restricted(problem, hinted, pairs, relax, ctx, seconds, loaded=roster)

    best, solved, improved = windows.sweep(problem, best, solve_on, deadline)
    stats["windows_solved"] = solved
    stats["windows_improved"] = improved
    stats["windowed_objective"] = best.objective
    return best


def guided_solve(problem: Problem, params: SolveParams) -> Solution | None:
    """Solve with the LP's bound and support (see the module doc); None if no LP in time."""
    t0 = time.monotonic()
    limit = params.time_limit
    ctx = build_model(problem, dataclasses.replace(params, hint=frozenset()))
    leave_out = [ctx.family_rows[name] for name in LP_LEAVE_OUT if name in ctx.family_rows]
    elapsed = time.monotonic() - t0
    relax = lp_relaxation(
        ctx.model,
        LP_SHARE * limit - elapsed,
        leave_out,
        RESTORE_SHARE * limit - elapsed,
        priced=_priced_columns(problem, params, ctx),
    )
    if relax is None:
        return None
    lp_bound = max(0, to_cost(relax.bound))
    hand = params.hint  # the hand method's roster: its pairs stay in phase 1 either way
    params, rounded_cost = _rounded_hint(problem, params, ctx, relax)
    start = total_cost(problem, params.hint, params.previous) if params.hint else None
    relayed = _relay(params, lp_bound, start, t0)  # the hint is the roster in hand
    left = limit - (time.monotonic() - t0)
    search_end = time.monotonic() + RESTRICTED_SHARE * left
    keep = _support(ctx, relax.x, params) | hand
    lost_above = _lost_above(problem, params, lp_bound)
    best = _solve_restricted(
        problem, relayed, keep, relax, ctx, RESTRICTED_SHARE * left, True, hand, lost_above
    )
    restricted_objective, lost_swaps = best.objective, None
    if lost_above is not None and best.status.has_roster and best.objective > lost_above:
        best = with_swaps(problem, best, search_end, "lost_swaps")
        lost_swaps = best.stats["lost_swaps"]
    stats: dict[str, object] = {
        "lp_bound": lp_bound,
        "rounded_objective": rounded_cost,
        "lp_seconds": round(relax.seconds, 3),
        "lp_method": relax.method,
        "lp_restored": relax.restored,
        "restricted_pairs": best.stats.get("pairs"),
        "restricted_objective": restricted_objective,
        "lost_swaps": lost_swaps,
        "swapped_objective": best.objective if lost_swaps is not None else None,
    }
    if WINDOWS and best.status.has_roster:
        best = _windowed(problem, relayed, best, relax, ctx, search_end, stats)
    left = search_end - time.monotonic()
    if best.status.has_roster and left > 1.0:
        wide = keep | _optimal_face(ctx, relax, params)
        hinted = dataclasses.replace(relayed, hint=frozenset(best.assignments))
        widened = _solve_restricted(problem, hinted, wide | hinted.hint, relax, ctx, left)
        stats["widened_pairs"] = widened.stats.get("pairs")
        stats["widened_objective"] = widened.objective
        if widened.status.has_roster and (widened.objective or 0) < (best.objective or 0):
            best = widened
    bound: float = lp_bound
    left = limit - (time.monotonic() - t0)
    if left > 1.0:
        hint = frozenset(best.assignments) if best.status.has_roster else params.hint
        ctx.params = dataclasses.replace(relayed, hint=hint, time_limit=left)
        add_hint(ctx)
        full = solve_context(ctx, limit - (time.monotonic() - t0))
        if full.bound is not None:
            bound = max(bound, full.bound)
        if full.status.has_roster and (
            not best.status.has_roster or (full.objective or 0) < (best.objective or 0)
        ):
            best = full
        stats["full_model"] = full.stats.get("cp_sat_status")
        stats["full_model_bound"] = full.bound
        stats["full_model_seconds"] = round(full.seconds, 3)
    if not best.status.has_roster:
        return None
    objective = total_cost(problem, best.assignments, params.previous)
    bound = min(bound, objective)
    status = Status.optimal if objective <= bound else Status.feasible
    return Solution(
        status=status,
        objective=objective,
        bound=bound,
        assignments=best.assignments,
        seconds=time.monotonic() - t0,
        stats={**ctx.stats, **best.stats, **stats},
    )
