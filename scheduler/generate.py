"""Reproducible volunteer files from a seeded recipe (``volunteers.generate`` in a config).

A config may name a CSV that is not committed and say how to make it::

    volunteers:
      csv: generated/shanghai-station.csv
      generate:
        seed: 20200129
        count: 300
        orgs: 63                      # or a list of names
        public_share: 0.34            # recruited from the public: org `public`, no team
        team_size: 5
        skills: {driver: 0.08, medical: 0.1}
        bundles: [{p: 0.1, all: [interpreter], one_of: [lang-en, lang-ja]}]
        home: {near: sites, radius_km: 3}
        night_ok: 0.7

``write_generated(config, path)`` writes the CSV: the same recipe (seed
included) always gives byte-identical output, whatever the machine. Only
``random.Random(seed)`` is used, in a fixed order, and numbers are written
with fixed precision. Rows are plain dicts (no pydantic per row), so 150,000
volunteers take a few seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import os
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scheduler.errors import ConfigError, Problem, problems_from_validation
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
GENERATOR_VERSION = 2  # bump when the same recipe would give different rows


class _Recipe(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Bundle(_Recipe):
    """With probability ``p``: every skill in ``all`` plus one of ``one_of`` (uniformly)."""

    p: float = Field(ge=0, le=1)
    all: tuple[str, ...] = ()
    one_of: tuple[str, ...] = ()


class Home(_Recipe):
    """Where volunteers live: around the sites (their team's anchor site) or around a point."""

    near: Literal["sites", "point"] = "sites"
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    radius_km: float = Field(default=3.0, gt=0)
    share: float = Field(default=1.0, ge=0, le=1, description="fraction with a known home")
    kinds: tuple[str, ...] = Field(default=(), description="anchor only at these site kinds")
    zone: str | None = Field(default=None, description="zone of homes around a point")


class WeeklyCap(_Recipe):
    """With probability ``p`` a volunteer has their own weekly hours cap, one of ``hours``."""

    p: float = Field(ge=0, le=1)
    hours: tuple[float, ...] = Field(min_length=1)


class Prefers(_Recipe):
    """With probability ``p`` a volunteer prefers their anchor site (and maybe one more)."""

    p: float = Field(ge=0, le=1)
    extra: float = Field(default=0.0, ge=0, le=1, description="chance of a second site")


class DayWindows(_Recipe):
    """With probability ``p``: whole local days, ``days`` = [min, max] of them."""

    p: float = Field(ge=0, le=1)
    days: tuple[int, int] = (1, 2)


class Recipe(_Recipe):
    seed: int
    count: int = Field(default=0, ge=0, le=5_000_000)
    id_prefix: str = Field(default="v", pattern=r"^[A-Za-z0-9-]*$")
    orgs: int | tuple[str, ...] = 0
    org_prefix: str = "org"
    org_skew: float = Field(default=0.6, ge=0, le=3, description="0 = organisations equal size")
    public_share: float = Field(default=0.0, ge=0, le=1)
    public_org: str = "public"
    team_size: int | None = Field(default=None, ge=1)
    teams_per_org: int | None = Field(
        default=None, ge=1, description="exactly this many teams per organisation (overrides size)"
    )
    team_share: float = Field(default=1.0, ge=0, le=1, description="of org volunteers")
    skills: dict[str, float] = Field(default_factory=dict)
    bundles: tuple[Bundle, ...] = ()
    home: Home | None = None
    night_ok: float = Field(default=1.0, ge=0, le=1)
    weekly_cap: WeeklyCap | None = None
    prefers: Prefers | None = None
    available: DayWindows | None = Field(
        default=None, description="only a contiguous run of days (joined late / left early)"
    )
    unavailable: DayWindows | None = None
    names: bool = True
    pools: tuple[dict[str, Any], ...] = Field(
        default=(),
        description="sub-recipes (e.g. counsellors, drivers, couriers), each overriding the "
        "fields above; pool k uses seed*1000+k and needs its own id_prefix",
    )


def parse_recipe(data: Any, file: str = "<recipe>") -> Recipe:
    """Validate a recipe; problems are raised as a ConfigError naming volunteers.generate.*."""
    try:
        return Recipe.model_validate(data)
    except ValidationError as err:
        raise ConfigError(problems_from_validation(err, file, ("volunteers", "generate"))) from None


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


def rows_to_csv(rows: Sequence[dict[str, str]]) -> bytes:
    """CSV bytes with a fixed header and LF line ends (identical on every platform)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _with_count(data: dict[str, Any], count: int) -> dict[str, Any]:
    """Override the size; pools are scaled in proportion (each keeps at least one)."""
    pools = data.get("pools") or ()
    if not pools:
        return {**data, "count": count}
    total = sum(int(p.get("count", data.get("count", 0))) for p in pools) or 1
    scaled = [
        {**p, "count": max(1, round(int(p.get("count", data.get("count", 0))) * count / total))}
        for p in pools
    ]
    return {**data, "pools": scaled}


def fingerprint(config: Config, data: dict[str, Any]) -> str:
    """What the CSV depends on: the recipe, the sites, the horizon and this generator."""
    blob = json.dumps(
        {
            "generator": GENERATOR_VERSION,
            "recipe": data,
            "horizon": config.horizon.model_dump(mode="json"),
            "sites": [s.model_dump(mode="json") for s in config.sites],
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _stamp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.recipe-sha256")


def is_current(config: Config, csv_path: Path | str) -> bool:
    """True when ``csv_path`` exists and was written from this config's recipe as it is now."""
    path = Path(csv_path)
    data = config.volunteers.generate
    if data is None or not path.exists():
        return path.exists()
    stamp = _stamp_path(path)
    try:
        return stamp.read_text(encoding="ascii").strip() == fingerprint(config, data)
    except OSError:
        return False


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; a generated file is an ordinary file
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)  # concurrent loaders of the same config never see half a file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_generated(config: Config, csv_path: Path | str, *, count: int | None = None) -> Path:
    """Write the CSV of ``config.volunteers.generate`` to ``csv_path`` (atomically).

    ``count`` overrides the recipe's size (tests, scaling runs; pools scale in proportion).
    A stamp file next to the CSV records the recipe it came from (see :func:`is_current`).
    Raises ConfigError when the config has no recipe or the recipe is invalid.
    """
    path = Path(csv_path)
    data = config.volunteers.generate
    if data is None:
        raise ConfigError(
            [Problem(str(path), "volunteers.generate", "the config has no `generate` recipe")]
        )
    recipe = parse_recipe(data, str(path))  # errors name the recipe as written
    if count is not None:
        data = _with_count(data, count)
        recipe = parse_recipe(data, str(path))
    _atomic_write(path, rows_to_csv(generate_rows(config, recipe)))
    if count is None:
        _atomic_write(_stamp_path(path), fingerprint(config, data).encode("ascii") + b"\n")
    else:
        _stamp_path(path).unlink(missing_ok=True)  # a resized file is never "current"
    return path
