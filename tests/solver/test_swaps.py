"""swaps: exchanges and replacements after the search, kept only when they lower the exact
cost and every hard rule still holds; the vectorised deltas equal the exact cost change."""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.build import build_roster
from scheduler.checker import assert_valid
from scheduler.cost import total_cost
from scheduler.greedy import greedy
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.swaps import _replace_deltas, _State, _swap_deltas, improve_by_swaps
from tests.solver.support import problem

NEAR = {"lat": 31.20, "lon": 121.40}
FAR = {"lat": 31.20, "lon": 121.60}  # ~19 km east of NEAR


def _two_sites(**overrides: Any) -> Problem:
    """Two sites 19 km apart, one 8 h day shift each, one day; each volunteer lives at one."""
    cfg: dict[str, Any] = {
        "shift_patterns": {"one": [{"name": "day", "start": "08:00", "hours": 8}]},
        "horizon": {"start": "2020-01-29", "days": 1},
        "sites": [
            {"id": "near", "pattern": "one", "need": 1, "location": NEAR},
            {"id": "far", "pattern": "one", "need": 1, "location": FAR},
        ],
        "volunteers": {
            "people": [
                {"id": "a", "lat": NEAR["lat"], "lon": NEAR["lon"]},
                {"id": "b", "lat": FAR["lat"], "lon": FAR["lon"]},
            ]
        },
        "weights": {"fairness": 0},
    }
    cfg.update(overrides)
    return problem(**cfg)


def _crossed(p: Problem) -> frozenset[tuple[int, int]]:
    """Everyone at the other site from home."""
    occ = {o.site: o.index for o in p.occurrences}
    return frozenset({(occ["far"], 0), (occ["near"], 1)})


def _check(p: Problem, pairs: frozenset[tuple[int, int]]) -> None:
    roster = build_roster(
        p, status=Status.feasible, objective=total_cost(p, pairs), bound=None,
        pairs=tuple(sorted(pairs)), version=1, explanation=None, stats={},
    )  # fmt: skip
    assert_valid(p, roster)


def test_two_people_trade_sites_when_both_travel_less() -> None:
    p = _two_sites()
    start = _crossed(p)
    swapped, n = improve_by_swaps(p, start, time.monotonic() + 5)
    assert n == 1
    assert total_cost(p, swapped) == total_cost(p, start) - 2 * 19
    assert {p.volunteers[v].id: p.occurrences[o].site for o, v in swapped} == {
        "a": "near",
        "b": "far",
    }
    _check(p, swapped)


def test_no_swap_that_breaks_a_hard_rule() -> None:
    # b may not work at `near` (unavailable then): the only cheaper roster is out of reach
    b = {"id": "b", **{"lat": FAR["lat"], "lon": FAR["lon"]},
         "unavailable": "2020-01-29T00:00/2020-01-30T00:00"}  # fmt: skip
    a = {"id": "a", "lat": NEAR["lat"], "lon": NEAR["lon"]}
    p = _two_sites(volunteers={"people": [a, b]})
    occ = {o.site: o.index for o in p.occurrences}
    start = frozenset({(occ["far"], 0)})
    same, n = improve_by_swaps(p, start, time.monotonic() + 5)
    assert n == 0 and same == start


def test_a_free_volunteer_takes_over_a_far_shift() -> None:
    c = {"id": "c", "lat": FAR["lat"], "lon": FAR["lon"]}
    p = _two_sites(volunteers={"people": [{"id": "a", **NEAR}, c]})
    occ = {o.site: o.index for o in p.occurrences}
    start = frozenset({(occ["far"], 0), (occ["near"], 1)})
    better, n = improve_by_swaps(p, start, time.monotonic() + 5)
    assert n >= 1 and total_cost(p, better) < total_cost(p, start)
    _check(p, better)


def _random_problem(seed: int) -> Problem:
    rng = random.Random(seed)
    sites = [
        {
            "id": f"s{k}",
            "pattern": "three-8h",
            "need": rng.randint(1, 3),
            "location": {"lat": 31.2 + rng.random() / 10, "lon": 121.4 + rng.random() / 10},
            "require": {"medic": rng.randint(0, 2), "lang": rng.randint(0, 1)},
        }
        for k in range(3)
    ]
    people = [
        {
            "id": f"v{i}",
            "team": rng.choice(["", "t1", "t2", "t3", "solo"]) if i else "solo",
            "skills": ";".join(s for s in ("medic", "lang") if rng.random() < 0.4),
            "lat": 31.2 + rng.random() / 10,
            "lon": 121.4 + rng.random() / 10,
            "prefers": rng.choice(["", "s0", "s1;s2"]),
        }
        for i in range(14)
    ]
    for person in people:
        if not person["team"]:
            del person["team"]
    return problem(
        sites=sites,
        volunteers={"people": people},
        horizon={"start": "2020-01-29", "days": 2},
        weights={"fairness": rng.choice([0, 10]), "team_split": 3, "preference": 5},
    )


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_vectorised_deltas_equal_the_exact_cost_change(seed: int) -> None:
    p = _random_problem(seed)
    pairs = set(greedy(p))
    state = _State(p, pairs)
    base = total_cost(p, pairs)
    sw = _swap_deltas(state)
    rp, _ = _replace_deltas(state)
    ao, av = state.ao, state.av
    rng = random.Random(seed)

    def some(mask: np.ndarray) -> list[tuple[int, int]]:  # up to 150 allowed moves
        cells = list(zip(*np.nonzero(mask), strict=True))
        return rng.sample(cells, min(150, len(cells)))

    for i, j in some(np.isfinite(sw)):
        moved = pairs - {(ao[i], av[i]), (ao[j], av[j])} | {(ao[j], av[i]), (ao[i], av[j])}
        assert abs(total_cost(p, moved) - base - sw[i, j]) < 1e-6, ("swap", i, j)
    for i, w in some(np.isfinite(rp)):
        moved = pairs - {(ao[i], av[i])} | {(ao[i], w)}
        assert abs(total_cost(p, moved) - base - rp[i, w]) < 1e-6, ("replace", i, w)


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=10_000))
def test_swapped_rosters_pass_the_checker_and_cost_less(seed: int) -> None:
    p = _random_problem(seed)
    start = frozenset(greedy(p))
    better, n = improve_by_swaps(p, start, time.monotonic() + 5)
    if n:
        assert total_cost(p, better) < total_cost(p, start)
    else:
        assert better == start
    _check(p, better)
