"""Neutral solve parameters and result: no OR-Tools types cross this boundary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.roster import Status

Pair = tuple[int, int]  # (occurrence index, volunteer index)


@dataclass(frozen=True, slots=True)
class Progress:
    """One improving solution seen during search."""

    seconds: float
    objective: float
    bound: float


@dataclass(frozen=True)
class SolveParams:
    time_limit: float = 30.0
    workers: int = 2
    seed: int = 1
    on_progress: Callable[[Progress], None] | None = None
    hint: frozenset[Pair] = frozenset()
    """Assignments to try first (e.g. the published roster or a greedy fill)."""
    fixed: frozenset[Pair] = frozenset()
    """Assignments that must stay (re-planning: shifts already started, freeze window)."""
    frozen_occurrences: frozenset[int] = frozenset()
    """Occurrences whose staffing must be exactly ``fixed`` (nothing added or removed)."""
    previous: frozenset[Pair] | None = None
    """The published roster; each pair added or removed costs ``weights.change``."""
    max_changes: int | None = None
    """Hard cap on pairs added + removed against ``previous``."""
    cp_sat_options: dict[str, object] = field(default_factory=dict)
    """Extra CP-SAT parameters by name (e.g. {"cp_model_presolve": True}); override defaults."""


@dataclass(frozen=True)
class Solution:
    status: Status
    objective: float | None
    bound: float | None
    assignments: tuple[Pair, ...]
    seconds: float
    stats: dict[str, object] = field(default_factory=dict)
    explanation: str | None = None
