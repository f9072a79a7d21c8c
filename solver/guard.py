"""The hand method's coverage as a floor: a roster never leaves more short than greedy's.

rota promises that its roster's weighted shortfall (uncovered x priority plus missing
skilled people, :func:`scheduler.cost.shortfall_cost`) is never above that of the hand
method's roster (:func:`scheduler.greedy.greedy`). The search minimises the whole
objective, so where travel, teams, fairness or preferences outweigh a person missing it
may leave more short than greedy did (QA: S9 at ``--time-limit 10``, five `medical`
holders missing against greedy's four, for less travel; configs with ``uncovered: 5``).
:func:`hold_to_hand` then

1. solves the candidate pairs (:func:`_capped`) with the weighted shortfall capped at
   greedy's, hinted with greedy's roster, which meets the cap: CP-SAT starts from it and
   can only improve on it;
2. where that ends with no roster (no time to build), takes the cheapest hand roster
   (:func:`solver.pipeline.hand_rosters`: greedy's, or the same method taking each
   shift's cheapest volunteers first where that leaves no more short).

Either way the roster costs no more than greedy's and leaves no more short. QA's
configs, objective / weighted shortfall, greedy's in brackets: g30 3 082 / 392
(8 402 / 21): capped 3 679 / 21 in 1.2 s (the fill, :func:`solver.fill.fill` with
greedy's cost as its limit, 3 608 in 3 s); g01 561 / 471 (614 / 450): capped 572 / 450
in 1 s (the fill finds nothing); g31 8 513 / 3 140 (16 023 / 2 400): capped 14 552 /
2 400 in 1 s, 13 254 in 3 s (the fill finds nothing in 6 s).
"""

from __future__ import annotations

import dataclasses
import time

from scheduler.cost import total_cost, weighted_shortfall
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.types import Pair, Solution, SolveParams

GUARD_MIN_SECONDS = 0.5
"""The capped search must have this long left after building its model, or the hand
roster is taken."""
EPSILON = 1e-6


def hold_to_hand(
    problem: Problem,
    params: SolveParams,
    solution: Solution,
    hand: list[tuple[float, str, frozenset[Pair]]],
    floor: float,
    end: float,
) -> Solution:
    """``solution`` if it leaves no more short than ``floor``, the weighted shortfall of
    the hand method's roster (``params.hint``, greedy's); else the capped search's roster
    by ``end``, or the cheapest of ``hand`` (see the module doc).
    ``stats.shortfall_guard`` says which."""
    if not solution.status.has_roster or not hand:
        return solution
    floor += EPSILON
    if weighted_shortfall(problem, solution.assignments) <= floor:
        return solution
    capped = _capped(problem, params, solution, floor, end)
    if capped is not None and capped.objective is not None and capped.objective <= hand[0][0]:
        stats: dict[str, object] = {"shortfall_guard": "capped"}
        return _guarded(solution, capped.objective, capped.assignments, stats)
    cost, source, pairs = hand[0]
    stats = {"roster_source": source, "shortfall_guard": source}
    return _guarded(solution, cost, tuple(sorted(pairs)), stats)


def _guarded(
    solution: Solution, cost: float, pairs: tuple[Pair, ...], stats: dict[str, object]
) -> Solution:
    """``solution`` replaced by ``pairs`` of ``cost``: feasible, its bound kept where it
    stays valid, its objective kept as ``guarded_objective``."""
    bound = solution.bound if solution.bound is not None and solution.bound <= cost else None
    return dataclasses.replace(
        solution, status=Status.feasible, objective=cost, bound=bound, assignments=pairs,
        stats={**solution.stats, **stats, "guarded_objective": solution.objective},
        explanation=None,
    )  # fmt: skip


def _capped(
    problem: Problem, params: SolveParams, solution: Solution, floor: float, end: float
) -> Solution | None:
    """CP-SAT on the candidate pairs plus greedy's and ``solution``'s, the weighted
    shortfall capped at ``floor``, hinted with greedy's roster (``params.hint``), until
    ``end``; None when its model would not build in time or nothing was found."""
    from solver.candidates import candidate_pairs
    from solver.fill import cap_shortfall
    from solver.model import build_model
    from solver.restrict import restricted
    from solver.solve import BUILD_SECONDS_PER_PAIR, solve_context

    wide = dataclasses.replace(params, hint=params.hint | frozenset(solution.assignments))
    keep = candidate_pairs(problem, wide)
    if BUILD_SECONDS_PER_PAIR * len(keep) + GUARD_MIN_SECONDS > end - time.monotonic():
        return None
    sub = restricted(problem, lambda o, v: (o, v) in keep)
    ctx = build_model(sub, dataclasses.replace(params, on_progress=None))
    cap_shortfall(ctx, floor)
    found = solve_context(ctx, max(0.1, end - time.monotonic()))
    if not found.status.has_roster:
        return None
    return dataclasses.replace(found, objective=total_cost(problem, found.assignments))
