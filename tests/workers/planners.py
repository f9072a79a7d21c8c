"""Planners with ``plan_roster``'s signature for tests (selected by ``ROTA_PLANNER``).

``real`` is the production pipeline (checked roster); ``observed`` is ``real`` that first
records what ``rota status`` shows of the plan (in ``SEEN``). ``no_roster`` returns a roster with
status ``unknown`` (a solve that timed out without one). ``slow`` sleeps for
``ROTA_TEST_SLEEP`` seconds first (a long solve a test can kill mid-way), and signals it
started by pushing its pid (the RQ work horse) to ``{ROTA_KEY_PREFIX}:test:solving``.
"""

from __future__ import annotations

import os
import time

import redis

from scheduler.build import build_roster
from scheduler.problem import Problem
from scheduler.roster import Roster, Status
from solver.types import Solution, SolveParams


def real(problem: Problem, params: SolveParams, *, version: int = 1) -> tuple[Roster, Solution]:
    from solver.pipeline import plan_roster

    return plan_roster(problem, params, version=version)


SEEN: list[dict] = []
"""``plan_status`` as ``observed`` saw it while its job ran (in-process workers only)."""


def observed(problem: Problem, params: SolveParams, *, version: int = 1) -> tuple[Roster, Solution]:
    from workers.settings import get_settings
    from workers.status import plan_status
    from workers.store import PlanStore

    settings = get_settings()
    conn = redis.Redis.from_url(settings.redis_url)
    SEEN.append(plan_status(PlanStore(conn, settings.key_prefix, problem.config.plan), settings))
    return real(problem, params, version=version)


def no_roster(
    problem: Problem, params: SolveParams, *, version: int = 1
) -> tuple[Roster, Solution]:
    sol = Solution(Status.unknown, None, None, (), params.time_limit, {}, "time ran out")
    roster = build_roster(
        problem,
        status=sol.status,
        objective=None,
        bound=None,
        pairs=(),
        version=version,
        explanation=sol.explanation,
    )
    return roster, sol


def slow(problem: Problem, params: SolveParams, *, version: int = 1) -> tuple[Roster, Solution]:
    conn = redis.Redis.from_url(os.environ["ROTA_REDIS_URL"])
    conn.rpush(f"{os.environ['ROTA_KEY_PREFIX']}:test:solving", os.getpid())
    time.sleep(float(os.environ.get("ROTA_TEST_SLEEP", "3")))
    return real(problem, params, version=version)


def empty(problem: Problem, params: SolveParams, *, version: int = 1) -> tuple[Roster, Solution]:
    """A 'feasible' roster with nobody on it: worse on coverage than any real one."""
    sol = Solution(Status.feasible, 0.0, 0.0, (), 0.0, {}, None)
    roster = build_roster(
        problem, status=sol.status, objective=0, bound=0, pairs=(), version=version
    )
    return roster, sol
