"""Every shipped scenario config (configs/*.yaml) loads, validates, and the small ones plan.

Generated volunteer CSVs (configs/generated/, git-ignored) are rebuilt from each config's
recipe when missing or stale, so these tests also exercise generation end to end.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from rota.cli import cli
from scheduler.checker import check_roster
from scheduler.expand import expand
from scheduler.loading import load_plan
from scheduler.problem import compile_plan
from solver.pipeline import plan_roster
from solver.types import SolveParams

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
SMALL = [
    "shanghai-station",
    "jingan-communities",
    "jinshan-checkpoints",
    "lianyungang",
    "xuchang-redcross",
    "xuchang-meals",
    "xuchang-traffic",
]
LARGE = ["expo", "huaian"]


def test_every_scenario_has_a_config() -> None:
    names = {p.stem for p in CONFIGS.glob("*.yaml")}
    assert names >= set(SMALL) | set(LARGE)


@pytest.mark.parametrize("name", SMALL)
def test_small_config_validates_and_plans(name: str) -> None:
    warnings: list = []
    plan = load_plan(CONFIGS / f"{name}.yaml", with_warnings=warnings)
    assert plan.config.plan == name
    assert not [w for w in warnings if "no volunteer holds" in w.message], warnings
    problem = compile_plan(plan)
    assert problem.n_pairs > 0
    assert all(problem.eligible[o.index] for o in problem.occurrences if o.need > 0)
    roster, _ = plan_roster(problem, SolveParams(time_limit=1.0, workers=1, seed=1))
    assert roster.status.has_roster
    report = check_roster(problem, roster)
    assert report.ok, report.violations[:5]
    assert report.total_missing == roster.total_missing


def test_expo_full_size_loads_and_validates() -> None:
    plan = load_plan(CONFIGS / "expo.yaml")
    assert len(plan.config.sites) == 492
    assert len(plan.volunteers) == 42_000
    assert plan.config.horizon.start == dt.date(2022, 11, 5) and plan.config.horizon.days == 6
    reception = next(s for s in plan.config.sites if s.id == "jingan-reception")
    assert reception.need == 10 and reception.adopted_by == ("jingan-blue-elves",)
    assert sum(v.org == "jingan-blue-elves" for v in plan.volunteers) == 10


@pytest.mark.slow
def test_huaian_full_size_loads_and_validates() -> None:
    plan = load_plan(CONFIGS / "huaian.yaml")  # ~10-15 s: 150,000 CSV rows through pydantic
    assert len(plan.config.sites) == 5_057
    assert len(plan.volunteers) == 150_000
    assert sum("grid" in v.skills for v in plan.volunteers) == 6_000
    assert 4_000 <= len({v.team for v in plan.volunteers if v.team}) <= 4_400


def test_shanghai_station_follows_the_report() -> None:
    plan = load_plan(CONFIGS / "shanghai-station.yaml")
    exits = [s for s in plan.config.sites if s.id.startswith("exit-")]
    assert {s.id for s in exits} == {"exit-se", "exit-sw", "exit-nw"}
    assert all(s.require == {"interpreter": 1, "medical": 1} for s in exits)
    assert len({v.org for v in plan.volunteers if v.org and v.org != "public"}) >= 55
    held = Counter(s for v in plan.volunteers for s in v.skills)
    for lang in ("lang-en", "lang-ja", "lang-ko", "lang-it", "lang-de", "lang-fi", "lang-sv"):
        assert held[lang] > 0, lang
    assert held["driver"] > 0 and held["medical"] > 0
    r = plan.config.rules
    assert (r.min_rest_hours, r.max_hours_per_week, r.max_travel_km) == (12, 40, 10)
    assert sum(not v.night_ok for v in plan.volunteers) > 0
    assert any(v.available for v in plan.volunteers) and any(v.prefers for v in plan.volunteers)


def test_xuchang_redcross_matches_the_reported_totals() -> None:
    plan = load_plan(CONFIGS / "xuchang-redcross.yaml")
    occs = expand(plan.config)
    shifts = sum(o.need for o in occs)
    hours = sum(o.need * o.minutes for o in occs) / 60
    assert plan.config.horizon.days == 127
    assert len(plan.volunteers) == 40
    assert abs(shifts - 1_075) <= 10  # report: 1,075 person-shifts
    assert abs(hours - 10_310) <= 100  # report: ~10,310 service hours


def test_xuchang_traffic_pairs_every_site_with_its_units() -> None:
    plan = load_plan(CONFIGS / "xuchang-traffic.yaml")
    intersections = [s for s in plan.config.sites if s.id.startswith("x")]
    assert len(intersections) == 52
    assert all(s.adopted_by for s in plan.config.sites)
    problem = compile_plan(plan)
    for o in problem.occurrences[:50]:
        site = problem.sites[o.site]
        for v in problem.eligible[o.index]:
            vol = problem.volunteers[v]
            assert vol.org in site.adopted_by or vol.team in site.adopted_by


def test_jinshan_five_minute_circle() -> None:
    plan = load_plan(CONFIGS / "jinshan-checkpoints.yaml")
    assert plan.config.rules.max_travel_km == 3
    shifts = {s.name: s for s in plan.config.shift_patterns["white-black"]}
    assert shifts["white"].hours == shifts["black"].hours == 12


def test_generate_volunteers_cli_writes_the_recipe_csv(tmp_path: Path) -> None:
    out = tmp_path / "s8.csv"
    runner = CliRunner()
    res = runner.invoke(cli, ["generate", "volunteers", str(CONFIGS / "xuchang-meals.yaml"),
                              "--out", str(out)])  # fmt: skip
    assert res.exit_code == 0, res.output
    again = tmp_path / "again.csv"
    runner.invoke(cli, ["generate", "volunteers", str(CONFIGS / "xuchang-meals.yaml"),
                        "--out", str(again)])  # fmt: skip
    assert out.read_bytes() == again.read_bytes()
    assert "60 volunteers" in res.output


def test_generate_volunteers_cli_without_recipe_exits_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["generate", "volunteers", str(CONFIGS / "xuchang-redcross.yaml")]
    )
    assert res.exit_code == 2
    assert "volunteers.generate" in res.output


def test_generate_city_cli(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        ["generate", "city", "--kind", "expo", "--seed", "5", "--out", str(tmp_path),
         "--volunteers", "1000"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    plan = load_plan(tmp_path / "expo-1000.yaml")
    assert len(plan.volunteers) == 1000
    assert 8 <= len(plan.config.sites) <= 16  # 492 * 1000 / 42,000 ~ 12


def test_committed_city_configs_are_what_the_generator_writes() -> None:
    """configs/expo.yaml and huaian.yaml are generator output: regenerate and compare."""
    from scheduler.generate_city import city_config, city_header, to_yaml

    for kind in LARGE:
        expected = to_yaml(city_config(kind, 1), city_header(kind, 1))
        assert (CONFIGS / f"{kind}.yaml").read_text(encoding="utf-8") == expected, kind
