"""City-scale planning, step 2: solve the parts, one at a time or in a process pool.

:func:`solve_part` is JSON in, JSON out, so the same function is the task of the local
process pool (:func:`run_local`) and the RQ job of distributed runs (``workers.fanout``
enqueues it as ``solver.decompose.solve_part``). A part is compiled, solved by the
greedy, then by CP-SAT from the greedy hint (one search worker) when
``CityOptions.solver`` says so; CP-SAT's roster is kept unless it covers less than the
greedy's.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from scheduler.models import Plan
from solver.decompose_parts import BUILD_SECONDS, SEARCH_SECONDS, Pair


def solve_part(payload: dict[str, Any]) -> dict[str, Any]:
    """Solve one part (JSON in, JSON out): assignments as [volunteer, site, shift, start]."""
    from scheduler.fast_compile import compile_plan_fast
    from scheduler.greedy import greedy
    from solver.bound import supply_bound, weighted_coverage

    t0 = time.monotonic()
    plan = Plan.model_validate(payload["plan"])
    problem = compile_plan_fast(plan)
    compiled = time.monotonic() - t0
    hint = frozenset(greedy(problem))
    pairs: Iterable[Pair] = hint
    out: dict[str, Any] = {
        "part": payload["part"],
        "volunteers": len(problem.volunteers),
        "occurrences": len(problem.occurrences),
        "pairs": problem.n_pairs,
        "compile_seconds": round(compiled, 3),
        "greedy_coverage": weighted_coverage(problem, hint),
        "status": "greedy",
    }
    mode = payload.get("solver", "cp-sat")
    supply = supply_bound(problem)
    out["supply_bound"] = supply
    short = out["greedy_coverage"] < supply - 1e-9
    given = payload.get("time_limit")
    limit = float(given) if given is not None else problem.n_pairs * BUILD_SECONDS + SEARCH_SECONDS
    until = payload.get("polish_until")
    fits = until is not None and time.time() + limit < until
    polish = mode == "cp-sat" or (mode in ("gap-only", "auto") and short)
    polish = polish or (mode == "auto" and fits)
    stop = payload.get("cp_sat_until")
    if polish and stop is not None:
        left = stop - time.time()
        if left < MIN_PART_SECONDS and not _has_min_rules(problem):
            polish = False  # the run's budget is spent: the greedy's roster stands
            out["cp_sat_skipped"] = "budget"
        else:
            limit = max(MIN_PART_SECONDS, min(limit, left))
    out["cp_sat"] = bool(polish and problem.n_pairs)
    if out["cp_sat"]:
        from solver.solve import solve
        from solver.types import SolveParams

        params = SolveParams(time_limit=limit, workers=1, seed=int(payload["seed"]), hint=hint)
        sol = solve(problem, params)
        out["cp_sat_status"] = sol.status.value
        better = weighted_coverage(problem, sol.assignments) >= out["greedy_coverage"]
        if sol.status.has_roster and (better or _has_min_rules(problem)):
            pairs = sol.assignments
            out["status"] = sol.status.value
            out["objective"] = sol.objective
    occs, vols = problem.occurrences, problem.volunteers
    out["assignments"] = [[vols[v].id, *occs[o].key] for o, v in sorted(pairs)]
    out["coverage"] = weighted_coverage(problem, pairs)
    out["seconds"] = round(time.monotonic() - t0, 3)
    return out


MIN_PART_SECONDS = 1.0
"""A part's CP-SAT is not started with less of the run's budget left than this (unless
the part has min-type rules, which the greedy's roster may break)."""


def _has_min_rules(problem: Any) -> bool:
    """Min-type rules the greedy ignores: its roster may not stand in for CP-SAT's then."""
    return any(
        lim.min_total_minutes or lim.min_consecutive_days or lim.min_consecutive_days_off
        for lim in problem.limits
    )


def run_local(
    payloads: Sequence[dict[str, Any]],
    processes: int,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Solve parts in a process pool ('forkserver' where available, else 'spawn').

    With one process or one part they are solved here, in order. Results come back in
    the payloads' order; ``on_done`` sees each as it is collected.
    """
    if processes <= 1 or len(payloads) <= 1:
        return _collect(map(solve_part, payloads), on_done)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        futures = [pool.submit(solve_part, p) for p in payloads]
        return _collect((f.result() for f in futures), on_done)


def _collect(
    results: Iterator[dict[str, Any]], on_done: Callable[[dict[str, Any]], None] | None
) -> list[dict[str, Any]]:
    """Drain ``results`` in order, telling ``on_done`` of each as it comes."""
    out = []
    for res in results:
        out.append(res)
        if on_done:
            on_done(res)
    return out
