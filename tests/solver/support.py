"""Helpers for the per-family solver tests: tiny problems, solve, check every roster."""

from __future__ import annotations

import datetime as dt
from typing import Any

from scheduler.build import build_roster
from scheduler.checker import assert_valid
from scheduler.cost import total_cost
from scheduler.loading import plan_from_dict
from scheduler.problem import Problem, compile_plan
from scheduler.roster import Status
from solver.solve import solve
from solver.types import Pair, Solution, SolveParams
from tests.conftest import nrp_data, tiny_config

PEOPLE = [{"id": f"v{i}"} for i in range(1, 5)]


def people(n: int, **fields: Any) -> list[dict[str, Any]]:
    """``n`` inline volunteers v1..vn sharing ``fields``."""
    return [{"id": f"v{i}", **fields} for i in range(1, n + 1)]


def problem(**overrides: Any) -> Problem:
    """The compiled problem of ``tiny_config(**overrides)``."""
    return compile_plan(plan_from_dict(tiny_config(**overrides)))


def run(p: Problem, **params: Any) -> Solution:
    """Solve ``p`` (<= 5 s, 1 worker unless given) and check the roster independently.

    Every roster that comes out goes through ``scheduler.checker.assert_valid`` (hard
    rules, shortfalls and the objective recomputed from the config alone); an optimal
    CP-SAT objective must equal the cost of its assignments.
    """
    params.setdefault("time_limit", 5.0)
    params.setdefault("workers", 1)
    sol = solve(p, SolveParams(**params))
    assert sol.status.has_roster, sol.explanation
    roster = build_roster(
        p,
        status=sol.status,
        objective=sol.objective,
        bound=sol.bound,
        pairs=sol.assignments,
        explanation=sol.explanation,
    )
    previous = params.get("previous")
    keys = None if previous is None else frozenset(prev_key(p, pr) for pr in previous)
    assert_valid(p, roster, previous=keys)
    assert sol.objective == total_cost(p, sol.assignments, params.get("previous"))
    if sol.status is Status.optimal:
        # LP-guided phases solve a restricted model with fairness' top load fixed at a
        # level the roster may stay below: their CP-SAT objective is an upper estimate
        if sol.stats.get("method") == "lp-guided":
            assert sol.stats["cp_sat_objective"] >= sol.objective
        else:
            assert sol.stats["cp_sat_objective"] == sol.objective
        assert sol.bound == sol.objective
    return sol


def checked(p: Problem, sol: Solution) -> Solution:
    """``sol`` after its roster passed ``scheduler.checker.assert_valid`` and its objective
    was found equal to the exact cost of its assignments."""
    roster = build_roster(p, status=sol.status, objective=sol.objective, bound=sol.bound,
                          pairs=sol.assignments)  # fmt: skip
    assert_valid(p, roster)
    assert sol.objective == total_cost(p, sol.assignments)
    return sol


def prev_key(p: Problem, pr: Pair) -> tuple[str, str, str, str]:
    """A pair as the checker names a published assignment (volunteer, site, shift, start)."""
    occ = p.occurrences[pr[0]]
    return (p.volunteers[pr[1]].id, occ.site, occ.shift, occ.start.isoformat())


def staff(p: Problem, sol: Solution) -> list[list[str]]:
    """Per occurrence: ids of the volunteers on it."""
    out: list[list[str]] = [[] for _ in p.occurrences]
    for o, v in sol.assignments:
        out[o].append(p.volunteers[v].id)
    return out


def shifts_of(p: Problem, sol: Solution, vid: str) -> list[int]:
    """Occurrence indices volunteer ``vid`` works, in time order."""
    v = p.volunteer_index[vid]
    return sorted((o for o, u in sol.assignments if u == v), key=lambda o: p.occurrences[o].start)


def days_worked(p: Problem, sol: Solution, vid: str) -> set[int]:
    return {p.occurrences[o].day for o in shifts_of(p, sol, vid)}


def shortfall(p: Problem, sol: Solution) -> int:
    n = [0] * len(p.occurrences)
    for o, _ in sol.assignments:
        n[o] += 1
    return sum(max(0, occ.need - n[occ.index]) for occ in p.occurrences)


def pair(p: Problem, site: str, shift: str, date: str, vid: str) -> Pair:
    """The (occurrence, volunteer) pair of a named shift on a local date."""
    day = dt.date.fromisoformat(date)
    for occ in p.occurrences:
        if occ.site == site and occ.shift == shift and occ.date == day:
            return (occ.index, p.volunteer_index[vid])
    raise KeyError((site, shift, date))


def one_shift(name: str = "day", start: str = "08:00", hours: float = 8) -> dict[str, Any]:
    return {"one": [{"name": name, "start": start, "hours": hours}]}


INSTANCE2 = nrp_data() / "instances" / "Instance2.txt"
"""Curtois & Qu Instance2: 14 days from a Monday, 8 staff, 2 shift types."""


def as_rows(inst: Any, problem: Problem, pairs: Any) -> dict[str, list[str]]:
    """A roster's pairs as the benchmark's rows: staff id -> shift id or "" per day."""
    rows = {s.id: [""] * inst.days for s in inst.staff}
    for o, v in pairs:
        rows[problem.volunteers[v].id][problem.occurrences[o].day] = problem.occurrences[o].shift
    return rows
