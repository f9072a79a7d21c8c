"""``rota plan`` end to end on tiny configs (solves of a few seconds at most), and the
pipeline glue it runs on (greedy hint, solve, build, independent check)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from icalendar import Calendar

from rota.cli import cli
from scheduler.exports.calendars import event_uid
from scheduler.loading import load_plan, plan_from_dict
from scheduler.problem import compile_plan
from scheduler.roster import Roster, Status
from solver.types import SolveParams
from tests.conftest import tiny_config

CONTRACT_KEYS = {"plan", "version", "status", "objective", "bound", "assignments", "shortfalls"}
ASSIGNMENT_KEYS = {"volunteer", "site", "shift", "start", "end"}
EXPORTS = {"roster.json", "by-site.csv", "by-volunteer.csv", "report.html", "calendars"}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def _plan(config: Path, out: Path, *extra: str) -> Result:
    args = ["plan", str(config), "--out", str(out), "--time-limit", "5", "--workers", "1"]
    return CliRunner().invoke(cli, [*args, *extra])


def _unique_solution_config() -> dict[str, Any]:
    """Two day shifts; each volunteer is available on one of them: one roster only."""
    return tiny_config(
        shift_patterns={"days": [{"name": "day", "start": "08:00", "hours": 8}]},
        sites=[{"id": "gate", "name": "Main gate", "pattern": "days", "need": 1}],
        volunteers={
            "people": [
                {"id": "ann", "name": "Ann", "available": ["2020-01-29T00:00/2020-01-30T00:00"]},
                {"id": "bob", "name": "Bob", "available": ["2020-01-30T00:00/2020-01-31T00:00"]},
            ]
        },
    )


def _uids(out: Path) -> dict[str, set[str]]:
    return {
        p.stem: {str(e["UID"]) for e in Calendar.from_ical(p.read_bytes()).walk("VEVENT")}
        for p in sorted((out / "calendars").glob("*.ics"))
    }


def test_plan_writes_every_export(tmp_path: Path) -> None:
    from scheduler.checker import check_roster

    config = _write(tmp_path, tiny_config(rules={"min_rest_hours": 8}))
    out = tmp_path / "out"
    result = _plan(config, out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == EXPORTS

    data = json.loads((out / "roster.json").read_text(encoding="utf-8"))
    assert set(data) >= CONTRACT_KEYS
    assert data["plan"] == "tiny" and data["version"] == 1
    assert data["status"] in ("optimal", "feasible")
    assert all(set(a) == ASSIGNMENT_KEYS for a in data["assignments"])
    assert all(
        a["start"].endswith("+08:00") and a["end"].endswith("+08:00") for a in data["assignments"]
    )
    roster = Roster.model_validate(data)
    problem = compile_plan(load_plan(config))
    assert check_roster(problem, roster).ok
    # six 8-hour shifts, need 1 each, four volunteers with 8 h rest: all covered
    assert len(roster.assignments) == 6 and roster.shortfalls == ()

    with (out / "by-site.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    from_csv = sorted(
        (r["site"], r["shift"], r["start"], vid)
        for r in rows
        for vid in r["volunteers"].split(";")
        if vid
    )
    assert from_csv == sorted((*a.key, a.volunteer) for a in roster.assignments)
    with (out / "by-volunteer.csv").open(newline="") as fh:
        per_vol = {r["volunteer"]: int(r["shifts"]) for r in csv.DictReader(fh)}
    assert sum(per_vol.values()) == 6 and set(per_vol) == {"v1", "v2", "v3", "v4"}

    uids = _uids(out)
    assert set(uids) == {"v1", "v2", "v3", "v4"}
    expected: dict[str, set[str]] = {v: set() for v in uids}
    for a in roster.assignments:
        expected[a.volunteer].add(event_uid("tiny", a))
    assert uids == expected

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Coverage</h2>" in html and "6 of 6 (100.0%)" in html

    assert "coverage 100.0% (6 of 6 person-shifts)" in result.stdout
    assert f"wrote {out / 'by-site.csv'}" in result.stdout
    assert "(4 calendars)" in result.stdout
    assert result.stdout.startswith(f"tiny: {roster.status.value}, objective ")


def test_uids_stable_across_runs(tmp_path: Path) -> None:
    config = _write(tmp_path, _unique_solution_config())
    first, second = tmp_path / "first", tmp_path / "second"
    assert _plan(config, first).exit_code == 0
    assert _plan(config, second, "--workers", "2", "--seed", "7").exit_code == 0
    uids = _uids(first)
    assert uids == {
        "ann": {"tiny-ann-gate-day-20200129T0800@rota"},
        "bob": {"tiny-bob-gate-day-20200130T0800@rota"},
    }
    assert _uids(second) == uids
    # re-publishing into the same directory replaces the exports, keeps the UIDs and
    # leaves other files alone
    (first / "notes.txt").write_text("mine")
    assert _plan(config, first).exit_code == 0
    assert _uids(first) == uids
    assert (first / "notes.txt").read_text() == "mine"


def test_shortfalls_still_exit_0(tmp_path: Path) -> None:
    cfg = _unique_solution_config()
    cfg["sites"][0]["need"] = 2
    cfg["sites"][0]["require"] = {"medical": 1}
    config = _write(tmp_path, cfg)
    result = _plan(config, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "warning: no volunteer holds skill 'medical'" in result.stderr
    roster = Roster.read(tmp_path / "out" / "roster.json")
    assert roster.total_missing == 2 and roster.total_missing_skills == 2
    assert all(s.reason for s in roster.shortfalls)
    assert "coverage 50.0% (2 of 4 person-shifts)" in result.stdout
    with (tmp_path / "out" / "by-site.csv").open(newline="") as fh:
        assert [r["staffed"] for r in csv.DictReader(fh)] == ["1", "1"]


def test_roster_held_to_greedys_shortfall_says_so(tmp_path: Path) -> None:
    # a person costs 50 missing and 80 of fairness covered: the weights prefer the gap,
    # greedy covers it, and the shortfall guard keeps greedy's coverage
    cfg = tiny_config(
        horizon={"start": "2024-01-01", "days": 1},
        shift_patterns={"pd": [{"name": "day", "start": "08:00", "hours": 8}]},
        sites=[{"id": "s1", "pattern": "pd", "need": 1}],
        volunteers={"people": [{"id": "v1"}, {"id": "v2"}]},
        rules={},
        weights={"uncovered": 50, "fairness": 10, "travel_km": 0, "preference": 0},
    )
    result = _plan(_write(tmp_path, cfg), tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "out" / "roster.json").read_text(encoding="utf-8"))
    assert len(data["assignments"]) == 1 and data["shortfalls"] == []
    assert data["objective"] == 80 and data["stats"]["guarded_objective"] == 50
    assert "held to the hand method's shortfall: the cheapest roster found (objective 50)" in (
        result.stdout
    )


def test_contradicting_hard_limits_exit_3(tmp_path: Path) -> None:
    # two days of 8-hour shifts cannot give everyone 100 hours
    config = _write(tmp_path, tiny_config(rules={"min_hours_total": 100}))
    out = tmp_path / "out"
    result = _plan(config, out)
    assert result.exit_code == 3, result.output
    assert "no roster (infeasible)" in result.stderr
    assert [p.name for p in out.iterdir()] == ["roster.json"]
    data = json.loads((out / "roster.json").read_text(encoding="utf-8"))
    assert data["status"] == "infeasible"
    assert data["assignments"] == [] and data["shortfalls"] == []
    assert data["explanation"] and data["explanation"] in result.stderr


def test_quiet_prints_nothing_on_success(tmp_path: Path) -> None:
    config = _write(tmp_path, _unique_solution_config())
    result = _plan(config, tmp_path / "out", "--quiet")
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert (tmp_path / "out" / "roster.json").exists()


def test_out_path_that_is_a_file(tmp_path: Path) -> None:
    config = _write(tmp_path, _unique_solution_config())
    (tmp_path / "taken").write_text("x")
    result = _plan(config, tmp_path / "taken")
    assert result.exit_code == 2  # click refuses a file for a directory option
    assert (tmp_path / "taken").read_text() == "x"


def test_plan_help_is_accurate() -> None:
    result = CliRunner().invoke(cli, ["plan", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for option in ("--out", "--time-limit", "--workers", "--seed", "--quiet"):
        assert option in text
    for export in ("roster.json", "by-site.csv", "by-volunteer.csv", "calendars/", "report.html"):
        assert export in text
    assert "2 invalid input" in text and "3 no roster" in text


# --- the pipeline glue ---------------------------------------------------------------


def test_pipeline_hints_with_greedy_and_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    import solver.solve
    from scheduler.cost import total_cost
    from scheduler.greedy import greedy
    from solver.pipeline import plan_roster
    from solver.types import Solution

    problem = compile_plan(plan_from_dict(_unique_solution_config()))
    seen: list[SolveParams] = []

    def fake_solve(problem_, params):
        seen.append(params)
        pairs = tuple(sorted(params.hint))
        cost = total_cost(problem_, pairs)
        return Solution(Status.feasible, cost, 0, pairs, 0.01)

    monkeypatch.setattr(solver.solve, "solve", fake_solve)
    roster, _ = plan_roster(problem, SolveParams(time_limit=1), version=3)
    assert seen[0].hint == frozenset(greedy(problem)) and seen[0].hint
    # the solver said feasible, but its bound (0) equals the cost: proven optimal
    assert roster.version == 3 and roster.status is Status.optimal
    assert {a.volunteer for a in roster.assignments} == {"ann", "bob"}

    given = frozenset({(0, 0)})
    monkeypatch.setattr("solver.pipeline.MOVES", False)  # the solver's roster as it is
    roster, _ = plan_roster(problem, SolveParams(time_limit=1, hint=given))
    assert seen[1].hint == given
    assert roster.objective == 1080  # bob's day uncovered (1000) + 8 h of unfairness (80)
    assert roster.total_missing == 1
    monkeypatch.setattr("solver.pipeline.MOVES", True)  # single moves then fill bob's day
    roster, _ = plan_roster(problem, SolveParams(time_limit=1, hint=given))
    assert roster.objective == 0 and roster.stats["moves"] == 1


def test_pipeline_refuses_a_roster_the_checker_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import solver.pipeline
    import solver.solve
    from scheduler.checker import RosterInvalid
    from solver.pipeline import plan_roster
    from solver.types import Solution

    problem = compile_plan(plan_from_dict(_unique_solution_config()))
    # bob is not available on the first day: a solver bug that must not be published;
    # nor may the hand rosters that would replace it (tests/solver/test_pipeline.py),
    # broken the same way here
    bad = Solution(Status.optimal, 0, 0, ((0, 1), (1, 1)), 0.01)
    monkeypatch.setattr(solver.solve, "solve", lambda p, params: bad)
    broken_hand = [(0, "greedy", frozenset(bad.assignments))]
    monkeypatch.setattr(solver.pipeline, "hand_rosters", lambda p, hint: broken_hand)
    with pytest.raises(RosterInvalid):
        plan_roster(problem, SolveParams(time_limit=1))

    config = _write(tmp_path, _unique_solution_config())
    result = _plan(config, tmp_path / "out")
    assert result.exit_code == 1
    assert "failed the independent check, nothing written" in result.stderr
    assert not (tmp_path / "out").exists()


def test_progress_lines_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from rota.cli.plan import ProgressView, gap_percent
    from solver.types import Progress

    view = ProgressView(live=False)
    view(Progress(seconds=0.1, objective=1200.0, bound=1000.0))
    view(Progress(seconds=0.2, objective=1100.0, bound=1000.0))  # within 1 s: not printed
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    assert "best 1200" in lines[0] and "bound 1000" in lines[0] and "gap 16.7%" in lines[0]
    assert (view.objective, view.bound) == (1100.0, 1000.0)  # the live line shows the latest
    assert "best 1100" in view.line()
    assert gap_percent(0, 0) == 0.0 and gap_percent(None, 3) is None
    assert gap_percent(200, -5000) == 100.0 and gap_percent(200, 150) == 25.0

    live = ProgressView(live=True)
    live(Progress(seconds=0.1, objective=5.0, bound=5.0))
    assert capsys.readouterr().err == ""  # rich redraws the line itself
    assert "gap 0.0%" in str(live.__rich__())


def test_pipeline_checks_replanning_against_previous() -> None:
    from solver.pipeline import plan_roster, previous_keys

    problem = compile_plan(plan_from_dict(_unique_solution_config()))
    params = SolveParams(time_limit=5, workers=1, previous=frozenset({(0, 0)}))
    assert previous_keys(problem, params) == {("ann", "gate", "day", "2020-01-29T08:00:00+08:00")}
    roster, solution = plan_roster(problem, params, version=2)
    # keeping ann and adding bob costs one change (200): cheaper than leaving a gap;
    # the checker recomputed that change cost from the previous pairs it was given
    assert roster.status is Status.optimal and roster.objective == 200
    assert len(solution.assignments) == 2 and roster.version == 2


def _fake_solve(monkeypatch: pytest.MonkeyPatch, solution: Any) -> None:
    import solver.solve

    monkeypatch.setattr(solver.solve, "solve", lambda problem, params: solution)


def test_greedy_roster_when_cp_sat_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from solver.pipeline import plan_roster
    from solver.types import Solution

    _fake_solve(monkeypatch, Solution(Status.unknown, None, None, (), 5.0))
    problem = compile_plan(plan_from_dict(_unique_solution_config()))
    roster, solution = plan_roster(problem, SolveParams(time_limit=5))
    # no shortfall is unavoidable here (floor bound 0) and the greedy roster costs 0
    assert roster.status is Status.optimal and solution.status is Status.feasible
    assert roster.stats["roster_source"] == "greedy"
    assert roster.stats["cp_sat_result"] == "unknown"
    assert len(roster.assignments) == 2 and roster.objective == roster.bound == 0

    config = _write(tmp_path, _unique_solution_config())
    result = _plan(config, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "hand-method (greedy) roster" in result.stdout
    assert (tmp_path / "out" / "calendars" / "ann.ics").exists()


def test_greedy_roster_when_cp_sat_is_worse(monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.pipeline import plan_roster
    from solver.types import Solution

    # CP-SAT "found" the empty roster (2 uncovered shifts): the greedy one covers both
    _fake_solve(monkeypatch, Solution(Status.feasible, 2000, 0, (), 5.0))
    problem = compile_plan(plan_from_dict(_unique_solution_config()))
    roster, _ = plan_roster(problem, SolveParams(time_limit=5))
    assert roster.stats["roster_source"] == "greedy" and roster.objective == 0
    assert roster.bound == 0 and roster.total_missing == 0


def test_no_greedy_substitute_when_replanning_or_infeasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from solver.pipeline import plan_roster
    from solver.types import Solution

    problem = compile_plan(plan_from_dict(_unique_solution_config()))
    _fake_solve(monkeypatch, Solution(Status.unknown, None, None, (), 5.0))
    roster, _ = plan_roster(problem, SolveParams(time_limit=5, fixed=frozenset({(0, 0)})))
    assert roster.status is Status.unknown and roster.assignments == ()
    assert roster.explanation == "the time limit (5 s) ran out before any roster was found"
    roster, _ = plan_roster(problem, SolveParams(time_limit=5, hint=frozenset({(0, 0)})))
    assert roster.status is Status.unknown  # a caller's own hint is not substituted
    _fake_solve(monkeypatch, Solution(Status.infeasible, None, None, (), 1.0, explanation="x"))
    roster, _ = plan_roster(problem, SolveParams(time_limit=5))
    assert roster.status is Status.infeasible and roster.explanation == "x"


def _day_rules_config() -> dict[str, Any]:
    """Rules only on each volunteer's sequence of days, no fairness or team term: the row
    methods (column generation, sweeps, LNS) plan it."""
    return tiny_config(
        horizon={"start": "2020-01-27", "days": 14},
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2, "need_by_shift": {"night": 1}}],
        volunteers={"people": [{"id": f"v{i}", "max_shifts": "night=3"} for i in range(1, 9)]},
        rules={
            "max_shifts_per_day": 1,
            "max_consecutive_days": 5,
            "min_consecutive_days_off": 2,
            "max_weekends": 1,
            "forbidden_successions": [{"first": "night", "then": "day"}],
        },
        weights={"fairness": 0},
        requests=[{"volunteer": "v1", "date": "2020-01-29", "shift": "day", "want": "off",
                   "weight": 5}],
    )  # fmt: skip


def test_day_rule_plans_go_to_the_row_methods_and_pass_the_checker(tmp_path: Path) -> None:
    from solver.pipeline import plan_roster, rows_apply

    problem = compile_plan(plan_from_dict(_day_rules_config()))
    params = SolveParams(time_limit=5, workers=1)
    assert rows_apply(problem, params)
    roster, solution = plan_roster(problem, params)  # raises unless the checker passes it
    assert solution.stats["method"] == "lns" and roster.status in (Status.optimal, Status.feasible)
    assert roster.bound is not None and roster.bound <= roster.objective
    result = _plan(_write(tmp_path, _day_rules_config()), tmp_path / "out")
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "roster.json").read_text())
    assert written["objective"] == roster.objective or written["status"] == "feasible"


def test_fairness_keeps_plans_on_the_full_model() -> None:
    from solver.pipeline import rows_apply

    cfg = _day_rules_config()
    cfg["weights"] = {"fairness": 10}
    assert not rows_apply(compile_plan(plan_from_dict(cfg)), SolveParams())


def test_cheapest_first_hand_roster_when_cp_sat_finds_none(monkeypatch: pytest.MonkeyPatch) -> None:
    from solver.pipeline import CHEAPEST_FIRST, plan_roster
    from solver.types import Solution

    # one day shift needing 1; Ann lives 11 km away, Bob next door: the hand method takes
    # the first least-used volunteer (Ann), cheapest-first takes Bob (no shortfall either)
    config = tiny_config(
        shift_patterns={"days": [{"name": "day", "start": "08:00", "hours": 8}]},
        sites=[{"id": "gate", "pattern": "days", "need": 1,
                "location": {"lat": 31.0, "lon": 121.0}}],
        horizon={"start": "2020-01-29", "days": 1},
        weights={"uncovered": 100, "travel_km": 1, "fairness": 0, "team_split": 0},
        volunteers={"people": [{"id": "ann", "lat": 31.1, "lon": 121.0},
                               {"id": "bob", "lat": 31.0, "lon": 121.0}]},
    )  # fmt: skip
    _fake_solve(monkeypatch, Solution(Status.unknown, None, None, (), 5.0))
    problem = compile_plan(plan_from_dict(config))
    roster, _ = plan_roster(problem, SolveParams(time_limit=5))
    assert roster.stats["roster_source"] == CHEAPEST_FIRST
    assert [a.volunteer for a in roster.assignments] == ["bob"]
    assert roster.objective == 0 and roster.total_missing == 0

    # when CP-SAT's roster is as cheap, it stands
    _fake_solve(monkeypatch, Solution(Status.feasible, 0, None, roster_pairs(problem, "bob"), 5.0))
    roster, _ = plan_roster(problem, SolveParams(time_limit=5))
    assert roster.stats["roster_source"] == "cp-sat"


def roster_pairs(problem, volunteer: str) -> tuple[tuple[int, int], ...]:
    v = problem.volunteer_index[volunteer]
    return tuple((o, v) for o in range(len(problem.occurrences)))


def test_the_solver_gets_what_loading_and_writing_leave_of_the_limit() -> None:
    from rota.cli import plan as plan_cli

    problem = compile_plan(plan_from_dict(tiny_config()))
    need = sum(o.need for o in problem.occurrences)
    per_need, per_volunteer = plan_cli.EXPORT_SECONDS
    reserve = plan_cli.RUN_RESERVE + per_need * need + per_volunteer * len(problem.volunteers)
    assert plan_cli.solver_budget(problem, 30.0, 2.0) == pytest.approx(30.0 - 2.0 - reserve)
    # a limit too short for the reserve still leaves the solver a moment, never more
    # than the limit itself
    assert plan_cli.solver_budget(problem, 1.0, 0.9) == plan_cli.MIN_SOLVE
    assert plan_cli.solver_budget(problem, 0.2, 0.1) == 0.2


def test_the_budget_counts_from_the_process_start() -> None:
    import subprocess
    import sys

    from rota.cli import plan as plan_cli
    from rota.cli.plan import _seconds_since_process_start

    # a fresh process counts its start-up; a long-running one (this test run, once past
    # MAX_STARTUP_SECONDS) is not charged for it
    since = _seconds_since_process_start()
    assert 0 <= since <= plan_cli.MAX_STARTUP_SECONDS
    fresh = subprocess.run(
        [sys.executable, "-c", "from rota.cli.plan import _seconds_since_process_start as f;"
         "print(f())"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert 0 < float(fresh.stdout) < plan_cli.MAX_STARTUP_SECONDS


def test_city_scale_counted_from_the_recipe_before_its_csv_exists(tmp_path: Path) -> None:
    """A fresh checkout has no generated CSV yet: the recipe's pools say how many there are."""
    from rota.cli.plan import _is_city_scale

    def config(generate: dict[str, Any]) -> Path:
        path = tmp_path / f"c{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text(yaml.safe_dump({"volunteers": {"csv": "gen/v.csv", "generate": generate}}))
        return path

    assert _is_city_scale(config({"seed": 1, "pools": [{"count": 3000}, {"count": 2500}]}))
    assert not _is_city_scale(config({"seed": 1, "pools": [{"count": 3000}, {"id_prefix": "x"}]}))
    assert _is_city_scale(config({"seed": 1, "count": 5000}))
    assert not _is_city_scale(config({"seed": 1, "count": 4999}))
