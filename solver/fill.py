"""Fill: close the shortfalls a time-limited search left where the hand method had none.

A search cut short by its time limit can end on a roster that leaves someone missing
(``uncovered`` x priority) where the greedy roster (the coordinator's hand method) staffed
the shift, because everything else it found cost less (Jing'an communities with 10 s:
1 000 of uncovered, greedy 0). :func:`fill` re-solves a neighbourhood of such a roster:
on the dates of those occurrences, every volunteer eligible for one of them may take any
shift; everyone else keeps their roster (their pairs can only be dropped). The staffing of
each such occurrence, and each skill it requires, is forced up to the greedy roster's
level, the weighted shortfall overall capped at the greedy roster's (filling one shift
must not leave others shorter), and the roster is the hint. Forcing matters: unforced,
CP-SAT spends its time on the other terms (6 363 -> 6 273, the gap kept); forced, 5 300
with none (1.3 s).

The result is kept only when it costs no more than the roster it repairs, so the fill
never trades the objective for coverage; it only finds rosters the search missed.
"""

from __future__ import annotations

import dataclasses
import math
import time

from scheduler.cost import total_cost, weighted_shortfall
from scheduler.problem import Problem
from scheduler.roster import Status
from scheduler.shortfalls import missing_skills, staff_by_occurrence
from solver.model import build_model
from solver.restrict import restricted
from solver.solve import BUILD_SECONDS_PER_PAIR, solve_context
from solver.types import Pair, Solution, SolveParams
from solver.variables import ModelContext

MIN_FILL_SEARCH = 0.5
"""Seconds of search the fill must have left after building its model, or it is skipped."""


def short_of(
    problem: Problem, pairs: frozenset[Pair] | tuple[Pair, ...], reference: frozenset[Pair]
) -> dict[int, tuple[int, dict[str, int]]]:
    """Occurrences ``pairs`` staffs below ``reference`` (people, or holders of a required
    skill), each capped at what the occurrence needs: ``{o: (people, {skill: holders})}``,
    the levels to reach."""
    staff = staff_by_occurrence(problem, pairs)
    ref = staff_by_occurrence(problem, reference)
    short: dict[int, tuple[int, dict[str, int]]] = {}
    for o, occ in enumerate(problem.occurrences):
        people = min(occ.need, len(ref[o]))
        missing = missing_skills(problem, o, staff[o])
        ref_missing = missing_skills(problem, o, ref[o])
        skills = {
            s: req - ref_missing.get(s, 0)
            for s, req in occ.require
            if missing.get(s, 0) > ref_missing.get(s, 0)
        }
        if len(staff[o]) < people or skills:
            short[o] = (people, skills)
    return short


def cap_shortfall(ctx: ModelContext, limit: float) -> None:
    """The fill's roster leaves at most ``limit`` short (as
    :func:`scheduler.cost.shortfall_cost` prices it): forcing the short occurrences up
    must not leave others shorter than the reference overall (S9: a fill that brought
    two shifts to greedy's level once left a third a `medical` holder short, 5 missing
    against greedy's 4)."""
    w, occs = ctx.problem.config.weights, ctx.problem.occurrences
    shortfall, missing = ctx.aux["shortfall"], ctx.aux["missing_skill"]
    constant = ctx.aux.get("shortfall_constant", 0)
    terms = [w.uncovered * occs[o].priority * var for o, var in shortfall.items()]
    terms += [w.missing_skill * var for var in missing.values()]
    ctx.model.Add(sum(terms) <= math.floor(limit - constant + 1e-9))


def fill(
    problem: Problem, params: SolveParams, solution: Solution, reference: frozenset[Pair],
    seconds: float,
) -> Solution | None:  # fmt: skip
    """A roster costing at most ``solution``'s that staffs every occurrence at least as
    well as ``reference`` where ``solution`` falls short of it (see the module doc);
    None when there is nothing to fill or no such roster was found in ``seconds``."""
    pairs = frozenset(solution.assignments)
    short = short_of(problem, pairs, reference)
    if not short or solution.objective is None or seconds <= 0:
        return None
    occs = problem.occurrences
    dates = {occs[o].date for o in short}
    free = {v for o in short for v in problem.eligible[o]}
    deadline = time.monotonic() + seconds
    sub = restricted(problem, lambda o, v: (o, v) in pairs or (v in free and occs[o].date in dates))
    if BUILD_SECONDS_PER_PAIR * sub.n_pairs + MIN_FILL_SEARCH > seconds:
        return None  # its model would not even build in time (QA's 600-volunteer config:
        # 100 988 pairs, 3 s to build against 2.5 s, then nothing found: the run overran)
    ctx = build_model(sub, dataclasses.replace(params, hint=pairs, time_limit=seconds))
    vols = problem.volunteers
    for o, (people, skills) in short.items():
        ctx.model.Add(sum(var for _, var in ctx.occ_vars[o]) >= people)
        for skill, level in skills.items():
            holders = [var for v, var in ctx.occ_vars[o] if skill in vols[v].skills]
            ctx.model.Add(sum(holders) >= level)
    cap_shortfall(ctx, weighted_shortfall(problem, reference))
    found = solve_context(ctx, max(0.1, deadline - time.monotonic()))
    if not found.status.has_roster:
        return None
    objective = total_cost(problem, found.assignments)
    if objective > solution.objective:
        return None
    bound = solution.bound if solution.bound is not None and solution.bound <= objective else None
    status = Status.optimal if bound is not None and objective <= bound else Status.feasible
    stats = {**solution.stats, "filled_occurrences": len(short), "fill_from": solution.objective}
    return dataclasses.replace(
        solution, status=status, objective=objective, bound=bound,
        assignments=found.assignments, stats=stats,
    )  # fmt: skip
