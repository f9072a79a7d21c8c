"""solver.lns_weekends: rows drawn for a short weekend take both ends of the chain."""

from __future__ import annotations

import dataclasses
import random

import pytest

from scheduler.loading import plan_from_dict
from scheduler.nrp import load_nrp
from scheduler.problem import Problem, compile_plan
from solver.lns_weekends import capped, weekend_staff, weekends
from tests.conftest import tiny_config
from tests.solver.support import INSTANCE2

pytestmark = pytest.mark.skipif(not INSTANCE2.exists(), reason="benchmark files not present")


@pytest.fixture(scope="module")
def nrp2() -> Problem:
    """Curtois & Qu Instance2: 14 days from a Monday, 8 staff, 1 weekend each at most."""
    return compile_plan(load_nrp(INSTANCE2)[1])


def _occurrence(problem: Problem, day: int, shift: str) -> int:
    (occ,) = [o.index for o in problem.occurrences if o.day == day and o.shift == shift]
    return occ


def _full_but(problem: Problem, roomy: set[int]) -> Problem:
    """Everyone outside ``roomy`` already at their maximum total minutes (0)."""
    limits = tuple(
        lim if v in roomy else dataclasses.replace(lim, max_total_minutes=0)
        for v, lim in enumerate(problem.limits)
    )
    return dataclasses.replace(problem, limits=limits)


def _tiny() -> Problem:

    return compile_plan(plan_from_dict(tiny_config()))


def test_weekends_of_instance2_are_capped_and_found(nrp2: Problem) -> None:
    assert capped(nrp2)
    assert weekends(nrp2) == [(5, 6), (12, 13)]
    assert not capped(_tiny())


def test_someone_on_one_day_of_a_short_weekend_and_someone_with_room(nrp2: Problem) -> None:
    sat = _occurrence(nrp2, 5, "E")
    a = nrp2.eligible[sat][0]  # works Saturday; Sunday is short of everyone
    assert a in nrp2.eligible[_occurrence(nrp2, 6, "E")]
    d = next(v for v in range(len(nrp2.volunteers)) if v != a)
    problem = _full_but(nrp2, {a, d})  # d alone has minutes to spare besides a
    for seed in range(5):
        got = weekend_staff(problem, {(sat, a)}, list(range(len(nrp2.volunteers))), 2,
                            random.Random(seed))  # fmt: skip
        assert got == sorted([a, d])


def test_without_a_short_weekend_the_spare_come_first(nrp2: Problem) -> None:
    # every weekend slot staffed to its need: no chain to draw for
    roster: set[tuple[int, int]] = set()
    for occ in nrp2.occurrences:
        if occ.day in (5, 6, 12, 13):
            roster |= {(occ.index, v) for v in nrp2.eligible[occ.index][: occ.need]}
    d = 3
    problem = _full_but(nrp2, {d})
    pool = list(range(len(nrp2.volunteers)))
    for seed in range(5):
        got = weekend_staff(problem, roster, pool, 3, random.Random(seed))
        assert len(got) == len(set(got)) == 3 and set(got) <= set(pool) and d in got


def test_draws_stay_in_the_pool(nrp2: Problem) -> None:
    sat = _occurrence(nrp2, 5, "L")
    roster = {(sat, v) for v in nrp2.eligible[sat][:3]}
    pool = [v for v in range(len(nrp2.volunteers)) if v % 2 == 1]
    for seed in range(10):
        got = weekend_staff(nrp2, roster, pool, 3, random.Random(seed))
        assert len(got) == len(set(got)) == 3 and set(got) <= set(pool)
