"""City decomposition on small synthetic cities (a few hundred volunteers, 3 zones)."""

from __future__ import annotations

import dataclasses
import math
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from scheduler.expand import expand
from scheduler.fast_compile import compile_plan_fast
from scheduler.greedy import greedy
from scheduler.limits import limits_for
from scheduler.loading import plan_from_dict
from scheduler.models import Plan
from scheduler.problem import Problem, compile_plan, ineligibility
from solver.bound import coverage_bound, weighted_coverage
from solver.decompose import CityOptions, merge, plan_city, prepare, run_local, solve_part, sub_plan
from solver.split import split_plan


def small_city(
    seed: int = 7, volunteers: int = 120, days: int = 3, travel_km: float | None = 8.0
) -> dict[str, Any]:
    """Three districts ~6 km apart, 4 sites each; the third short of people (seeded)."""
    rng = random.Random(seed)
    centres = [(33.50, 119.10), (33.55, 119.10), (33.50, 119.165)]
    sites = []
    for z, (clat, clon) in enumerate(centres):
        for k in range(4):
            sites.append(
                {
                    "id": f"s{z}-{k}",
                    "zone": f"d{z}/st{k % 2}",
                    "location": {
                        "lat": clat + rng.uniform(-0.02, 0.02),
                        "lon": clon + rng.uniform(-0.02, 0.02),
                    },
                    "pattern": "two-12h" if k % 2 else "three-8h",
                    "need": rng.randint(2, 4),
                    "priority": rng.randint(1, 3),
                    "require": {"medical": 1} if k == 0 else {},
                }
            )
    weights = [0.5, 0.42, 0.08]  # district 2 is short: its sites need help across borders
    people = []
    for i in range(volunteers):
        z = rng.choices(range(3), weights)[0]
        clat, clon = centres[z]
        r, a = 3.5 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        people.append(
            {
                "id": f"v{i:04d}",
                "zone": f"d{z}/st{rng.randint(0, 1)}",
                "lat": round(clat + r * math.cos(a) / 111.32, 5),
                "lon": round(clon + r * math.sin(a) / 92.8, 5),
                "night_ok": rng.random() < 0.7,
                "skills": "medical" if rng.random() < 0.15 else "",
                "team": f"t{i // 6}",
            }
        )
    return {
        "plan": "small-city",
        "timezone": "Asia/Shanghai",
        "horizon": {"start": "2022-04-04", "days": days},
        "shift_patterns": {
            "three-8h": [
                {"name": "night", "start": "00:00", "hours": 8},
                {"name": "day", "start": "08:00", "hours": 8},
                {"name": "evening", "start": "16:00", "hours": 8},
            ],
            "two-12h": [
                {"name": "day", "start": "08:00", "hours": 12},
                {"name": "night", "start": "20:00", "hours": 12},
            ],
        },
        "sites": sites,
        "volunteers": {"people": people},
        "rules": {
            "min_rest_hours": 12,
            "max_hours_per_day": 12,
            "max_hours_per_week": 24,
            "max_consecutive_days": 6,
            "max_night_shifts_per_week": 2,
            **({"max_travel_km": travel_km} if travel_km is not None else {}),
        },
    }


@pytest.fixture(scope="module")
def city() -> Plan:
    return plan_from_dict(small_city())


def _pair_by_pair(problem: Problem) -> tuple[tuple[int, ...], ...]:
    """Eligibility by ``ineligibility``: the rules applied to one pair at a time."""
    everyone = range(len(problem.volunteers))
    return tuple(
        tuple(v for v in everyone if ineligibility(problem, v, o) is None)
        for o in range(len(problem.occurrences))
    )


def test_fast_compile_equals_the_rules_pair_by_pair(city: Plan) -> None:
    fast = compile_plan_fast(city)
    assert fast.eligible == _pair_by_pair(fast)
    assert tuple(compile_plan_fast(city, lazy=True).eligible) == fast.eligible
    assert fast.occurrences == expand(city.config)
    assert fast.limits == tuple(limits_for(v, city.config.rules) for v in city.volunteers)
    assert fast.n_pairs > 0


def test_fast_compile_with_windows_days_off_and_adoption() -> None:
    cfg = small_city(volunteers=60, travel_km=None)
    cfg["sites"][0]["adopted_by"] = ["t1", "t2"]
    for p in cfg["volunteers"]["people"][:20]:
        p["available"] = "2022-04-04T06:00/2022-04-05T20:00"
        p["unavailable"] = "2022-04-04T10:00/2022-04-04T11:00"
        p["days_off"] = "2022-04-06"
        p["max_shifts"] = "night=0"
    plan = plan_from_dict(cfg)
    fast = compile_plan_fast(plan)
    assert fast.eligible == _pair_by_pair(fast)


def test_split_gives_each_volunteer_one_part(city: Plan) -> None:
    occs = expand(city.config)
    split = split_plan(city, occs, target_pairs=2_500)
    assert len(split.parts) >= 3
    seen = [v for p in split.parts for v in p.volunteers] + list(split.spare)
    assert sorted(seen) == list(range(len(city.volunteers)))
    sites = sorted(s for p in split.parts for s in p.sites)
    assert sites == sorted(s.id for s in city.config.sites)
    for part in split.parts:  # parts follow districts: one district per part here
        assert len({s.split("-")[0] for s in part.sites}) == 1


def test_parts_round_trip_as_json(city: Plan) -> None:
    occs = expand(city.config)
    part = split_plan(city, occs, target_pairs=2_500).parts[0]
    sub = sub_plan(city, part)
    payload = {
        "part": part.id,
        "plan": sub.model_dump(mode="json", by_alias=True),
        "time_limit": 1,
        "seed": 1,
        "solver": "greedy",
    }
    out = solve_part(payload)
    assert out["assignments"], "a part with volunteers and demand staffs something"
    merged = merge(city, occs, [out])
    assert len(merged) == len(out["assignments"])
    assert {city.volunteers[v].id for _, v in merged} <= {
        city.volunteers[i].id for i in part.volunteers
    }


def test_plan_city_passes_checker_and_beats_greedy(city: Plan) -> None:
    options = CityOptions(time_limit=20, part_time_limit=2, processes=1, target_pairs=2_500)
    result = plan_city(city, options)
    roster = result.roster
    problem = compile_plan(city)
    from scheduler.checker import check_roster

    report = check_roster(problem, roster)
    assert not report or getattr(report, "ok", False), report
    cover = weighted_coverage(problem, result.pairs)
    assert cover >= weighted_coverage(problem, greedy(problem))
    bound = coverage_bound(problem)
    assert bound.value >= cover - 1e-6
    assert result.stats["coverage"] == pytest.approx(cover)
    assert roster.bound is not None and roster.objective is not None
    assert roster.bound <= roster.objective
    assert len(roster.assignments) == len(result.pairs)
    assert result.stats["parts"] >= 3


def test_repair_fills_across_borders(city: Plan) -> None:
    """Drop a third of a valid roster; repair refills it around the shifts that stay."""
    from scheduler.build import build_roster
    from scheduler.checker import check_roster
    from solver.repair import repair

    problem = compile_plan(city)
    full = sorted(greedy(problem))
    rng = random.Random(3)
    kept = {p for p in full if rng.random() > 0.33}
    added = repair(problem, kept)
    assert added and not (added & kept)
    pairs = kept | added
    assert weighted_coverage(problem, pairs) > weighted_coverage(problem, kept)
    roster = build_roster(problem, status="feasible", objective=None, bound=None, pairs=pairs)
    report = check_roster(problem, roster)
    assert not [v for v in report.violations if "objective" not in v], report.violations
    lazy = compile_plan_fast(city, lazy=True)
    assert repair(lazy, kept) == added


def test_process_pool_gives_a_checked_roster(city: Plan) -> None:
    options = CityOptions(time_limit=10, processes=2, target_pairs=2_500, solver="greedy")
    result = plan_city(city, options)
    assert result.stats["processes"] == 2
    assert result.roster.assignments


def test_process_pool_reports_every_part_in_order_as_solved_here(city: Plan) -> None:
    _split, payloads, _stats = prepare(city, CityOptions(target_pairs=2_500, solver="greedy"))
    assert len(payloads) > 1, "the pool is used only with several parts"
    seen: list[dict] = []
    pooled = run_local(payloads, 2, on_done=seen.append)
    here = run_local(payloads, 1)
    assert [r["part"] for r in pooled] == [p["part"] for p in payloads]
    assert seen == pooled, "on_done sees each result as it is collected"

    def timeless(r: dict) -> dict:
        return {k: v for k, v in r.items() if not k.endswith("seconds")}

    assert [timeless(r) for r in pooled] == [timeless(r) for r in here]


def test_gap_only_runs_cp_sat_just_where_the_greedy_falls_short() -> None:
    city = plan_from_dict(small_city(volunteers=130))  # one part short, two easy
    results: list[dict] = []
    options = CityOptions(time_limit=20, part_time_limit=1, processes=1, target_pairs=2_500)
    plan_city(city, dataclasses.replace(options, solver="gap-only"), on_done=results.append)
    for r in results:
        assert r["cp_sat"] == (r["greedy_coverage"] < r["supply_bound"])
        assert r["coverage"] >= r["greedy_coverage"]
    assert {r["cp_sat"] for r in results} == {True, False}, "the city has short and easy parts"
    results.clear()
    plan_city(city, dataclasses.replace(options, solver="greedy"), on_done=results.append)
    assert not any(r["cp_sat"] for r in results)


def test_plan_city_command_writes_a_checked_roster(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from rota.cli import cli
    from scheduler.checker import check_roster
    from scheduler.roster import Roster

    cfg = tmp_path / "city.yaml"
    cfg.write_text(yaml.safe_dump(small_city()), encoding="utf-8")
    out = tmp_path / "out"
    args = ["plan-city", str(cfg), "--out", str(out), "--processes", "1", "--time-limit", "10"]
    res = CliRunner().invoke(cli, [*args, "--target-pairs", "2500", "--solver", "greedy"])
    assert res.exit_code == 0, res.output
    assert "weighted coverage" in res.output
    roster = Roster.read(out / "roster.json")
    assert check_roster(compile_plan(plan_from_dict(small_city())), roster).ok
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**small_city(), "sites": [{"id": "x", "pattern": "nope"}]}))
    res = CliRunner().invoke(cli, ["plan-city", str(bad), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 2
    assert "pattern" in res.output
    assert not (tmp_path / "o2").exists()


def test_lns_repair_re_solves_a_short_site_and_keeps_every_rule() -> None:
    from scheduler.build import build_roster
    from scheduler.checker import check_roster
    from solver.repair import lns_repair

    city = plan_from_dict(small_city(volunteers=240))  # the greedy covers everything here
    problem = compile_plan(city)
    full = set(greedy(problem))
    assert weighted_coverage(problem, full) == coverage_bound(problem, lp=False).value
    site = "s2-1"
    holed = {(o, v) for o, v in full if problem.occurrences[o].site != site}
    assert weighted_coverage(problem, holed) < weighted_coverage(problem, full)
    pairs, stats = lns_repair(compile_plan_fast(city, lazy=True), holed, seconds=20)
    assert stats["lns_improved"] >= 1
    assert holed - pairs == set(), "pairs at other sites stay"
    assert {problem.occurrences[o].site for o, _ in pairs - holed} == {site}
    assert weighted_coverage(problem, pairs) > weighted_coverage(problem, holed)
    roster = build_roster(problem, status="feasible", objective=None, bound=None, pairs=pairs)
    report = check_roster(problem, roster)
    assert not [v for v in report.violations if "objective" not in v], report.violations


@pytest.mark.parametrize("keep", ["zones", "nothing"])
def test_split_without_locations_by_zone_or_evenly(keep: str) -> None:
    cfg = small_city(volunteers=90, travel_km=None)
    for s in cfg["sites"]:
        s.pop("location")
        if keep == "nothing":
            s.pop("zone")
    for p in cfg["volunteers"]["people"]:
        p.pop("lat"), p.pop("lon")
        if keep == "nothing":
            p.pop("zone")
    plan = plan_from_dict(cfg)
    split = split_plan(plan, expand(plan.config), target_pairs=800)
    assert len(split.parts) >= 3
    members = sorted(v for p in split.parts for v in p.volunteers)
    assert members == list(range(90)) and not split.spare
    if keep == "zones":  # a volunteer goes to a part of their own district
        for part in split.parts:
            districts = {s.split("-")[0][1:] for s in part.sites}
            assert {plan.volunteers[v].zone[1] for v in part.volunteers} <= districts
    else:  # spread by demand: no part is left without people
        assert all(p.volunteers for p in split.parts)
    result = plan_city(plan, CityOptions(processes=1, target_pairs=800, solver="greedy"))
    assert result.stats["parts"] == len(split.parts)
    assert result.roster.assignments
