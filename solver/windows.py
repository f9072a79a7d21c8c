"""Day windows: a roster re-solved a few days at a time, the rest of it in place.

Most of what a good roster of a plan like S1 still gets wrong after a search on the LP's
support is local in time: two teammates on different shifts of one day, a far-away
volunteer on a shift a nearer one could take if someone else moved a shift the next
day. Each fix touches four or more assignments at once, so single swaps
(:mod:`solver.swaps`) cannot find it, and CP-SAT's random neighbourhoods on the whole
model find one now and then. :func:`sweep` solves, for each window of WINDOW_DAYS
consecutive days in turn (a day's step), the problem whose pairs are every eligible
pair on those days and the roster's own pairs elsewhere: everything outside the window
stays as it is (its pairs are the only ones there, and coverage keeps them), and
CP-SAT finds the best roster of the window exactly (S1: each in 0.3-0.6 s, proved
optimal). It goes round the windows until a whole round has lowered nothing (a local
optimum: every window is optimal given the rest) or time runs out.

Measured on S1 (2 cores, Xeon), from phase 1's roster at 2 398: one round of the 13
two-day windows, 8.5 s, ended at 2 384, where a 60 s run of them stayed; three-day
windows (1-2.5 s each) and four-day windows (2-4 s, some cut short) ended at the same
2 384, slower. The LP-guided search's own phase 2 and full model gained 2 to 6 in 14 s
from the same start (2 390-2 396 before the final swaps).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from scheduler.problem import Problem
from solver.types import Pair, Solution

WINDOW_DAYS = 2
"""Days per window (S1: two-day windows reach what three- and four-day ones do, faster)."""
WINDOW_SECONDS = 2.0
"""At most this long per window (S1's are proved optimal in 0.3-0.6 s)."""
MIN_WINDOW_SECONDS = 0.3
"""A window is started only with at least this long left before the deadline."""

SolveOn = Callable[[frozenset[Pair], frozenset[Pair], float], Solution]
"""``solve_on(pairs, roster, seconds)``: CP-SAT on ``pairs`` hinted with ``roster``."""


def windows(problem: Problem, days: int = WINDOW_DAYS) -> list[frozenset[Pair]]:
    """The eligible pairs of each window of ``days`` consecutive days (a day's step);
    none when the horizon is no longer than one window (the whole model is that)."""
    by_day: dict[int, list[Pair]] = {}
    for o, vols in enumerate(problem.eligible):
        day = problem.occurrences[o].day
        by_day.setdefault(day, []).extend((o, v) for v in vols)
    span = max(by_day, default=0) + 1
    if span <= days:
        return []
    found = []
    for start in range(span - days + 1):
        pairs = frozenset(p for d in range(start, start + days) for p in by_day.get(d, ()))
        if pairs:
            found.append(pairs)
    return found


def sweep(
    problem: Problem, best: Solution, solve_on: SolveOn, deadline: float
) -> tuple[Solution, int, int]:
    """``best`` improved window by window (see the module doc) until a whole round of
    windows lowered nothing or ``deadline``; also how many windows were solved and how
    many lowered the cost."""
    found = windows(problem)
    if not found or not best.status.has_roster:
        return best, 0, 0
    solved = improved = 0
    since = 0  # windows solved since the last improvement
    k = 0
    roster = frozenset(best.assignments)
    while since < len(found):
        left = deadline - time.monotonic()
        if left < MIN_WINDOW_SECONDS:
            break
        result = solve_on(found[k] | roster, roster, min(WINDOW_SECONDS, left))
        solved += 1
        since += 1
        if (
            result.status.has_roster
            and result.objective is not None
            and best.objective is not None
            and result.objective < best.objective
        ):
            best, since = result, 0
            roster = frozenset(best.assignments)
            improved += 1
        k = (k + 1) % len(found)
    return best, solved, improved
