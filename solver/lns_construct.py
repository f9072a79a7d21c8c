"""LNS phase 1: a start roster that keeps every volunteer's hard rules.

* Pure-Python greedy rows (:mod:`solver.lns_greedy`) where they apply: milliseconds per
  volunteer; a volunteer it cannot place gets a CP-SAT feasible row.
* Otherwise CP-SAT rows: each volunteer (fewest eligible pairs first) solved alone
  against the cover left by those before in a short slice (``greedy_rows``), or any row
  that keeps the volunteer's rules.
"""

from __future__ import annotations

import random
import time

from ortools.sat.python import cp_model

from scheduler.problem import Problem
from solver import lns_greedy
from solver.lns_sub import _cp_solve, _resolve, subproblem
from solver.model import FAMILIES
from solver.types import Pair, SolveParams
from solver.variables import create_pair_vars

ROW_SLICE = 0.2

COST_ONLY = frozenset({"skills", "travel", "preferences", "team", "fairness"})
"""Families that only add costs (their hard sides are eligibility pruning)."""


def _feasible_row(
    problem: Problem, v: int, params: SolveParams, limit: float, seed: int
) -> set[Pair] | None:
    """Any roster of volunteer ``v`` alone that keeps v's hard rules: a model of the hard
    families only (cover too when over-cover is forbidden), no objective."""
    sub = subproblem(problem, [v], set())
    sub_params = SolveParams(time_limit=limit, workers=params.workers, seed=params.seed)
    ctx = create_pair_vars(sub.problem, sub_params, cp_model.CpModel())
    soft_cover = problem.config.weights.over_cover is not None
    for name, add in FAMILIES:
        if name not in COST_ONLY and not (name == "coverage" and soft_cover):
            add(ctx)
    found, *_ = _cp_solve(ctx, limit, seed, workers=max(2, params.workers))
    return None if found is None else sub.back(found)


def construct(
    problem: Problem, params: SolveParams, deadline: float, greedy_rows: bool = False
) -> set[Pair] | None:
    """A roster that keeps every volunteer's hard rules, volunteer by volunteer.

    With ``greedy_rows`` each volunteer (fewest eligible pairs first) is solved alone
    against the cover left by those before, in a short slice; otherwise (and when that
    finds nothing) any row that keeps the volunteer's rules is taken. None when some
    volunteer has no such row.
    """
    rng = random.Random(params.seed)
    order = sorted(range(len(problem.volunteers)),
                   key=lambda v: (len(problem.by_volunteer[v]), rng.random()))  # fmt: skip
    roster: set[Pair] = set()
    for i, v in enumerate(order):
        left = deadline - time.monotonic()
        got = None
        if greedy_rows and left > 0:
            share = min(ROW_SLICE, max(0.1, left / max(1, len(order) - i) * 0.8))
            got, *_ = _resolve(problem, [v], roster, None, params, share, rng.randrange(1 << 30))
        if got is None:
            row = None
            for attempt, limit in enumerate((max(10.0, left), 30.0, 60.0)):
                row = _feasible_row(problem, v, params, limit, params.seed + attempt)
                if row is not None:
                    break
            if row is None:
                return None
            got = roster | row
        roster = got
    return roster


def construct_fast(
    problem: Problem, params: SolveParams, deadline: float, improve_until: float
) -> set[Pair] | None:
    """Greedy Python rows, improved row by row until ``improve_until``; CP-SAT feasible rows
    for the volunteers it could not place."""
    roster, failed = lns_greedy.greedy_roster(problem, params.seed)
    if not failed:
        roster = lns_greedy.improve_rows(problem, roster, params.seed, improve_until)
    for v in failed:
        left = max(1.0, deadline - time.monotonic())
        row = None
        for attempt, limit in enumerate((left, 30.0)):
            row = _feasible_row(problem, v, params, limit, params.seed + attempt)
            if row is not None:
                break
        if row is None:
            return None
        roster |= row
    return roster
