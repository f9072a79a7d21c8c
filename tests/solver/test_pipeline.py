"""plan_roster's last safety net: a solver roster the independent checker rejects."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rota.cli import cli
from scheduler.checker import RosterInvalid, check_roster
from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.types import Solution, SolveParams
from tests.solver.support import pair, problem

UNAVAILABLE = {"from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}


def _one_day() -> Problem:
    """One day of three 8 h shifts needing 1; v1 is away all day, v2-v4 are free."""
    return problem(
        horizon={"start": "2020-01-29", "days": 1},
        volunteers={"people": [{"id": "v1", "unavailable": [UNAVAILABLE]},
                               {"id": "v2"}, {"id": "v3"}, {"id": "v4"}]},
    )  # fmt: skip


def _broken(p: Problem) -> Solution:
    """A 'solver' roster with v1 on the day shift, where v1 is unavailable."""
    pairs = {
        pair(p, "exit-se", "night", "2020-01-29", "v2"),
        pair(p, "exit-se", "day", "2020-01-29", "v1"),
        pair(p, "exit-se", "evening", "2020-01-29", "v3"),
    }
    return Solution(Status.feasible, total_cost(p, pairs), None, tuple(sorted(pairs)), 0.1)


@pytest.fixture
def broken_solver(monkeypatch: pytest.MonkeyPatch) -> None:
    import solver.pipeline as pipeline
    import solver.solve as solve_module

    monkeypatch.setattr(solve_module, "solve", lambda problem, params: _broken(problem))
    for name in ("MOVES", "SWAPS", "POLISH"):  # nothing may repair it on the way
        monkeypatch.setattr(pipeline, name, False)
    monkeypatch.setattr(pipeline, "greedy_fallback", lambda *args: None)


@pytest.mark.usefixtures("broken_solver")
def test_a_rejected_solver_roster_gives_way_to_the_hand_roster() -> None:
    from solver.pipeline import plan_roster

    p = _one_day()
    roster, solution = plan_roster(p, SolveParams(time_limit=5, workers=1))
    assert check_roster(p, roster).ok
    assert roster.stats["roster_source"] == "greedy"
    assert "v1" in roster.stats["rejected_roster"]
    assert all(a.volunteer != "v1" for a in roster.assignments)
    assert roster.status.has_roster and solution.objective == roster.objective


@pytest.mark.usefixtures("broken_solver")
def test_no_rescue_when_replanning() -> None:
    # re-planning keeps previous pairs the hand method knows nothing of: the bug surfaces
    from solver.pipeline import plan_roster

    p = _one_day()
    previous = frozenset({pair(p, "exit-se", "night", "2020-01-29", "v2")})
    with pytest.raises(RosterInvalid):
        plan_roster(p, SolveParams(time_limit=5, workers=1, previous=previous))


@pytest.mark.usefixtures("broken_solver")
def test_rota_plan_warns_and_writes_the_hand_roster(tmp_path, monkeypatch) -> None:
    import rota.cli.plan as plan_cli

    monkeypatch.setattr(plan_cli, "_load", lambda config, parsed=None: _one_day())
    config = tmp_path / "plan.yaml"
    config.write_text("plan: x\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["plan", str(config), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert "failed the independent check" in result.stderr and "v1" in result.stderr
    assert (out / "roster.json").exists()
