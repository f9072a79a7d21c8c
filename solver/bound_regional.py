"""The coverage bound of a city-scale plan, region by region, with a row per region.

Too large for one LP, a city is bounded per region (the sites of one part): the LP of
:mod:`solver.bound_lp` over the region's occurrences where the roster falls short of the
region's supply bound, the supply bound elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import numpy as np

from scheduler.problem import Problem
from solver.bound_lp import lp_bound
from solver.bound_supply import CoverageBound, Pair, need_priority, staffed


def regional_bound(
    problem: Problem,
    regions: Sequence[Sequence[str]],
    pairs: Iterable[Pair],
    *,
    lp_seconds: float = 120.0,
) -> tuple[CoverageBound, list[dict]]:
    """The bound of a city-scale problem, region by region (regions = lists of site ids).

    Coverage of region r is at most LP_r, the LP of :mod:`solver.bound_lp` over r's
    occurrences and *every* volunteer eligible for them (their shifts elsewhere dropped: a
    relaxation), so the sum over a partition of the sites is a valid bound for the whole
    plan. Where the roster already reaches a region's supply bound, that is its bound (no
    LP needed); once ``lp_seconds`` are spent on LPs, the remaining regions keep their
    supply bound. ``problem`` may be lazy (:func:`scheduler.fast_compile.compile_plan_fast`).
    Returns the bound and one row per region (supply, coverage, LP or None, bound).
    """
    from scheduler.fast_compile import eligibility_index

    t0 = time.monotonic()
    index = eligibility_index(problem)
    occs = problem.occurrences
    need, prio = need_priority(occs)
    n = staffed(len(occs), pairs)
    # the staff of an occurrence are eligible for it (the checker holds the roster to
    # that), so min(need, eligible) is the need wherever it is met: count only the short
    counts = need.copy()
    short = np.flatnonzero(n < need).tolist()
    for o, c in index.counts(short).items():
        counts[o] = c
    supply_o = prio * np.minimum(need, counts)
    cover_o = prio * np.minimum(need, n)
    by_site: dict[str, list[int]] = {}
    for o in occs:
        by_site.setdefault(o.site, []).append(o.index)
    rows: list[dict] = []
    total, lp_regions, groups = 0.0, 0, 0
    for r, sites in enumerate(regions):
        idx = np.array([o for s in sites for o in by_site.get(s, ())], dtype=np.int64)
        supply, cover = float(supply_o[idx].sum()), float(cover_o[idx].sum())
        row = {"region": r, "supply": supply, "coverage": cover, "bound": supply, "lp": None}
        if cover < supply - 1e-9 and time.monotonic() - t0 < lp_seconds:
            sub = Problem(
                plan=problem.plan,
                tz=problem.tz,
                occurrences=tuple(occs[o] for o in idx.tolist()),
                volunteers=problem.volunteers,
                limits=problem.limits,
                sites=problem.sites,
                eligible=tuple(tuple(index.eligible(o).tolist()) for o in idx.tolist()),
            )
            value, _method, ng = lp_bound(sub)
            row["lp"], row["bound"] = value, min(supply, value)
            lp_regions += 1
            groups += ng
        total += row["bound"]
        rows.append(row)
    demand = float((prio * need).sum())
    bound = CoverageBound(
        value=total,
        demand=demand,
        supply=float(supply_o.sum()),
        lp=None,
        method=f"regional (supply; LP in {lp_regions} of {len(regions)} regions)",
        groups=groups,
        seconds=round(time.monotonic() - t0, 3),
    )
    return bound, rows
