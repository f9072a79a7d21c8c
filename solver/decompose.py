"""City-scale planning: split the Plan, solve the parts in parallel, merge, repair, check.

One CP-SAT model over 150,000 volunteers does not fit, and neither does compiling one
(``compile_plan`` tests every volunteer x occurrence pair in Python). So:

1. :func:`solver.split.split_plan` cuts the sites into parts by zone and place and gives
   each volunteer to exactly one part (near home, least-covered part first);
2. each part is a sub-plan sent as JSON (so the same :func:`solve_part` runs in a local
   process pool or as an RQ job) and solved on its own: compiled, the greedy, then CP-SAT
   from the greedy hint (one search worker) as ``CityOptions.solver`` says; CP-SAT's
   roster is kept unless it covers less than the greedy's;
3. :func:`merge` maps every part's assignments back to the whole plan's indices;
4. :func:`solver.repair.repair` fills what is still short with volunteers who have time
   left, across part borders; then :func:`solver.repair.lns_repair` re-solves each site
   still short (while someone could serve it) with a small CP-SAT over its neighbourhood;
5. :func:`finish` compiles the whole plan with :func:`scheduler.fast_compile.compile_plan_fast`,
   computes the cost, the coverage upper bound (:mod:`solver.bound`) and builds the
   roster, which :func:`scheduler.checker.check_roster` must pass.

The roster is the same contract as ``rota plan``; its ``bound`` is a valid lower bound on
the cost: ``weights.uncovered x (weighted demand - coverage upper bound)``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from scheduler.expand import Occurrence, expand
from scheduler.models import Plan, VolunteerSource
from scheduler.roster import Roster, Status
from solver.split import Part, Split, split_plan

Pair = tuple[int, int]  # (occurrence index, volunteer index)
DEFAULT_TARGET_PAIRS = 150_000
BUILD_SECONDS = 7e-5
"""CP-SAT model building per eligible pair (measured: 3.7 s for a 54k-pair Huai'an part)."""
SEARCH_SECONDS = 6.0
"""CP-SAT search time of a part on top of building its model (when not given)."""
POLISH_SHARE = 0.5
"""In ``auto`` mode, parts are polished with CP-SAT until this share of the budget is used."""


@dataclass(frozen=True)
class CityOptions:
    time_limit: float = 600.0
    """Budget of the whole run, seconds: sets the polishing window (``auto``) and the RQ
    merge job's timeout; the parts' own CP-SAT limits come from ``part_time_limit``."""
    part_time_limit: float | None = None
    """CP-SAT seconds per part (model building included); default: the estimated build
    time of the part's model (``BUILD_SECONDS`` per pair) plus ``SEARCH_SECONDS``."""
    processes: int | None = None
    """Local worker processes; default: the machine's cores."""
    seed: int = 1
    target_pairs: float = DEFAULT_TARGET_PAIRS
    """Cut parts until occurrences x expected volunteers is at most this."""
    solver: str = "gap-only"
    """How parts are solved: ``cp-sat`` (greedy hint, then CP-SAT), ``greedy`` (the hand
    method only), ``gap-only`` (CP-SAT only where the greedy misses the part's supply
    bound) or ``auto`` (``gap-only``, plus CP-SAT polishing of the other parts while the
    polishing window, the first ``POLISH_SHARE`` of the budget, lasts). ``gap-only`` is the
    default: on Huai'an parts (~100k pairs) CP-SAT from the greedy hint improved the cost
    by 0.65% in 60 s and not at all in 15 s, while the greedy already reaches the coverage
    bound; CP-SAT's time goes where coverage can still improve."""
    check: bool = True
    lns_seconds: float = 60.0
    """Budget of the small CP-SAT re-solves of sites still short after the greedy repair."""


@dataclass
class CityResult:
    roster: Roster
    pairs: frozenset[Pair]
    """(occurrence, volunteer) indices of the whole plan; empty in distributed mode."""
    stats: dict[str, Any] = field(default_factory=dict)


def sub_plan(plan: Plan, part: Part) -> Plan:
    """The plan restricted to a part's sites and volunteers (demand changes/requests too)."""
    cfg = plan.config
    keep = set(part.sites)
    vols = tuple(plan.volunteers[i] for i in part.volunteers)
    ids = {v.id for v in vols}
    config = cfg.model_copy(
        update={
            "plan": cfg.plan,
            "sites": tuple(s for s in cfg.sites if s.id in keep),
            "demand_changes": tuple(c for c in cfg.demand_changes if c.site in keep),
            "requests": tuple(
                r for r in cfg.requests if r.volunteer in ids and (r.site is None or r.site in keep)
            ),
            "volunteers": VolunteerSource(),
        }
    )
    return Plan(config=config, volunteers=vols, source=f"{plan.source}#{part.id}")


def plan_json(plan: Plan) -> dict[str, Any]:
    """A plan as JSON-ready data (``Plan.model_validate`` reads it back unchanged)."""
    return plan.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def part_payload(plan: Plan, part: Part, time_limit: float | None, seed: int, solver: str) -> dict:
    return {
        "part": part.id,
        "plan": plan_json(sub_plan(plan, part)),
        "time_limit": time_limit,
        "seed": seed,
        "solver": solver,
    }


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
    """Solve parts in a process pool ('forkserver' where available, else 'spawn')."""
    if processes <= 1 or len(payloads) <= 1:
        results = []
        for p in payloads:
            results.append(solve_part(p))
            if on_done:
                on_done(results[-1])
        return results
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        futures = [pool.submit(solve_part, p) for p in payloads]
        results = []
        for f in futures:
            results.append(f.result())
            if on_done:
                on_done(results[-1])
    return results


def merge(
    plan: Plan, occurrences: Sequence[Occurrence], results: Iterable[dict[str, Any]]
) -> set[Pair]:
    """Every part's assignments as (occurrence, volunteer) indices of the whole plan."""
    occ_index = {o.key: o.index for o in occurrences}
    vol_index = {v.id: i for i, v in enumerate(plan.volunteers)}
    pairs: set[Pair] = set()
    for res in results:
        for vol, site, shift, start in res["assignments"]:
            pairs.add((occ_index[(site, shift, start)], vol_index[vol]))
    return pairs


def prepare(plan: Plan, options: CityOptions) -> tuple[Split, list[dict], dict]:
    """Expand, split and build the part payloads (shared by local and RQ modes)."""
    t0 = time.monotonic()
    occurrences = expand(plan.config)
    split = split_plan(plan, occurrences, target_pairs=options.target_pairs, seed=options.seed)
    limit = options.part_time_limit
    mode = options.solver
    until = time.time() + POLISH_SHARE * options.time_limit - (time.monotonic() - t0)
    payloads = [
        {**part_payload(plan, part, limit, options.seed, mode), "polish_until": until}
        for part in split.parts
        if part.volunteers
    ]
    stats = {
        "parts": len(split.parts),
        "parts_solved": len(payloads),
        "spare_volunteers": len(split.spare),
        "part_time_limit": limit,
        "part_solver": mode,
        "split_seconds": round(time.monotonic() - t0, 3),
    }
    return split, payloads, stats


def plan_city(
    plan: Plan,
    options: CityOptions = CityOptions(),
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
    result = finish(plan, results, regions, options, stats)
    result.stats["seconds"] = round(time.monotonic() - t0, 3)
    return result


def finish(
    plan: Plan,
    results: Sequence[dict[str, Any]],
    regions: Sequence[Sequence[str]],
    options: CityOptions,
    stats: dict[str, Any],
) -> CityResult:
    """Merge, repair, compile the whole plan (lazily), bound, build and check the roster."""
    from scheduler.build import build_roster
    from scheduler.cost import cost_terms, number
    from scheduler.fast_compile import compile_plan_fast, eligibility_index
    from scheduler.shortfalls import staff_by_occurrence
    from solver.bound import regional_bound, weighted_coverage
    from solver.repair import lns_repair, repair

    t0 = time.monotonic()
    problem = compile_plan_fast(plan, lazy=True)
    stats["compile_seconds"] = round(time.monotonic() - t0, 3)
    merged = merge(plan, problem.occurrences, results)
    stats["merged_coverage"] = weighted_coverage(problem, merged)
    t1 = time.monotonic()
    added = repair(problem, merged, seed=options.seed)
    stats["repair_added"] = len(added)
    stats["repair_seconds"] = round(time.monotonic() - t1, 3)
    t1 = time.monotonic()
    improved, lns = lns_repair(problem, merged | added, seconds=options.lns_seconds)
    pairs = frozenset(improved)
    stats.update(lns)
    stats["lns_seconds"] = round(time.monotonic() - t1, 3)
    t2 = time.monotonic()
    bound, _rows = regional_bound(problem, regions, pairs)
    stats["bound_seconds"] = round(time.monotonic() - t2, 3)
    coverage = weighted_coverage(problem, pairs)
    stats.update(
        coverage=coverage,
        coverage_bound=bound.value,
        coverage_bound_method=bound.method,
        demand=bound.demand,
        gap=(bound.value - coverage) / bound.value if bound.value else 0.0,
        greedy_coverage_parts=sum(r["greedy_coverage"] for r in results),
        parts_cp_sat=sum(bool(r.get("cp_sat")) for r in results),
        part_status={s: sum(r["status"] == s for r in results) for s in _statuses(results)},
    )
    t3 = time.monotonic()
    pool = eligibility_index(problem).scan()[1]
    staff = staff_by_occurrence(problem, pairs)
    cost = cost_terms(
        plan.config, problem.volunteers, problem.occurrences, staff, pool.nonzero()[0].tolist()
    )
    objective = number(sum(cost.values()))
    stats["cost"] = {k: number(v) for k, v in cost.items()}
    stats["cost_seconds"] = round(time.monotonic() - t3, 3)
    cost_lb = plan.config.weights.uncovered * max(0.0, bound.demand - bound.value)
    t4 = time.monotonic()
    roster = build_roster(
        problem,
        status=Status.feasible,
        objective=objective,
        bound=min(cost_lb, float(objective)),
        pairs=pairs,
        stats=stats,
    )
    stats["build_seconds"] = round(time.monotonic() - t4, 3)
    if options.check:
        from scheduler.checker import check_roster

        t5 = time.monotonic()
        _raise_on_violations(check_roster(problem, roster))
        stats["check_seconds"] = round(time.monotonic() - t5, 3)
    return CityResult(roster=roster.model_copy(update={"stats": stats}), pairs=pairs, stats=stats)


def _statuses(results: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({r["status"] for r in results})


class CityRosterInvalid(RuntimeError):
    """The merged roster broke a hard rule: a bug in decomposition or repair."""


def _raise_on_violations(report: Any) -> None:
    """Accept the checker's report (a list of problems, or an object with ``ok``)."""
    ok = getattr(report, "ok", None)
    if ok is None:
        ok = not report
    if not ok:
        raise CityRosterInvalid(f"the merged city roster fails the checker: {report}")
