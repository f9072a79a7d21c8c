"""Volunteer rows from a recipe: organisations, teams, skills, homes and time windows.

Deterministic in the recipe's seed: only ``random.Random(seed)`` is used, in a fixed order
(bump :data:`scheduler.generate.GENERATOR_VERSION` when the same recipe would give
different rows). Rows are plain dicts of CSV cells.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence

from scheduler.errors import ConfigError, Problem
from scheduler.generate_recipe import Recipe, parse_recipe
from scheduler.models import Config, Site

COLUMNS = (
    "id",
    "name",
    "org",
    "team",
    "skills",
    "zone",
    "lat",
    "lon",
    "max_hours_per_week",
    "night_ok",
    "available",
    "unavailable",
    "prefers",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
    "谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁沈"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力兰春燕晨欣怡浩宇子涵雨轩思博佳琪"
)
KM_PER_DEG_LAT = 111.32


def _org_names(recipe: Recipe) -> list[str]:
    if isinstance(recipe.orgs, tuple):
        return list(recipe.orgs)
    width = max(3, len(str(recipe.orgs)))
    return [f"{recipe.org_prefix}{i:0{width}d}" for i in range(1, recipe.orgs + 1)]


def _jitter(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly inside a disc of ``radius_km`` around (lat, lon)."""
    r = radius_km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    dlat = r * math.cos(a) / KM_PER_DEG_LAT
    dlon = r * math.sin(a) / (KM_PER_DEG_LAT * max(0.1, math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def _window(start: dt.date, first: int, days: int) -> str:
    a = start + dt.timedelta(days=first)
    b = a + dt.timedelta(days=days)
    return f"{a.isoformat()}T00:00/{b.isoformat()}T00:00"


class _Anchors:
    """Sites volunteers can be anchored to: by org (adopted sites) and overall."""

    def __init__(self, sites: Sequence[Site], kinds: tuple[str, ...]):
        usable = [s for s in sites if not kinds or s.kind.value in kinds] or list(sites)
        self.open = [s for s in usable if not s.adopted_by] or usable
        self.by_org: dict[str, list[Site]] = {}
        for s in usable:
            for owner in s.adopted_by:
                self.by_org.setdefault(owner, []).append(s)

    def pick(self, rng: random.Random, org: str, team: str = "") -> Site:
        pool = self.by_org.get(team) or self.by_org.get(org) or self.open
        return pool[rng.randrange(len(pool))]


def _assign_orgs(rng: random.Random, recipe: Recipe, orgs: list[str]) -> list[str]:
    """Organisation per volunteer; organisations differ in size (Pareto-like weights)."""
    n = recipe.count
    if not orgs:
        return [recipe.public_org if rng.random() < recipe.public_share else "" for _ in range(n)]
    if recipe.org_skew == 0:  # equal sizes: round robin over the organisations, shuffled
        members = [orgs[i % len(orgs)] for i in range(n)]
        rng.shuffle(members)
        return [recipe.public_org if rng.random() < recipe.public_share else m for m in members]
    weights = [1.0 / (1 + i) ** recipe.org_skew for i in range(len(orgs))]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)
    out: list[str] = []
    for _ in range(n):
        if rng.random() < recipe.public_share:
            out.append(recipe.public_org)
            continue
        x = rng.random()
        lo, hi = 0, len(cum) - 1
        while lo < hi:  # bisect without importing: first cum >= x
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        out.append(orgs[lo])
    # every named organisation supplies at least one volunteer (adopted sites need them)
    for i, name in enumerate(orgs[: min(len(orgs), n)]):
        if name not in out:
            out[(i * 7919) % n] = name
    return out


def _teams(rng: random.Random, recipe: Recipe, orgs_of: list[str]) -> list[str]:
    """Team per volunteer: consecutive groups of about ``team_size`` within an organisation."""
    teams = [""] * recipe.count
    if not recipe.team_size and not recipe.teams_per_org:
        return teams
    members: dict[str, list[int]] = {}
    for i, org in enumerate(orgs_of):
        if org and org != recipe.public_org and rng.random() < recipe.team_share:
            members.setdefault(org, []).append(i)
    for org in sorted(members):
        idx = members[org]
        if recipe.teams_per_org:
            per = recipe.teams_per_org
            for pos, j in enumerate(idx):
                teams[j] = f"{org}-t{pos * per // len(idx) + 1}"
            continue
        k, t = 0, 1
        while k < len(idx):
            size = max(1, (recipe.team_size or 1) + rng.randint(-1, 1))
            if len(idx) - (k + size) < 2:  # no one-person team left over at the end
                size = len(idx) - k
            for j in idx[k : k + size]:
                teams[j] = f"{org}-t{t}"
            k += size
            t += 1
    return teams


def generate_rows(config: Config, recipe: Recipe) -> list[dict[str, str]]:
    """The volunteer rows of a recipe, as CSV cells (deterministic in ``recipe.seed``)."""
    if not recipe.pools:
        return _pool_rows(config, recipe)
    base = recipe.model_dump(exclude={"pools"})
    rows: list[dict[str, str]] = []
    prefixes: set[str] = set()
    for k, pool in enumerate(recipe.pools):
        sub = parse_recipe({**base, "count": 0, **pool, "seed": recipe.seed * 1000 + k})
        if sub.pools:
            raise ConfigError(
                [Problem("<recipe>", f"volunteers.generate.pools[{k}]", "pools do not nest")]
            )
        if sub.id_prefix in prefixes:
            raise ConfigError(
                [
                    Problem(
                        "<recipe>",
                        f"volunteers.generate.pools[{k}].id_prefix",
                        f"id_prefix {sub.id_prefix!r} is used by another pool",
                    )
                ]
            )
        prefixes.add(sub.id_prefix)
        rows.extend(_pool_rows(config, sub))
    return rows


def _pool_rows(config: Config, recipe: Recipe) -> list[dict[str, str]]:
    rng = random.Random(recipe.seed)
    n = recipe.count
    width = max(4, len(str(n)))
    orgs_of = _assign_orgs(rng, recipe, _org_names(recipe))
    teams_of = _teams(rng, recipe, orgs_of)
    home = recipe.home
    anchors = _Anchors(config.sites, home.kinds if home else ())
    team_anchor: dict[str, Site] = {}
    horizon = config.horizon
    rows: list[dict[str, str]] = []
    for i in range(n):
        org, team = orgs_of[i], teams_of[i]
        row = dict.fromkeys(COLUMNS, "")
        row["id"] = f"{recipe.id_prefix}{i + 1:0{width}d}"
        if recipe.names:
            given = GIVEN[rng.randrange(len(GIVEN))]
            if rng.random() < 0.6:
                given += GIVEN[rng.randrange(len(GIVEN))]
            row["name"] = SURNAMES[rng.randrange(len(SURNAMES))] + given
        row["org"], row["team"] = org, team
        skills: set[str] = set()
        for skill, p in recipe.skills.items():
            if rng.random() < p:
                skills.add(skill)
        for b in recipe.bundles:
            if rng.random() < b.p:
                skills.update(b.all)
                if b.one_of:
                    skills.add(b.one_of[rng.randrange(len(b.one_of))])
        row["skills"] = ";".join(sorted(skills))
        anchor: Site | None = None
        if config.sites:
            if team:
                anchor = team_anchor.get(team)
                if anchor is None:
                    anchor = team_anchor[team] = anchors.pick(rng, org, team)
            else:
                anchor = anchors.pick(rng, org)
        if home is not None and rng.random() < home.share:
            if home.near == "point" and home.lat is not None and home.lon is not None:
                lat, lon = _jitter(rng, home.lat, home.lon, home.radius_km)
            elif anchor is not None and anchor.location is not None:
                lat, lon = _jitter(rng, anchor.location.lat, anchor.location.lon, home.radius_km)
            else:
                lat = lon = math.nan
            if not math.isnan(lat):
                row["lat"], row["lon"] = f"{lat:.5f}", f"{lon:.5f}"
            if home.near == "point":
                row["zone"] = home.zone or ""
            elif anchor is not None and anchor.zone:
                row["zone"] = anchor.zone
        if rng.random() >= recipe.night_ok:
            row["night_ok"] = "false"
        cap = recipe.weekly_cap
        if cap is not None and rng.random() < cap.p:
            row["max_hours_per_week"] = f"{cap.hours[rng.randrange(len(cap.hours))]:g}"
        pref = recipe.prefers
        if pref is not None and anchor is not None and rng.random() < pref.p:
            chosen = [anchor.id]
            if rng.random() < pref.extra:
                other = anchors.pick(rng, org)
                if other.id != anchor.id:
                    chosen.append(other.id)
            row["prefers"] = ";".join(chosen)
        av = recipe.available
        if av is not None and rng.random() < av.p and horizon.days > 1:
            span = min(horizon.days - 1, rng.randint(*sorted(av.days)))
            first = rng.randrange(horizon.days - span + 1)
            row["available"] = _window(horizon.start, first, span)
        un = recipe.unavailable
        if un is not None and rng.random() < un.p:
            k = rng.randint(*sorted(un.days))
            days = sorted(rng.sample(range(horizon.days), min(k, horizon.days)))
            row["unavailable"] = ";".join(_window(horizon.start, d, 1) for d in days)
        rows.append(row)
    return rows
