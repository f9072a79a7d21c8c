"""Promising volunteer-shift pairs, cheapest first: the restricted model's pairs.

``site_costs`` tabulates what one assignment at a site costs a volunteer alone (travel
and preference), ``pair_cost`` reads it per (occurrence, volunteer), and
``candidate_pairs`` keeps, per occurrence, the cheapest volunteers for its need and for
each required skill, and per volunteer their cheapest pairs (numpy: 0.56 s for the
850 283 pairs of a 3 000-volunteer expo config).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scheduler.problem import Problem, travel_km
from solver.types import Pair, SolveParams

PER_OCCURRENCE = 4  # candidates per person needed, cheapest first...
MIN_PER_OCCURRENCE = 12  # ...and at least this many
PER_VOLUNTEER = 6  # cheapest pairs kept for every volunteer (fairness needs them all)


def _per_occurrence(need: int) -> int:
    """How many of an occurrence's cheapest volunteers are kept."""
    return max(MIN_PER_OCCURRENCE, PER_OCCURRENCE * need)


def estimated_size(problem: Problem) -> int:
    """About how many pairs :func:`candidate_pairs` keeps, counting neither the skill
    holders nor the hinted pairs (S1: 4 704 against the 5 934 it keeps)."""
    kept = sum(
        min(len(e), _per_occurrence(o.need))
        for o, e in zip(problem.occurrences, problem.eligible, strict=True)
    )
    return kept + PER_VOLUNTEER * len(problem.volunteers)


def site_costs(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """``(table, occurrence_site)``: ``table[v, k]`` is what one assignment at site ``k``
    costs volunteer ``v`` alone (travel and preference), ``occurrence_site[o]`` the site
    index of occurrence ``o``."""
    w = problem.config.weights
    vols = problem.volunteers
    sites = list(problem.sites.values())
    index = {s.id: k for k, s in enumerate(sites)}
    table = np.zeros((len(vols), len(sites)), dtype=np.int64)
    for k, site in enumerate(sites):
        for v, vol in enumerate(vols):
            d = travel_km(vol, site) if w.travel_km else None
            pref = w.preference if vol.prefers and site.id not in vol.prefers else 0
            table[v, k] = (0 if d is None else w.travel_km * round(d)) + pref
    occ_site = np.array([index[o.site] for o in problem.occurrences], dtype=np.int64)
    return table, occ_site


def pair_cost(problem: Problem) -> Callable[[int, int], int]:
    """What working occurrence ``o`` costs volunteer ``v`` alone: travel and preference."""
    table, occ_site = site_costs(problem)
    rows, at = table.tolist(), occ_site.tolist()

    def cost(o: int, v: int) -> int:
        return rows[v][at[o]]  # type: ignore[no-any-return]

    return cost


def candidate_pairs(problem: Problem, params: SolveParams) -> frozenset[Pair]:
    """A small set of promising pairs: per occurrence the cheapest volunteers (by travel
    and preference cost) for its need and for each required skill, per volunteer their
    cheapest pairs, plus every hinted, fixed and previous pair. Ties go to the lower
    volunteer (occurrence) index."""
    occs, vols = problem.occurrences, problem.volunteers
    table, occ_site = site_costs(problem)
    keep: set[Pair] = set(params.hint | params.fixed | (params.previous or frozenset()))
    skills = {s for o in occs for s, _ in o.require}
    holds = {s: np.array([s in v.skills for v in vols], dtype=bool) for s in skills}
    all_o: list[np.ndarray] = []
    all_v: list[np.ndarray] = []
    for o, elig in enumerate(problem.eligible):
        if not elig:
            continue
        ev = np.asarray(elig, dtype=np.int64)
        ranked = ev[np.lexsort((ev, table[ev, occ_site[o]]))]
        chosen = [ranked[: _per_occurrence(occs[o].need)]]
        for skill, req in occs[o].require:
            chosen.append(ranked[holds[skill][ranked]][: PER_OCCURRENCE * req + 2])
        keep.update((o, v) for v in np.concatenate(chosen).tolist())
        all_o.append(np.full(len(ev), o, dtype=np.int64))
        all_v.append(ev)
    if all_v:
        po, pv = np.concatenate(all_o), np.concatenate(all_v)
        order = np.lexsort((po, table[pv, occ_site[po]], pv))  # by volunteer, cost, occurrence
        pv, po = pv[order], po[order]
        first = np.searchsorted(pv, pv, side="left")  # where each volunteer's run starts
        take = np.arange(len(pv)) - first < PER_VOLUNTEER
        keep.update(zip(po[take].tolist(), pv[take].tolist(), strict=True))
    return frozenset(keep)
