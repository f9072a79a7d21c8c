"""Consecutive days: limits on runs of working days and of days off.

A working day of a volunteer is a local date with at least one of their shifts starting
on it: w[v, d] = OR of that day's pairs (:meth:`ModelContext.worked`, exact both ways).
Rules:
- a run of working days is at most ``max_consecutive_days`` long; days before the
  horizon count as off (no history), so every window of k+1 horizon days has a day off;
- a run of working days is at least ``min_consecutive_days`` long, and a run of days off
  at least ``min_consecutive_days_off`` long, except runs touching the first or last
  day of the horizon (they are assumed to continue outside it).

Encoding: sliding-window sums for the maximum; for the minima, forbidden patterns
off, work{j}, off (resp. work, off{j}, work) for j < k as clauses over w, which
propagate well and need no auxiliary counters.
"""

from __future__ import annotations

from solver.variables import Lit, ModelContext, add_clause, negate


def _max_run(ctx: ModelContext, w: list[Lit], k: int) -> int:
    added = 0
    for d in range(len(w) - k):
        window = [lit for lit in w[d : d + k + 1] if lit is not False]
        if len(window) > k:
            ctx.model.Add(sum(window) <= k)  # type: ignore[arg-type]
            added += 1
    return added


def _min_run(ctx: ModelContext, w: list[Lit], k: int, on: bool, enforce: list) -> int:
    """Forbid runs of length 1..k-1 (of worked days if ``on`` else days off) inside."""
    added = 0
    days = len(w)
    inside = w if on else [negate(lit) for lit in w]
    for first in range(1, days - 1):  # run starts after a boundary day `first - 1`
        for j in range(1, k):
            last = first + j - 1
            if last + 1 >= days:  # run would touch the last day: exempt
                break
            lits = [inside[first - 1], inside[last + 1]]  # boundary must not be "off"
            lits += [negate(inside[d]) for d in range(first, last + 1)]
            added += add_clause(ctx.model, lits, enforce)
    return added


def add_consecutive(ctx: ModelContext) -> int:
    """Add max/min consecutive working days and min consecutive days off; return count."""
    problem = ctx.problem
    days = problem.config.horizon.days
    added = 0
    for v, pairs in enumerate(ctx.vol_vars):
        lim = problem.limits[v]
        kmax, kmin, koff = (
            lim.max_consecutive_days,
            lim.min_consecutive_days,
            lim.min_consecutive_days_off,
        )
        if not pairs or (kmax is None and (kmin or 1) <= 1 and (koff or 1) <= 1):
            continue
        w = [ctx.worked(v, d) for d in range(days)]
        if kmax is not None and kmax < days:
            added += _max_run(ctx, w, kmax)
        vid = problem.volunteers[v].id
        if kmin is not None and kmin > 1:
            enforce = ctx.assumption(f"{vid} must work runs of at least {kmin} days")
            added += _min_run(ctx, w, kmin, True, enforce)
        if koff is not None and koff > 1:
            enforce = ctx.assumption(f"{vid} must have at least {koff} days off in a row")
            added += _min_run(ctx, w, koff, False, enforce)
    ctx.count("consecutive", added)
    return added
