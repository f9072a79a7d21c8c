"""City-scale planning, step 3: merge the parts' rosters, repair across borders, check.

:func:`finish` runs in-process after a local run and as the RQ merge job of a
distributed one:

1. :func:`merge` maps every part's assignments back to the whole plan's indices;
2. :func:`solver.repair.repair` fills what is still short with volunteers who have time
   left, across part borders; then :func:`solver.repair.lns_repair` re-solves each site
   still short (while someone could serve it) with a small CP-SAT over its neighbourhood;
3. the whole plan is compiled lazily (:func:`scheduler.fast_compile.compile_plan_fast`),
   the cost and the coverage upper bound (:func:`solver.bound.regional_bound`) computed
   and the roster built, which :func:`scheduler.checker.check_roster` must pass.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from scheduler.expand import Occurrence
from scheduler.limits import Limits
from scheduler.models import Plan
from scheduler.roster import Roster, Status
from solver.decompose_parts import CityOptions, Pair, finish_reserve, optional_until


@dataclass
class CityResult:
    roster: Roster
    pairs: frozenset[Pair]
    """(occurrence, volunteer) indices of the whole plan; empty in distributed mode."""
    stats: dict[str, Any] = field(default_factory=dict)


class CityRosterInvalid(RuntimeError):
    """The merged roster broke a hard rule: a bug in decomposition or repair."""


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


def finish(
    plan: Plan,
    results: Sequence[dict[str, Any]],
    regions: Sequence[Sequence[str]],
    options: CityOptions,
    stats: dict[str, Any],
    *,
    occurrences: tuple[Occurrence, ...] | None = None,
    limits: tuple[Limits, ...] | None = None,
) -> CityResult:
    """Merge, repair, compile the whole plan (lazily), bound, build and check the roster.

    ``occurrences`` and ``limits``, when the split computed them, are not computed again.
    """
    from scheduler.build import build_roster
    from scheduler.cost import cost_terms, number
    from scheduler.fast_compile import compile_plan_fast, eligibility_index
    from scheduler.shortfalls import staff_by_occurrence
    from solver.bound import regional_bound, weighted_coverage
    from solver.repair import lns_repair, repair

    t0 = time.monotonic()
    problem = compile_plan_fast(plan, lazy=True, occurrences=occurrences, limits=limits)
    stats["compile_seconds"] = round(time.monotonic() - t0, 3)
    until = optional_until(options, finish_reserve(plan, sum(o.need for o in problem.occurrences)))
    merged = merge(plan, problem.occurrences, results)
    stats["merged_coverage"] = weighted_coverage(problem, merged)
    t1 = time.monotonic()
    added = repair(problem, merged, seed=options.seed, until=until, at_least=REPAIR_MIN_SECONDS)
    stats["repair_added"] = len(added)
    stats["repair_seconds"] = round(time.monotonic() - t1, 3)
    t1 = time.monotonic()
    improved, lns = lns_repair(problem, merged | added, seconds=_left(options.lns_seconds, until))
    pairs = frozenset(improved)
    stats.update(lns)
    stats["lns_seconds"] = round(time.monotonic() - t1, 3)
    t2 = time.monotonic()
    bound, _rows = regional_bound(problem, regions, pairs, lp_seconds=_left(LP_SECONDS, until))
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
    pool = eligibility_index(problem).pool()
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


REPAIR_MIN_SECONDS = 2.0
"""The cross-border repair visits short occurrences for at least this long even when the
budget is spent: it is cheap next to the fixed work and fills most of what is short."""
LP_SECONDS = 120.0
"""Seconds for the coverage bound's LPs (regions without one keep their supply bound)."""


def _left(seconds: float, until: float | None) -> float:
    """``seconds``, or what is left until ``until`` (wall clock) if that is less (>= 0)."""
    return seconds if until is None else max(0.0, min(seconds, until - time.time()))


def _statuses(results: Iterable[dict[str, Any]]) -> list[str]:
    return sorted({r["status"] for r in results})


def _raise_on_violations(report: Any) -> None:
    """Accept the checker's report (a list of problems, or an object with ``ok``)."""
    ok = getattr(report, "ok", None)
    if ok is None:
        ok = not report
    if not ok:
        raise CityRosterInvalid(f"the merged city roster fails the checker: {report}")
