"""Turn solver pairs into the contract's roster (assignments, shortfalls with reasons)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from scheduler.cost import number
from scheduler.problem import Problem
from scheduler.reasons import Explainer
from scheduler.roster import Assignment, Roster, Shortfall, Status
from scheduler.shortfalls import count_shortfalls

Pair = tuple[int, int]


def _num(x: float | int | None) -> float | int | None:
    """An int when integral; None for a missing or non-finite value (no bound known)."""
    return None if x is None or not math.isfinite(x) else number(float(x))


def build_roster(
    problem: Problem,
    *,
    status: Status | str,
    objective: float | int | None,
    bound: float | int | None,
    pairs: Iterable[Pair],
    version: int = 1,
    explanation: str | None = None,
    stats: dict[str, Any] | None = None,
) -> Roster:
    """The roster of ``pairs`` (occurrence index, volunteer index).

    With a roster (optimal/feasible): assignments sorted by start, site and volunteer id,
    with times from the occurrences, and one shortfall per short occurrence with its
    reason. Without one (infeasible/unknown): no assignments, no shortfalls, the
    ``explanation``.
    """
    status = Status(status)
    base = {
        "plan": problem.config.plan,
        "version": version,
        "status": status,
        "bound": _num(bound),
        "explanation": explanation,
        "stats": dict(stats or {}),
    }
    if not status.has_roster:
        return Roster(**base, objective=None)
    pairs = frozenset(pairs)
    occs, vols = problem.occurrences, problem.volunteers
    ordered = sorted(
        pairs, key=lambda p: (occs[p[0]].start, occs[p[0]].site, occs[p[0]].shift, vols[p[1]].id)
    )
    assignments = tuple(
        Assignment(
            volunteer=vols[v].id,
            site=occs[o].site,
            shift=occs[o].shift,
            start=occs[o].start,
            end=occs[o].end,
        )
        for o, v in ordered
    )
    counts = count_shortfalls(problem, pairs)
    explainer = Explainer(problem, pairs) if counts else None
    shortfalls = tuple(
        Shortfall(
            site=occs[o].site,
            shift=occs[o].shift,
            start=occs[o].start,
            missing=missing,
            missing_skills=skills,
            reason=explainer.explain(o, missing, skills) if explainer else "",
        )
        for o, missing, skills in counts
    )
    return Roster(**base, objective=_num(objective), assignments=assignments, shortfalls=shortfalls)
