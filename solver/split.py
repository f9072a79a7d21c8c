"""Split a city-scale Plan into sub-plans BEFORE compiling (issue 5).

Sites are cut into parts by their zone path (district first, then deeper components),
then by coordinates (the wider axis at the median) until each part's estimated size,
occurrences x volunteers expected there, is at most ``target_pairs``. Small sibling
groups are packed back together. Every volunteer goes to exactly one part, so the
per-volunteer hard rules hold in the merged roster: among the parts of the 16 sites nearest
home within ``max_travel_km`` (or, without locations, the parts sharing the longest zone
prefix; else all), the one whose demand is least covered so far, most constrained
volunteers first. Volunteers who reach no part stay out (``Split.spare``) for the repair.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from scheduler.expand import Occurrence
from scheduler.limits import Limits, limits_of
from scheduler.models import Plan, Site

EARTH_KM = 6371.0088
NEAREST_SITES = 16
"""A volunteer may go to the parts of their nearest sites (within the travel limit)."""


@dataclass(frozen=True)
class Part:
    """One sub-plan: some sites and the volunteers (indices into the plan) serving them."""

    id: str
    sites: tuple[str, ...]
    volunteers: tuple[int, ...]


@dataclass(frozen=True)
class Split:
    parts: tuple[Part, ...]
    spare: tuple[int, ...]  # volunteers no part's site can use
    occurrences: tuple[Occurrence, ...] = ()
    """The occurrences the plan was cut by (``expand(plan.config)``)."""
    limits: tuple[Limits, ...] = ()
    """Every volunteer's limits (``limits_of``), read for their capacity."""


def unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the unit sphere (chord distance is monotone in great-circle distance)."""
    p, q = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(p) * np.cos(q), np.cos(p) * np.sin(q), np.sin(p)))


def chord(km: float) -> float:
    return 2 * math.sin(min(math.pi, km / EARTH_KM) / 2)


def _capacity_minutes(days: int, lim: Limits) -> float:
    """A rough upper bound of the minutes a volunteer can give over ``days``."""
    caps = [days * 16 * 60.0]
    if lim.max_total_minutes is not None:
        caps.append(lim.max_total_minutes)
    if lim.max_week_minutes is not None:
        caps.append(lim.max_week_minutes * math.ceil(days / 7))
    if lim.max_day_minutes is not None:
        caps.append(lim.max_day_minutes * days)
    return min(caps)


def _zone_key(zone: str | None, depth: int) -> str | None:
    if not zone:
        return None
    parts = zone.split("/")
    return "/".join(parts[: depth + 1]) if depth < len(parts) else None


def _cut(
    sites: list[Site], size: dict[str, tuple[float, float]], target: float, depth: int
) -> list[list[Site]]:
    occ = sum(size[s.id][0] for s in sites)
    vols = sum(size[s.id][1] for s in sites)
    if len(sites) <= 1 or occ * vols <= target:
        return [sites]
    groups: dict[str | None, list[Site]] = defaultdict(list)
    for s in sites:
        groups[_zone_key(s.zone, depth)].append(s)
    if len(groups) > 1:
        cut = [
            g for key in sorted(groups, key=str) for g in _cut(groups[key], size, target, depth + 1)
        ]
        return _pack(cut, size, target)
    if any(_zone_key(s.zone, depth + 1) for s in sites):
        return _cut(sites, size, target, depth + 1)
    located = [s for s in sites if s.location is not None]
    if len(located) == len(sites):
        lat = [s.location.lat for s in located]  # type: ignore[union-attr]
        lon = [s.location.lon for s in located]  # type: ignore[union-attr]
        wide_lon = (max(lon) - min(lon)) * math.cos(math.radians(sum(lat) / len(lat)))
        axis = 1 if wide_lon > max(lat) - min(lat) else 0
        ordered = sorted(
            sites,
            key=lambda s: ((s.location.lat, s.location.lon)[axis], s.id),  # type: ignore[union-attr]
        )
    else:
        ordered = sorted(sites, key=lambda s: s.id)
    half = len(ordered) // 2
    return _cut(ordered[:half], size, target, depth) + _cut(ordered[half:], size, target, depth)


def _pack(
    groups: list[list[Site]], size: dict[str, tuple[float, float]], target: float
) -> list[list[Site]]:
    """Join consecutive small groups while the joined size stays within the target."""
    out: list[list[Site]] = []
    for g in groups:
        if out:
            joined = out[-1] + g
            occ = sum(size[s.id][0] for s in joined)
            vols = sum(size[s.id][1] for s in joined)
            if occ * vols <= target:
                out[-1] = joined
                continue
        out.append(list(g))
    return out


def split_plan(
    plan: Plan, occurrences: tuple[Occurrence, ...], *, target_pairs: float = 150_000, seed: int = 1
) -> Split:
    """Parts of ``plan`` (see the module doc); ``occurrences`` = ``expand(plan.config)``."""
    cfg = plan.config
    demand: dict[str, float] = defaultdict(float)
    n_occ: dict[str, int] = defaultdict(int)
    for o in occurrences:
        demand[o.site] += o.need * o.minutes
        n_occ[o.site] += 1
    total = sum(demand.values()) or 1.0
    n_vol = len(plan.volunteers)
    size = {s.id: (n_occ[s.id], n_vol * demand[s.id] / total) for s in cfg.sites}
    groups = _cut(list(cfg.sites), size, target_pairs, 0)
    site_part = {s.id: i for i, g in enumerate(groups) for s in g}
    part_demand = [sum(demand[s.id] for s in g) for g in groups]
    candidates = _candidates(plan, groups, site_part)
    limits = limits_of(plan.volunteers, cfg.rules)
    rng = random.Random(seed)
    order = list(range(n_vol))
    rng.shuffle(order)
    order.sort(key=lambda v: len(candidates[v]) if candidates[v] else math.inf)
    given = [0.0] * len(groups)
    members: list[list[int]] = [[] for _ in groups]
    spare: list[int] = []
    for v in order:
        cands = candidates[v]
        if not cands:
            spare.append(v)
            continue
        best = min(cands, key=lambda p: given[p] / part_demand[p] if part_demand[p] else math.inf)
        if not part_demand[best]:
            spare.append(v)
            continue
        members[best].append(v)
        given[best] += _capacity_minutes(cfg.horizon.days, limits[v])
    parts = tuple(
        Part(f"p{i:04d}", tuple(s.id for s in g), tuple(sorted(members[i])))
        for i, g in enumerate(groups)
    )
    return Split(parts, tuple(sorted(spare)), occurrences, limits)


def _candidates(plan: Plan, groups: list[list[Site]], site_part: dict[str, int]) -> list[list[int]]:
    """Per volunteer: the parts that could use them (nearest first where known)."""
    from scipy.spatial import cKDTree

    cfg = plan.config
    max_km = cfg.rules.max_travel_km
    located = [s for s in cfg.sites if s.location is not None]
    unlocated_parts = sorted({site_part[s.id] for s in cfg.sites if s.location is None})
    tree = None
    if located:
        xyz = unit_xyz(
            np.array([s.location.lat for s in located]),  # type: ignore[union-attr]
            np.array([s.location.lon for s in located]),  # type: ignore[union-attr]
        )
        tree = cKDTree(xyz)
    zone_parts: dict[str, set[int]] = defaultdict(set)
    for i, g in enumerate(groups):
        for s in g:
            if s.zone:
                comps = s.zone.split("/")
                for d in range(1, len(comps) + 1):
                    zone_parts["/".join(comps[:d])].add(i)
    everyone = list(range(len(groups)))
    vols = plan.volunteers
    out: list[list[int]] = [[] for _ in vols]
    with_loc = [i for i, v in enumerate(vols) if v.lat is not None and tree is not None]
    if with_loc:
        pts = unit_xyz(
            np.array([vols[i].lat for i in with_loc]), np.array([vols[i].lon for i in with_loc])
        )
        k = min(NEAREST_SITES, len(located))
        limit = chord(max_km) * (1 + 1e-9) if max_km is not None else np.inf
        _, idx = tree.query(pts, k=k, distance_upper_bound=limit)  # type: ignore[union-attr]
        idx = np.atleast_2d(idx.T).T if k == 1 else idx
        part_of = np.array([site_part[s.id] for s in located] + [-1], dtype=np.int64)
        near = part_of[idx]  # -1 where fewer than k sites are in reach
        for row, v in enumerate(with_loc):
            seen = dict.fromkeys(p for p in near[row].tolist() if p >= 0)
            out[v] = [*seen, *unlocated_parts]
    for v, vol in enumerate(vols):
        if out[v] or (vol.lat is not None and tree is not None):
            continue
        found: set[int] = set()
        if vol.zone:
            comps = vol.zone.split("/")
            for d in range(len(comps), 0, -1):
                found = zone_parts.get("/".join(comps[:d]), set())
                if found:
                    break
        out[v] = sorted(found) if found else everyone
    return out
