"""The model against brute force: on tiny random plans, CP-SAT's optimum is the cheapest
roster the independent checker accepts, among all subsets of eligible pairs.

Each plan mixes several hard families (rest, day/week hours, consecutive runs, nights,
weekends, successions, shift caps, minimum totals) with every soft term, so a missing
or over-strict constraint, or a mispriced term, shows up as a different optimum.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from scheduler.build import build_roster
from scheduler.checker import check_roster
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.solve import solve
from solver.types import SolveParams
from tests.solver.support import problem

MAX_PAIRS = 12


def _random_plan(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    shifts = [
        {"name": "early", "start": "06:00", "hours": 8},
        {"name": "late", "start": "14:00", "hours": 8},
        {"name": "night", "start": "22:00", "hours": 8},
    ]
    pattern = rng.sample(shifts, 2)
    first, then = pattern[1]["name"], pattern[0]["name"]
    rules = {
        "min_rest_hours": rng.choice([None, 8, 12]),
        "max_hours_per_week": rng.choice([None, 16, 24]),
        "max_consecutive_days": rng.choice([None, 1, 2]),
        "min_consecutive_days": rng.choice([None, 2]),
        "min_consecutive_days_off": rng.choice([None, 2]),
        "max_night_shifts_per_week": rng.choice([None, 1]),
        "max_weekends": rng.choice([None, 0, 1]),
        "max_shifts": rng.choice([{}, {first: 1}]),
        "forbidden_successions": rng.choice([[], [{"first": first, "then": then}]]),
        "max_shifts_per_day": rng.choice([None, 1]),
        "min_hours_total": rng.choice([None, None, 8, 16]),
    }
    people = [
        {"id": "a", "team": "t", "skills": "medic", "lat": 31.01, "lon": 121.0},
        {"id": "b", "team": "t", "prefers": "s", "lat": 31.05, "lon": 121.0,
         "unavailable": rng.choice(["2020-01-31T00:00/2020-02-01T00:00",
                                    "2020-02-01T00:00/2020-02-02T00:00"])},
        {"id": "c", "night_ok": rng.choice([True, False]),
         "available": "2020-02-02T00:00/2020-02-03T00:00"},
    ]  # fmt: skip
    return {
        "horizon": {"start": "2020-01-31", "days": 3},  # Fri..Sun: a weekend at the end
        "shift_patterns": {"p": pattern},
        "sites": [
            {"id": "s", "pattern": "p", "need": rng.choice([1, 2]), "priority": 2,
             "require": {"medic": 1}, "location": {"lat": 31.0, "lon": 121.0}},
        ],
        "rules": {k: v for k, v in rules.items() if v not in (None, {}, [])},
        "weights": {"uncovered": 100, "missing_skill": 30, "fairness": 2,
                    "over_cover": rng.choice([None, 7])},
        "volunteers": {"people": people},
        "requests": [{"volunteer": "c", "date": "2020-02-02", "shift": pattern[0]["name"],
                      "want": "on", "weight": 9},
                     {"volunteer": "a", "date": "2020-01-31", "shift": pattern[1]["name"],
                      "want": "off", "weight": 4}],
    }  # fmt: skip


def _brute_force(p) -> float:
    pairs = [(o, v) for o, vols in enumerate(p.eligible) for v in vols]
    best = float("inf")
    for r in range(len(pairs) + 1):
        for subset in itertools.combinations(pairs, r):
            roster = build_roster(p, status=Status.feasible, objective=0, bound=0, pairs=subset)
            report = check_roster(p, roster)
            hard = [x for x in report.violations if not x.startswith("objective")]
            if not hard and report.objective is not None:
                best = min(best, report.objective)
    return best


def small_random_problem(seed: int) -> Problem:
    """The first of the plans seeded ``seed * 100``, ``seed * 100 + 1``, ... small enough
    to enumerate (4 to MAX_PAIRS pairs)."""
    for attempt in range(50):
        cand = problem(**_random_plan(seed * 100 + attempt))
        if 4 <= cand.n_pairs <= MAX_PAIRS:
            return cand
    raise AssertionError(f"no plan of 4 to {MAX_PAIRS} pairs from seed {seed}")


@pytest.mark.parametrize("seed", range(10))
def test_optimum_equals_brute_force(seed: int) -> None:
    p = small_random_problem(seed)
    sol = solve(p, SolveParams(time_limit=5, workers=1))
    best = _brute_force(p)
    if best == float("inf"):
        assert sol.status is Status.infeasible
    else:
        assert sol.status is Status.optimal
        assert sol.objective == pytest.approx(best)
