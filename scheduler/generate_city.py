"""City-scale configs from a seed: the 5th Import Expo (S3) and Huai'an city (S5).

``city_config(kind, seed, volunteers=N)`` builds the config as plain data: districts with
real coordinates, sites of every kind with needs, skills and shift patterns, and a
volunteer recipe (teams, organisations, skills, homes near their team's site, availability)
that :mod:`scheduler.generate` turns into the CSV. Full size follows the reports:

* ``expo``: 492 posts, 42,000 volunteers from 292 service teams, 6 days (5-10 Nov 2022);
* ``huaian``: 5,057 practice centres/stations/points, 150,000 volunteers in ~4,200 teams
  (6,000 grid workers, 7,000 people's deputies, 5,000 women volunteers), 7 days.

A smaller ``volunteers`` scales sites and people together (1k, 10k, 50k for scaling runs).
Everything comes from ``random.Random(seed)`` in a fixed order: same seed, same bytes.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import yaml

KINDS = ("expo", "huaian")
FULL_VOLUNTEERS = {"expo": 42_000, "huaian": 150_000}

# (id, lat, lon, radius km, weight): Shanghai districts around the expo's hot spots.
EXPO_HOTSPOTS = (
    ("qingpu/necc", 31.1915, 121.3040, 1.5, 0),  # National Exhibition and Convention Center
    ("minhang/hongqiao-airport", 31.1944, 121.3280, 1.0, 0),
    ("pudong/pudong-airport", 31.1443, 121.8083, 1.5, 0),
    ("minhang/hongqiao-rail", 31.1946, 121.3203, 0.6, 0),
    ("jingan/shanghai-station", 31.2494, 121.4556, 0.5, 0),
    ("xuhui/shanghai-south", 31.1545, 121.4290, 0.5, 0),
)
SHANGHAI_DISTRICTS = (
    ("huangpu", 31.2317, 121.4846, 2.5, 3.0),
    ("xuhui", 31.1885, 121.4365, 4.0, 2.0),
    ("changning", 31.2204, 121.4243, 3.5, 1.5),
    ("jingan", 31.2290, 121.4480, 3.5, 2.0),
    ("putuo", 31.2494, 121.3970, 3.5, 1.2),
    ("hongkou", 31.2646, 121.5050, 3.0, 1.2),
    ("yangpu", 31.2596, 121.5260, 4.0, 1.5),
    ("minhang", 31.1129, 121.3817, 8.0, 1.5),
    ("baoshan", 31.4053, 121.4890, 8.0, 1.0),
    ("jiading", 31.3748, 121.2654, 8.0, 1.0),
    ("pudong", 31.2215, 121.5440, 10.0, 3.0),
    ("jinshan", 30.7413, 121.3418, 8.0, 0.4),
    ("songjiang", 31.0322, 121.2277, 8.0, 0.8),
    ("qingpu", 31.1510, 121.1240, 8.0, 1.0),
    ("fengxian", 30.9180, 121.4740, 8.0, 0.5),
    ("chongming", 31.6230, 121.3970, 10.0, 0.3),
)
SCENIC = (  # business districts and scenic spots with weekend crowds
    ("huangpu/bund", 31.2400, 121.4900),
    ("huangpu/yuyuan", 31.2272, 121.4921),
    ("huangpu/nanjing-road", 31.2350, 121.4750),
    ("huangpu/tianzifang", 31.2100, 121.4690),
    ("pudong/lujiazui", 31.2385, 121.5010),
    ("xuhui/xujiahui", 31.1950, 121.4370),
    ("yangpu/riverside", 31.2550, 121.5300),
    ("jingan/jingan-temple", 31.2236, 121.4470),
)
HUAIAN_DISTRICTS = (  # (id, lat, lon, radius km, share of sites and people)
    ("qingjiangpu", 33.5520, 119.0210, 7.0, 0.15),
    ("huaian-qu", 33.5030, 119.1410, 14.0, 0.17),
    ("huaiyin", 33.6320, 119.0350, 13.0, 0.15),
    ("hongze", 33.2940, 118.8730, 14.0, 0.07),
    ("lianshui", 33.7810, 119.2610, 15.0, 0.17),
    ("xuyi", 33.0110, 118.5450, 18.0, 0.12),
    ("jinhu", 33.0250, 119.0200, 14.0, 0.07),
    ("jingkai", 33.5780, 119.0870, 5.0, 0.10),
)
KM_PER_DEG = 111.32


def _near(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    r = radius_km * math.sqrt(rng.random())
    a = rng.random() * 2 * math.pi
    return (
        round(lat + r * math.cos(a) / KM_PER_DEG, 4),
        round(lon + r * math.sin(a) / (KM_PER_DEG * math.cos(math.radians(lat))), 4),
    )


def _scaled(n: int, factor: float) -> int:
    return max(1, round(n * factor))


def _site(sid: str, kind: str, zone: str, ll: tuple[float, float], pattern: str, need: int,
          **extra: Any) -> dict[str, Any]:  # fmt: skip
    site = {"id": sid, **({"kind": kind} if kind != "community" else {}), "zone": zone,
            "location": {"lat": ll[0], "lon": ll[1]}, "pattern": pattern, "need": need}  # fmt: skip
    site.update({k: v for k, v in extra.items() if v})
    return site


def _expo(rng: random.Random, f: float) -> tuple[list[dict], list[dict], dict[str, Any]]:
    sites: list[dict] = []
    changes: list[dict] = []
    necc = EXPO_HOTSPOTS[0]
    for i in range(_scaled(120, f)):  # posts around the venue
        ll = _near(rng, necc[1], necc[2], necc[3])
        req = {"lang-en": 1} | ({"medical": 1} if i % 3 == 0 else {})
        sites.append(_site(f"necc-{i + 1:03d}", "venue", "shanghai/" + necc[0], ll, "expo",
                           rng.randint(8, 14), priority=5, require=req))  # fmt: skip
        if i % 2 == 0:  # opening-day morning crowd
            changes.append({"site": sites[-1]["id"], "from": "2022-11-05T00:00",
                            "to": "2022-11-06T00:00", "add": 3, "shift": "early"})  # fmt: skip
    for zone, lat, lon, radius, _ in EXPO_HOTSPOTS[1:]:
        count = _scaled(20 if "airport" in zone or "hongqiao-rail" in zone else 8, f)
        for i in range(count):
            sites.append(_site(f"{zone.split('/')[1]}-{i + 1:02d}", "station", "shanghai/" + zone,
                               _near(rng, lat, lon, radius), "expo", rng.randint(5, 9),
                               priority=4, require={"lang-en": 1}))  # fmt: skip
    weights = [d[4] for d in SHANGHAI_DISTRICTS]
    for i in range(_scaled(150, f)):  # metro stations
        d = rng.choices(SHANGHAI_DISTRICTS, weights)[0]
        ll = _near(rng, d[1], d[2], d[3])
        sites.append(_site(f"metro-{i + 1:03d}", "station", f"shanghai/{d[0]}", ll, "expo",
                           rng.randint(3, 5), priority=2))  # fmt: skip
    n_scenic = max(1, 492 - 120 - 20 * 3 - 8 * 2 - 150) if f == 1 else _scaled(146, f)
    for i in range(n_scenic):
        zone, lat, lon = SCENIC[i % len(SCENIC)] if i % 2 == 0 else (None, 0.0, 0.0)
        if zone is None:
            d = rng.choices(SHANGHAI_DISTRICTS, weights)[0]
            zone, lat, lon = f"{d[0]}/centre", d[1], d[2]
        ll = _near(rng, lat, lon, 1.0)
        sites.append(_site(f"city-{i + 1:03d}", "community", "shanghai/" + zone, ll, "city",
                           rng.randint(3, 7), priority=2))  # fmt: skip
        if i % 2 == 0:  # weekend crowds (5-6 Nov 2022 are Saturday and Sunday)
            changes.append({"site": sites[-1]["id"], "from": "2022-11-05T00:00",
                            "to": "2022-11-07T00:00", "add": 2})  # fmt: skip
    # Jing'an "Blue Elves" (蓝精灵): 10 party/league members receive delegations.
    changes = [c for c in changes if c["site"] != sites[-1]["id"]]
    sites[-1] = {**sites[-1], "id": "jingan-reception", "kind": "venue", "need": 10,
                 "zone": "shanghai/jingan/reception",
                 "adopted_by": ["jingan-blue-elves"]}  # fmt: skip
    full = FULL_VOLUNTEERS["expo"]
    recipe = {
        "pools": [
            {"id_prefix": "x", "count": max(1, round(full * f) - 10), "orgs": 292,
             "org_prefix": "cwt-", "org_skew": 0.3, "team_size": 6,
             "skills": {"lang-en": 0.22, "medical": 0.05, "first-aid": 0.1},
             "bundles": [{"p": 0.04, "all": ["interpreter"],
                          "one_of": ["lang-en", "lang-ja", "lang-ko", "lang-fr", "lang-es",
                                     "lang-de", "lang-ru", "lang-ar"]}],
             "home": {"near": "sites", "radius_km": 5},
             "available": {"p": 0.35, "days": [2, 4]},
             "unavailable": {"p": 0.1, "days": [1, 1]},
             "prefers": {"p": 0.2}},
            {"id_prefix": "je", "count": 10, "orgs": ["jingan-blue-elves"], "team_size": 10,
             "skills": {"lang-en": 0.6}, "home": {"near": "sites", "radius_km": 3}},
        ]
    }  # fmt: skip
    return sites, changes, recipe


def _huaian(rng: random.Random, f: float) -> tuple[list[dict], list[dict], dict[str, Any]]:
    shares = [d[4] for d in HUAIAN_DISTRICTS]
    sites: list[dict] = []
    suo_by_district: dict[str, list[dict]] = {}
    centre = HUAIAN_DISTRICTS[0]
    sites.append(_site("centre-city", "community", "huaian/qingjiangpu/centre",
                       (centre[1], centre[2]), "practice", 6, priority=3,
                       require={"grid": 1, "medical": 1}))  # fmt: skip
    for d in HUAIAN_DISTRICTS:
        sites.append(_site(f"centre-{d[0]}", "community", f"huaian/{d[0]}/centre",
                           _near(rng, d[1], d[2], 1.0), "practice", 6, priority=3,
                           require={"grid": 1, "medical": 1}))  # fmt: skip
    for i in range(_scaled(120, f)):  # 所: towns and streets
        d = rng.choices(HUAIAN_DISTRICTS, shares)[0]
        ll = _near(rng, d[1], d[2], d[3])
        s = _site(f"suo-{i + 1:03d}", "community", f"huaian/{d[0]}/suo-{i + 1:03d}", ll,
                  "practice", 4, priority=2, require={"grid": 1})  # fmt: skip
        sites.append(s)
        suo_by_district.setdefault(d[0], []).append(s)
    stations: list[dict] = []
    for i in range(_scaled(1600, f)):  # 站: villages and communities, near their 所
        d = rng.choices(HUAIAN_DISTRICTS, shares)[0]
        pool = suo_by_district.get(d[0]) or [s for v in suo_by_district.values() for s in v]
        suo = pool[rng.randrange(len(pool))]
        ll = _near(rng, suo["location"]["lat"], suo["location"]["lon"], 4.0)
        s = _site(f"zhan-{i + 1:04d}", "community", suo["zone"], ll, "practice", 3)
        sites.append(s)
        stations.append(s)
    n_points = max(1, 5057 - 9 - 120 - 1600) if f == 1 else _scaled(3328, f)
    for i in range(n_points):  # 点: points near a station; some are checkpoints (治安卡口)
        st = stations[rng.randrange(len(stations))]
        ll = _near(rng, st["location"]["lat"], st["location"]["lon"], 1.5)
        if i % 21 == 0:
            sites.append(_site(f"kakou-{i + 1:04d}", "checkpoint", st["zone"], ll, "two-12h", 2,
                               priority=5))  # fmt: skip
        else:
            sites.append(_site(f"dian-{i + 1:04d}", "community", st["zone"], ll, "practice", 2))
    # Huai'an 520 volunteer alliance: a 24 h "warm phone" for 200+ elderly people alone.
    sites[-1] = {**sites[-1], "id": "warm-phone-520", "kind": "hotline", "pattern": "three-8h",
                 "need": 1, "priority": 3}  # fmt: skip
    full = FULL_VOLUNTEERS["huaian"]
    home = {"near": "sites", "radius_km": 1.5}
    recipe = {
        "pools": [
            {"id_prefix": "g", "count": _scaled(6000, f), "orgs": ["grid-workers"],
             "team_size": 20, "skills": {"grid": 1.0, "medical": 0.03}, "home": home,
             "night_ok": 0.5},
            {"id_prefix": "d", "count": _scaled(7000, f), "orgs": ["peoples-deputies"],
             "team_size": 36, "skills": {"medical": 0.04}, "home": home, "night_ok": 0.3,
             "weekly_cap": {"p": 0.6, "hours": [8, 12]}},
            {"id_prefix": "w", "count": _scaled(5000, f), "orgs": ["women-volunteers"],
             "team_size": 36, "skills": {"medical": 0.08}, "home": home, "night_ok": 0.2},
            {"id_prefix": "p", "count": max(1, round(full * f) - sum(
                _scaled(n, f) for n in (6000, 7000, 5000))), "orgs": 40,
             "org_prefix": "practice-", "team_size": 37,
             "skills": {"medical": 0.03, "driver": 0.05, "counsellor": 0.01},
             "home": home, "night_ok": 0.6,
             "available": {"p": 0.2, "days": [3, 5]}, "unavailable": {"p": 0.15, "days": [1, 2]}},
        ]
    }  # fmt: skip
    return sites, [], recipe


def city_config(kind: str, seed: int, *, volunteers: int | None = None) -> dict[str, Any]:
    """The config (plain data) of a city-scale plan; volunteers come from its recipe."""
    if kind not in KINDS:
        raise ValueError(f"unknown city kind {kind!r} (known: {', '.join(KINDS)})")
    full = FULL_VOLUNTEERS[kind]
    n = full if volunteers is None else volunteers
    if n < 1:
        raise ValueError("volunteers must be at least 1")
    f = n / full
    rng = random.Random(seed)
    name = kind if n == full else f"{kind}-{n}"
    if kind == "expo":
        sites, changes, recipe = _expo(rng, f)
        head = {
            "plan": name,
            "title": "5th China International Import Expo: city civility posts (S3)",
            "timezone": "Asia/Shanghai",
            "horizon": {"start": "2022-11-05", "days": 6},
            "shift_patterns": {
                "expo": [{"name": "early", "start": "07:30", "hours": 6},
                         {"name": "late", "start": "13:30", "hours": 6}],
                "city": [{"name": "am", "start": "08:00", "hours": 5},
                         {"name": "pm", "start": "13:00", "hours": 5},
                         {"name": "eve", "start": "18:00", "hours": 4}],
            },
            "rules": {"min_rest_hours": 10, "max_hours_per_day": 8, "max_hours_per_week": 30,
                      "max_consecutive_days": 4, "max_travel_km": 15},
        }  # fmt: skip
    else:
        sites, changes, recipe = _huaian(rng, f)
        head = {
            "plan": name,
            "title": "Huai'an city: new-era civilisation practice network (S5)",
            "timezone": "Asia/Shanghai",
            "horizon": {"start": "2022-03-21", "days": 7},
            "shift_patterns": {
                "practice": [{"name": "am", "start": "08:00", "hours": 4},
                             {"name": "pm", "start": "14:00", "hours": 4}],
                "two-12h": [{"name": "day", "start": "08:00", "hours": 12},
                            {"name": "night", "start": "20:00", "hours": 12}],
                "three-8h": [{"name": "night", "start": "00:00", "hours": 8},
                             {"name": "day", "start": "08:00", "hours": 8},
                             {"name": "evening", "start": "16:00", "hours": 8}],
            },
            "rules": {"min_rest_hours": 2, "max_hours_per_day": 12, "max_hours_per_week": 36,
                      "max_consecutive_days": 6, "max_night_shifts_per_week": 3,
                      "max_travel_km": 5},
        }  # fmt: skip
    recipe = {"seed": seed, **recipe}
    return {
        **{k: v for k, v in head.items() if k != "rules"},
        "sites": sites,
        "demand_changes": changes,
        "volunteers": {"csv": f"generated/{name}.csv", "generate": recipe},
        "rules": head["rules"],
        "weights": {"uncovered": 1000, "missing_skill": 300, "fairness": 1, "travel_km": 1,
                    "preference": 5, "team_split": 2},
    }  # fmt: skip


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1 << 30
    ).strip()


def to_yaml(config: dict[str, Any], header: str = "") -> str:
    """Readable YAML: one line per site and demand change (5,057 sites stay greppable)."""
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    for key, value in config.items():
        if key in ("sites", "demand_changes"):
            out.append(f"{key}:" if value else f"{key}: []")
            out.extend(f"  - {_flow(item)}" for item in value)
        elif key == "shift_patterns":
            out.append(f"{key}:")
            for name, shifts in value.items():
                out.append(f"  {name}:")
                out.extend(f"    - {_flow(shift)}" for shift in shifts)
        else:
            out.append(
                yaml.safe_dump(
                    {key: value}, sort_keys=False, allow_unicode=True, width=100
                ).rstrip()
            )
    return "\n".join(out) + "\n"


def city_header(kind: str, seed: int, volunteers: int | None = None) -> str:
    """The comment at the top of a generated city config."""
    return (
        f"Generated by `rota generate city --kind {kind} --seed {seed}"
        + (f" --volunteers {volunteers}" if volunteers is not None else "")
        + "` (scheduler/generate_city.py).\nEdit the generator, not this file. The volunteer "
        "CSV is rebuilt from the recipe below\nwhen it is missing or stale."
    )


def write_city(
    kind: str, seed: int, out_dir: Path | str, *, volunteers: int | None = None
) -> tuple[Path, Path]:
    """Write ``DIR/<plan>.yaml`` and its volunteers ``DIR/generated/<plan>.csv``."""
    from scheduler.generate import write_generated
    from scheduler.models import Config

    data = city_config(kind, seed, volunteers=volunteers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    header = city_header(kind, seed, volunteers)
    cfg_path = out / f"{data['plan']}.yaml"
    cfg_path.write_text(to_yaml(data, header), encoding="utf-8")
    csv_path = write_generated(Config.model_validate(data), out / data["volunteers"]["csv"])
    return cfg_path, csv_path
