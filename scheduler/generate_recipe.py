"""The ``volunteers.generate`` recipe of a config: its pydantic models and parsing.

See :mod:`scheduler.generate` for what a recipe looks like and how its CSV is written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scheduler.errors import ConfigError, problems_from_validation


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


def recipe_size(data: Any) -> int:
    """How many volunteers a raw (unvalidated) recipe asks for: its pools' counts if it has
    pools (a pool without ``count`` has none), else its own ``count``; 0 where unreadable."""
    if not isinstance(data, dict):
        return 0
    pools = data.get("pools")
    if isinstance(pools, (list, tuple)) and pools:
        counts = [p.get("count", 0) if isinstance(p, dict) else 0 for p in pools]
        return sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))
    count = data.get("count", 0)
    return count if isinstance(count, int) and not isinstance(count, bool) else 0


def with_count(data: dict[str, Any], count: int) -> dict[str, Any]:
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
