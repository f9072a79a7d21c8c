"""Candidate rosters for a re-plan: the fast repair of the published roster, or a solve.

Kept apart from :mod:`workers.jobs` (which publishes) so each reads in one sitting.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rq import get_current_job

from scheduler.models import Plan
from scheduler.problem import Problem
from scheduler.roster import Roster
from solver.types import Progress, Solution, SolveParams
from workers.repair import repaired_roster
from workers.replan import solve_params
from workers.settings import Settings
from workers.store import Snapshot

Planner = Callable[..., tuple[Roster, Solution]]


def load_planner(path: str) -> Planner:
    """``module:function`` (``ROTA_PLANNER``) with ``solver.pipeline.plan_roster``'s signature."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def compile_problem(plan: Plan) -> Problem:
    """The compiled problem (the vectorised compiler: same result, fast at city scale)."""
    from scheduler.fast_compile import compile_plan_fast

    return compile_plan_fast(plan)


def progress_recorder() -> Callable[[Progress], None] | None:
    """Objective and bound over time into job.meta['progress'] (throttled)."""
    job = get_current_job()
    if job is None:
        return None
    last = [0.0]
    trail: list[dict[str, float]] = []

    def record(p: Progress) -> None:
        trail.append({"t": round(p.seconds, 2), "objective": p.objective, "bound": p.bound})
        del trail[:-50]
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            job.meta["progress"] = list(trail)
            job.save_meta()

    return record


@dataclass(frozen=True)
class Attempt:
    """One computed candidate version (not yet published)."""

    roster: Roster | None
    failure: str | None
    seconds: float


def solve_attempt(problem: Problem, stab: Any, settings: Settings, version: int) -> Attempt:
    params: SolveParams = solve_params(
        stab,
        time_limit=settings.time_limit,
        workers=settings.solver_workers,
        max_changes=settings.max_changes,
        on_progress=progress_recorder(),
    )
    t0 = time.monotonic()
    roster, _solution = load_planner(settings.planner)(problem, params, version=version)
    seconds = round(time.monotonic() - t0, 3)
    if not roster.status.has_roster:
        why = f"no roster ({roster.status.value}): {roster.explanation or 'no explanation'}"
        return Attempt(None, why, seconds)
    return Attempt(roster, None, seconds)


def candidate(
    problem: Problem, snap: Snapshot, stab: Any, settings: Settings, force: bool
) -> Attempt:
    """Repair the published roster when that is the mode, only events changed since it
    (a new config gets a full solve) and the repair passes the checker; else solve."""
    version = snap.version + 1
    same_config = snap.meta is not None and snap.meta.config_rev == snap.config_rev
    if snap.roster is not None and settings.replan_mode == "repair" and same_config and not force:
        t0 = time.monotonic()
        roster = repaired_roster(
            problem,
            stab.previous,
            stab.fixed,
            stab.frozen,
            max_changes=settings.max_changes,
            version=version,
        )
        if roster is not None:
            return Attempt(roster, None, round(time.monotonic() - t0, 3))
    return solve_attempt(problem, stab, settings, version)
