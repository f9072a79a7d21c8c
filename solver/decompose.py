"""City-scale planning: split the Plan, solve the parts in parallel, merge, repair, check.

One CP-SAT model over 150,000 volunteers does not fit, and neither does compiling one
(``compile_plan`` tests every volunteer x occurrence pair in Python). So:

1. :func:`solver.split.split_plan` cuts the sites into parts by zone and place and gives
   each volunteer to exactly one part (near home, least-covered part first);
   :mod:`solver.decompose_parts` turns each part into a sub-plan sent as JSON;
2. :mod:`solver.decompose_solve` solves each part on its own (the same
   :func:`solve_part` runs in a local process pool or as an RQ job): compiled, the
   greedy, then CP-SAT from the greedy hint (one search worker) as ``CityOptions.solver``
   says; CP-SAT's roster is kept unless it covers less than the greedy's;
3. :mod:`solver.decompose_merge` merges the parts back into the whole plan, repairs
   what is short across part borders (:mod:`solver.repair`), then :func:`finish`
   compiles the whole plan with :func:`scheduler.fast_compile.compile_plan_fast`,
   computes the cost, the coverage upper bound (:mod:`solver.bound`) and builds the
   roster, which :func:`scheduler.checker.check_roster` must pass.

This module runs the whole pipeline on one machine (:func:`plan_city`; the RQ fan-out
is ``workers.fanout``) and keeps the public names importable from here.

The roster is the same contract as ``rota plan``; its ``bound`` is a valid lower bound on
the cost: ``weights.uncovered x (weighted demand - coverage upper bound)``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from scheduler.models import Plan
from solver.decompose_merge import CityResult, CityRosterInvalid, finish, merge
from solver.decompose_parts import (
    BUILD_SECONDS,
    DEFAULT_TARGET_PAIRS,
    POLISH_SHARE,
    SEARCH_SECONDS,
    CityOptions,
    Pair,
    part_payload,
    plan_json,
    prepare,
    sub_plan,
)
from solver.decompose_solve import run_local, solve_part

__all__ = [
    "BUILD_SECONDS",
    "DEFAULT_TARGET_PAIRS",
    "POLISH_SHARE",
    "SEARCH_SECONDS",
    "CityOptions",
    "CityResult",
    "CityRosterInvalid",
    "Pair",
    "finish",
    "merge",
    "part_payload",
    "plan_city",
    "plan_json",
    "prepare",
    "run_local",
    "solve_part",
    "sub_plan",
]


_DEFAULT_OPTIONS = CityOptions()


def plan_city(
    plan: Plan,
    options: CityOptions = _DEFAULT_OPTIONS,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> CityResult:
    """Plan a city-scale ``plan`` on this machine (see the module doc)."""
    t0 = time.monotonic()
    processes = options.processes or os.cpu_count() or 1
    split, payloads, stats = prepare(plan, options)
    t1 = time.monotonic()
    results = run_local(payloads, processes, on_done)
    stats["parts_seconds"] = round(time.monotonic() - t1, 3)
    stats["processes"] = processes
    regions = [part.sites for part in split.parts]
    result = finish(
        plan, results, regions, options, stats, occurrences=split.occurrences, limits=split.limits
    )
    result.stats["seconds"] = round(time.monotonic() - t0, 3)
    return result
