"""A problem restricted to some of its pairs, its rosters costing what they cost in full.

Searches on part of a model (the LP's support in :mod:`solver.guided`, the candidate pairs
of :func:`solver.solve.warm_start`, a neighbourhood in :mod:`solver.fill`) solve the
problem with fewer eligible pairs. Fairness spans the volunteers eligible for at least
one occurrence, so dropping all of a volunteer's pairs would drop them from the spread
too: the sub-problem's lowest load would rise above the full problem's (usually 0), its
objective would reward giving everyone kept a shift, and its costs would not be the full
problem's (S1: a phase "at 2 469" was 2 549). :func:`restricted` keeps one pair of every
such volunteer, so the fairness pool, and every roster's cost, stay the same.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from scheduler.problem import Problem


def restricted(problem: Problem, allowed: Callable[[int, int], bool]) -> Problem:
    """``problem`` with the pairs (o, v) that ``allowed`` accepts, plus, when fairness
    costs, the first pair of each volunteer who would otherwise have none."""
    kept: set[int] = set()
    for o, vols in enumerate(problem.eligible):
        kept.update(v for v in vols if allowed(o, v))
    extra: set[tuple[int, int]] = set()
    if problem.config.weights.fairness:
        for o, vols in enumerate(problem.eligible):
            for v in vols:
                if v not in kept:
                    kept.add(v)
                    extra.add((o, v))
    eligible = tuple(
        tuple(v for v in vols if allowed(o, v) or (o, v) in extra)
        for o, vols in enumerate(problem.eligible)
    )
    return dataclasses.replace(problem, eligible=eligible)
