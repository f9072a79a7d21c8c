"""Weighted coverage, the supply bound and the record every coverage bound is reported in.

Weighted coverage of a roster is ``sum_o priority_o * min(n_o, need_o)`` (``n_o``: people
on occurrence ``o``); the supply bound ``sum_o priority_o * min(need_o, |eligible_o|)``
is at least that for every roster, since no one ineligible can be on ``o``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.expand import Occurrence
from scheduler.problem import Problem

Pair = tuple[int, int]  # (occurrence index, volunteer index)


@dataclass(frozen=True)
class CoverageBound:
    value: float  # the bound: min(lp, supply)
    demand: float  # sum priority * need (coverage if nothing were short)
    supply: float
    lp: float | None
    method: str
    groups: int
    seconds: float


def need_priority(occurrences: Sequence[Occurrence]) -> tuple[np.ndarray, np.ndarray]:
    """(need as int64, priority as float) per occurrence."""
    need = np.array([o.need for o in occurrences], dtype=np.int64)
    prio = np.array([o.priority for o in occurrences], dtype=float)
    return need, prio


def staffed(n_occurrences: int, pairs: Iterable[Pair]) -> np.ndarray:
    """People per occurrence in a set of (occurrence, volunteer) pairs (repeats count once)."""
    n = np.zeros(n_occurrences, dtype=np.int64)
    for o, _v in set(pairs):
        n[o] += 1
    return n


def weighted_coverage(problem: Problem, pairs: Iterable[Pair]) -> float:
    """sum_o priority_o * min(n_o, need_o) of a set of (occurrence, volunteer) pairs."""
    n = staffed(len(problem.occurrences), pairs)
    need, prio = need_priority(problem.occurrences)
    return float(np.sum(prio * np.minimum(n, need)))


def supply_bound(problem: Problem) -> float:
    """sum_o priority_o * min(need_o, |eligible_o|): no roster covers more."""
    return float(
        sum(
            o.priority * min(o.need, len(e))
            for o, e in zip(problem.occurrences, problem.eligible, strict=True)
        )
    )
