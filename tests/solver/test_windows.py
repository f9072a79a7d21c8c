"""Day windows (solver/windows.py): each window's sub-problem holds every pair of its days
and only the roster's pairs elsewhere; the sweep keeps only cheaper rosters and stops
after a whole round that lowered nothing, or at its deadline."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.model import build_model
from solver.restrict import restricted
from solver.solve import solve_context
from solver.types import Pair, Solution, SolveParams
from solver.windows import sweep, windows
from tests.solver.support import checked, problem, run

DAY = {"one": [{"name": "day", "start": "08:00", "hours": 8}]}


def _days(n: int, **overrides: Any) -> Problem:
    """One site, one 8 h day shift needing 2 on each of ``n`` days; a team of two (a, b)
    and two others (c, d); only the team term costs."""
    cfg: dict[str, Any] = {
        "shift_patterns": DAY,
        "horizon": {"start": "2020-01-29", "days": n},
        "sites": [{"id": "gate", "pattern": "one", "need": 2}],
        "volunteers": {"people": [
            {"id": "a", "team": "t1"}, {"id": "b", "team": "t1"}, {"id": "c"}, {"id": "d"},
        ]},
        "weights": {"uncovered": 1000, "fairness": 0, "team_split": 2},
    }  # fmt: skip
    cfg.update(overrides)
    return problem(**cfg)


def _solution(p: Problem, pairs: frozenset[Pair]) -> Solution:
    return Solution(Status.feasible, total_cost(p, pairs), None, tuple(sorted(pairs)), 0.0)


def _cp_sat(p: Problem) -> Any:
    """A ``solve_on`` by CP-SAT on the pairs given (no fixed top load: fairness 0)."""

    def solve_on(pairs: frozenset[Pair], roster: frozenset[Pair], seconds: float) -> Solution:
        sub = restricted(p, lambda o, v: (o, v) in pairs)
        ctx = build_model(sub, SolveParams(time_limit=seconds, workers=1, hint=roster))
        return solve_context(ctx, seconds)

    return solve_on


def _split(p: Problem) -> frozenset[Pair]:
    """Each teammate alone every day: a with c, b with d (cost 2 x 2 a day)."""
    vid = {v.id: i for i, v in enumerate(p.volunteers)}
    out: set[Pair] = set()
    for o, occ in enumerate(p.occurrences):
        pair = ("a", "c") if occ.day % 2 == 0 else ("b", "d")
        out.update((o, vid[x]) for x in pair)
    return frozenset(out)


def test_windows_cover_consecutive_days_with_every_pair_of_them() -> None:
    p = _days(4)
    found = windows(p, days=2)
    assert len(found) == 3  # days 0-1, 1-2, 2-3
    for start, pairs in enumerate(found):
        want = {
            (o, v) for o, vols in enumerate(p.eligible) for v in vols
            if p.occurrences[o].day in (start, start + 1)
        }  # fmt: skip
        assert pairs == want


def test_no_windows_when_the_horizon_is_one_window() -> None:
    assert windows(_days(2), days=2) == []
    assert windows(_days(3), days=2) != []


def test_sweep_lowers_the_cost_and_outside_its_window_keeps_the_roster() -> None:
    p = _days(4)
    start = _split(p)
    seen: list[tuple[frozenset[Pair], frozenset[Pair]]] = []
    solve = _cp_sat(p)

    def recording(pairs: frozenset[Pair], roster: frozenset[Pair], seconds: float) -> Solution:
        seen.append((pairs, roster))
        return solve(pairs, roster, seconds)

    best, solved, improved = sweep(p, _solution(p, start), recording, time.monotonic() + 20)
    assert total_cost(p, start) == 8  # four days, a lone teammate on each
    assert best.objective == 0 == total_cost(p, best.assignments)  # a and b together, or neither
    assert improved >= 1 and solved == len(seen) >= improved + len(windows(p))
    window_pairs = windows(p)
    for k, (pairs, roster) in enumerate(seen):
        assert pairs - window_pairs[k % len(window_pairs)] <= roster
    checked(p, best)


def test_sweep_keeps_only_cheaper_rosters_and_stops_after_a_round_without_one() -> None:
    p = _days(5)
    start = _solution(p, _split(p))
    n = len(windows(p))
    costs = iter([start.objective - 1] + [start.objective + 5] * 50)
    calls = []

    def fake(pairs: frozenset[Pair], roster: frozenset[Pair], seconds: float) -> Solution:
        calls.append(roster)
        return dataclasses.replace(start, objective=next(costs))

    best, solved, improved = sweep(p, start, fake, time.monotonic() + 20)
    assert best.objective == start.objective - 1  # the dearer ones were not taken
    assert (solved, improved, len(calls)) == (1 + n, 1, 1 + n)


def test_sweep_stops_at_its_deadline() -> None:
    p = _days(5)
    start = _solution(p, _split(p))
    assert sweep(p, start, _cp_sat(p), time.monotonic())[1:] == (0, 0)


def test_guided_search_runs_windows_and_its_roster_passes_the_checker(
    guided_always: None,
) -> None:
    p = _days(6, volunteers={"people": [
        {"id": f"v{i}", "team": f"t{i % 3}", "lat": 31.0 + 0.01 * i, "lon": 121.0}
        for i in range(9)
    ]}, sites=[{"id": "gate", "pattern": "one", "need": 3,
                "location": {"lat": 31.0, "lon": 121.0}}],
       weights={"uncovered": 1000, "fairness": 10, "travel_km": 1, "team_split": 2},
       rules={"max_consecutive_days": 4})  # fmt: skip
    sol = run(p, time_limit=6, workers=2)
    assert sol.stats["method"] == "lp-guided"
    assert sol.stats["windows_solved"] >= len(windows(p))
    assert sol.objective <= sol.stats["windowed_objective"] <= sol.stats["restricted_objective"]


def test_windows_in_a_re_plan_keep_fixed_pairs_and_the_change_cap(guided_always: None) -> None:
    p = _days(5, weights={"uncovered": 1000, "fairness": 0, "team_split": 4, "change": 1})
    previous = _split(p)  # published: a teammate alone every day, 5 x 4
    vid = {v.id: i for i, v in enumerate(p.volunteers)}
    first = min(o for o, occ in enumerate(p.occurrences) if occ.day == 0)
    fixed = frozenset({(first, vid["a"])})
    sol = run(p, time_limit=6, workers=2, previous=previous, fixed=fixed, max_changes=4)
    assert sol.stats["windows_solved"] >= len(windows(p))
    assert fixed <= set(sol.assignments)
    # a day made whole costs two changes (2) and saves 4; the cap allows two such days
    assert len(set(sol.assignments) ^ previous) == 4
    assert sol.objective == total_cost(p, previous, previous) - 4 == 16
