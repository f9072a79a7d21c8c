"""Seeded volunteer generation: deterministic bytes, recipe errors, stale-file rebuilds, cities."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from scheduler.errors import ConfigError
from scheduler.generate import COLUMNS, generate_rows, is_current, parse_recipe, write_generated
from scheduler.generate_city import city_config, to_yaml, write_city
from scheduler.loading import load_plan
from scheduler.models import Config
from tests.conftest import tiny_config

SITES = [
    {"id": "a", "pattern": "three-8h", "need": 1, "zone": "z/a",
     "location": {"lat": 31.25, "lon": 121.45}},
    {"id": "b", "pattern": "three-8h", "need": 1, "zone": "z/b",
     "location": {"lat": 31.30, "lon": 121.50}, "adopted_by": ["org-b"]},
]  # fmt: skip


def recipe(**over: Any) -> dict[str, Any]:
    base = {
        "seed": 7,
        "count": 200,
        "orgs": ["org-a", "org-b", "org-c"],
        "public_share": 0.2,
        "team_size": 4,
        "skills": {"driver": 0.2, "medical": 0.1},
        "bundles": [{"p": 0.1, "all": ["interpreter"], "one_of": ["lang-en", "lang-ja"]}],
        "home": {"near": "sites", "radius_km": 2},
        "night_ok": 0.6,
        "weekly_cap": {"p": 0.3, "hours": [16, 24]},
        "prefers": {"p": 0.5, "extra": 0.5},
        "available": {"p": 0.3, "days": [1, 2]},
        "unavailable": {"p": 0.3, "days": [1, 1]},
    }
    base.update(over)
    return base


def config(csv_name: str = "v.csv", **over: Any) -> Config:
    data = tiny_config(
        horizon={"start": "2020-01-29", "days": 3},
        sites=SITES,
        volunteers={"csv": csv_name, "generate": recipe(**over)},
    )
    return Config.model_validate(data)


def rows_of(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a = write_generated(config(), tmp_path / "a.csv").read_bytes()
    b = write_generated(config(), tmp_path / "b.csv").read_bytes()
    c = write_generated(config(seed=8), tmp_path / "c.csv").read_bytes()
    assert a == b
    assert a != c
    assert a.startswith((",".join(COLUMNS) + "\n").encode())
    assert b"\r\n" not in a


def test_rows_follow_the_recipe(tmp_path: Path) -> None:
    rows = rows_of(write_generated(config(), tmp_path / "v.csv"))
    assert len(rows) == 200
    assert len({r["id"] for r in rows}) == 200
    orgs = Counter(r["org"] for r in rows)
    assert set(orgs) <= {"org-a", "org-b", "org-c", "public"}
    assert 20 <= orgs["public"] <= 60  # public_share 0.2 of 200
    assert all(r["team"] == "" for r in rows if r["org"] == "public")
    teams = Counter(r["team"] for r in rows if r["team"])
    assert all(2 <= n <= 6 for n in teams.values())  # team_size 4 +- 1, remainders merged
    assert sum(3 <= n <= 5 for n in teams.values()) >= len(teams) - 3
    for r in rows:  # interpreters always carry a language
        skills = set(r["skills"].split(";")) if r["skills"] else set()
        if "interpreter" in skills:
            assert skills & {"lang-en", "lang-ja"}
    # adopted site b only anchors org-b: other orgs' homes and preferences are around a
    for r in rows:
        if r["org"] != "org-b" and r["prefers"]:
            assert r["prefers"].split(";")[0] == "a"
    night_off = sum(r["night_ok"] == "false" for r in rows)
    assert 50 <= night_off <= 110  # night_ok 0.6
    assert any(r["available"] for r in rows) and any(r["unavailable"] for r in rows)
    assert {r["max_hours_per_week"] for r in rows} == {"", "16", "24"}


def test_generated_csv_loads_and_validates(tmp_path: Path) -> None:
    data = tiny_config(
        horizon={"start": "2020-01-29", "days": 3},
        sites=SITES,
        volunteers={"csv": "generated/v.csv", "generate": recipe()},
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    plan = load_plan(cfg)
    assert len(plan.volunteers) == 200
    assert (tmp_path / "generated" / "v.csv").exists()
    assert is_current(plan.config, tmp_path / "generated" / "v.csv")


def test_loader_rebuilds_a_stale_csv(tmp_path: Path) -> None:
    data = tiny_config(sites=SITES, volunteers={"csv": "v.csv", "generate": recipe(count=10)})
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert len(load_plan(cfg).volunteers) == 10
    data["volunteers"]["generate"]["count"] = 12  # the recipe changed: the CSV is stale
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert len(load_plan(cfg).volunteers) == 12


def test_loader_keeps_a_csv_it_did_not_write_and_warns(tmp_path: Path) -> None:
    data = tiny_config(sites=SITES[:1], volunteers={"csv": "v.csv", "generate": recipe(count=10)})
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    own = "id,name\nmine-1,A\nmine-2,B\n"
    (tmp_path / "v.csv").write_text(own, encoding="utf-8")  # someone's own list, no stamp
    warnings: list = []
    plan = load_plan(cfg, with_warnings=warnings)
    assert [v.id for v in plan.volunteers] == ["mine-1", "mine-2"]
    assert (tmp_path / "v.csv").read_text(encoding="utf-8") == own
    assert [w.path for w in warnings] == ["volunteers.generate"]
    assert "not written from this recipe" in warnings[0].message


def test_loader_keeps_a_generated_csv_edited_by_hand(tmp_path: Path) -> None:
    data = tiny_config(sites=SITES[:1], volunteers={"csv": "v.csv", "generate": recipe(count=10)})
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    load_plan(cfg)
    lines = (tmp_path / "v.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    edited = "".join(lines[:4])  # the header and three rows kept by hand
    (tmp_path / "v.csv").write_text(edited, encoding="utf-8")
    data["volunteers"]["generate"]["count"] = 12  # stale recipe: still not overwritten
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert len(load_plan(cfg).volunteers) == 3
    assert (tmp_path / "v.csv").read_text(encoding="utf-8") == edited


def test_loader_rebuilds_a_stale_csv_stamped_by_the_previous_generator(tmp_path: Path) -> None:
    data = tiny_config(sites=SITES, volunteers={"csv": "v.csv", "generate": recipe(count=10)})
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    load_plan(cfg)
    stamp = tmp_path / ".v.csv.recipe-sha256"
    stamp.write_text(stamp.read_text(encoding="ascii").split()[0] + "\n", encoding="ascii")
    data["volunteers"]["generate"]["count"] = 12
    cfg.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert len(load_plan(cfg).volunteers) == 12


def test_count_override_scales_pools(tmp_path: Path) -> None:
    pools = [
        {"id_prefix": "d", "count": 30, "orgs": ["drivers"], "skills": {"driver": 1.0}},
        {"id_prefix": "c", "count": 70, "orgs": ["org-b"], "team_size": 5, "skills": {}},
    ]
    cfg = config(pools=pools)
    rows = rows_of(write_generated(cfg, tmp_path / "full.csv"))
    assert Counter(r["id"][0] for r in rows) == {"d": 30, "c": 70}
    # a pool overrides the fields it gives (skills) and inherits the rest (bundles)
    assert all("driver" in r["skills"] for r in rows if r["id"].startswith("d"))
    assert not any("driver" in r["skills"] for r in rows if r["id"].startswith("c"))
    small = rows_of(write_generated(cfg, tmp_path / "small.csv", count=10))
    assert Counter(r["id"][0] for r in small) == {"d": 3, "c": 7}
    assert not is_current(cfg, tmp_path / "small.csv")  # a resized file is never current


def test_teams_per_org_gives_exact_team_count(tmp_path: Path) -> None:
    rows = rows_of(write_generated(config(orgs=["post"], public_share=0, teams_per_org=9,
                                          count=190), tmp_path / "v.csv"))  # fmt: skip
    assert {r["team"] for r in rows} == {f"post-t{i}" for i in range(1, 10)}


@pytest.mark.parametrize(
    ("over", "path"),
    [
        ({"count": -1}, "volunteers.generate.count"),
        ({"colour": "red"}, "volunteers.generate.colour"),
        ({"night_ok": 1.5}, "volunteers.generate.night_ok"),
        ({"pools": [{"id_prefix": "a"}, {"id_prefix": "a"}]}, "volunteers.generate.pools[1]"),
    ],
)
def test_bad_recipe_names_the_field(tmp_path: Path, over: dict, path: str) -> None:
    with pytest.raises(ConfigError) as err:
        write_generated(config(**over), tmp_path / "v.csv")
    assert any(p.path.startswith(path) for p in err.value.problems), err.value.problems
    assert not (tmp_path / "v.csv").exists()


def test_no_recipe_is_an_error(tmp_path: Path) -> None:
    cfg = Config.model_validate(tiny_config())
    with pytest.raises(ConfigError, match="no `generate` recipe"):
        write_generated(cfg, tmp_path / "v.csv")
    with pytest.raises(ConfigError):
        parse_recipe({"count": 3})  # no seed


@pytest.mark.parametrize(("kind", "sites", "people"), [("expo", 492, 42_000),
                                                        ("huaian", 5_057, 150_000)])  # fmt: skip
def test_city_full_size_follows_the_reports(kind: str, sites: int, people: int) -> None:
    data = city_config(kind, 1)
    assert len(data["sites"]) == sites
    assert len({s["id"] for s in data["sites"]}) == sites
    pools = data["volunteers"]["generate"]["pools"]
    assert sum(p["count"] for p in pools) == people
    assert {s.get("kind", "community") for s in data["sites"]} >= {"community"}
    Config.model_validate(data)  # the config itself is valid


def test_city_scaling_and_determinism(tmp_path: Path) -> None:
    a_cfg, a_csv = write_city("huaian", 3, tmp_path / "a", volunteers=1000)
    b_cfg, b_csv = write_city("huaian", 3, tmp_path / "b", volunteers=1000)
    c_cfg, c_csv = write_city("huaian", 4, tmp_path / "c", volunteers=1000)
    assert a_cfg.read_bytes() == b_cfg.read_bytes() and a_csv.read_bytes() == b_csv.read_bytes()
    assert a_cfg.read_bytes() != c_cfg.read_bytes() and a_csv.read_bytes() != c_csv.read_bytes()
    plan = load_plan(a_cfg)
    assert plan.config.plan == "huaian-1000"
    assert len(plan.volunteers) == 1000
    assert 25 <= len(plan.config.sites) <= 45  # 5,057 * 1000 / 150,000 ~ 34
    kinds = {s.kind.value for s in plan.config.sites}
    assert {"community", "checkpoint", "hotline"} <= kinds
    teams = {v.team for v in plan.volunteers if v.team}
    assert len(teams) >= 20
    assert all(v.lat is not None for v in plan.volunteers)


def test_city_yaml_round_trips() -> None:
    data = city_config("expo", 2, volunteers=2000)
    text = to_yaml(data, "header")
    assert text.startswith("# header\n")
    assert yaml.safe_load(text) == yaml.safe_load(yaml.safe_dump(data))
    assert any(s["id"] == "jingan-reception" for s in data["sites"])


def test_150k_volunteers_generate_in_seconds() -> None:
    cfg = Config.model_validate(city_config("huaian", 1))
    from scheduler.generate import Recipe

    t0 = time.perf_counter()
    rows = generate_rows(cfg, Recipe.model_validate(cfg.volunteers.generate))
    elapsed = time.perf_counter() - t0
    assert len(rows) == 150_000
    assert elapsed < 20, f"{elapsed:.1f} s"  # ~4 s alone; generous on 2 shared cores
    assert len({r["team"] for r in rows if r["team"]}) in range(4000, 4400)  # 4,200+ teams
