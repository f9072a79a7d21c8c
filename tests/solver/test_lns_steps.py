"""solver.lns_steps: neighbourhood draws and the kinds' shares of the steps."""

from __future__ import annotations

import random

import pytest

from solver.lns import WINDOW_SHARE
from solver.lns_steps import SHARE_RANGE, kind_shares, pick_kind, targeted
from tests.solver.support import INSTANCE2

pytestmark = pytest.mark.skipif(not INSTANCE2.exists(), reason="benchmark files not present")


def test_targeted_staff_come_from_the_pool_and_favour_short_slots(instance2):
    _, problem = instance2
    roster = {(o, v) for o, v in [(occ.index, 0) for occ in problem.occurrences][:3]}
    window = range(7, 14)  # three pairs in the first days: every slot of week 2 is short
    short = {
        v for occ in problem.occurrences if occ.day in window and occ.need
        for v in problem.eligible[occ.index]
    }  # fmt: skip
    pool = [v for v in range(len(problem.volunteers)) if v % 2 == 0]
    assert short & set(pool)
    for seed in range(5):
        got = targeted(problem, roster, window, pool, 4, random.Random(seed))
        assert len(got) == len(set(got)) == 4 and set(got) <= set(pool)
        assert set(got) & short


def test_window_share_follows_the_cost_saved_per_second_within_its_range():
    def window_share(rate: dict[str, float]) -> float:
        return kind_shares(rate, {"rows": 1 - WINDOW_SHARE, "window": WINDOW_SHARE})["window"]

    assert window_share({"rows": 1.0, "window": 3.0}) == pytest.approx(0.75)
    assert window_share({"rows": 3.0, "window": 1.0}) == pytest.approx(0.25)
    assert window_share({"rows": 0.0, "window": 5.0}) == SHARE_RANGE[1]
    assert window_share({"rows": 5.0, "window": 0.0}) == SHARE_RANGE[0]
    assert window_share({"rows": 0.0, "window": 0.0}) == WINDOW_SHARE


def test_three_kinds_share_the_steps_by_cost_saved_each_above_its_floor():
    initial = {"rows": 0.25, "window": 0.5, "weekend": 0.25}
    assert kind_shares({"rows": 0.0, "window": 0.0, "weekend": 0.0}, initial) == initial
    got = kind_shares({"rows": 1.0, "window": 2.0, "weekend": 1.0}, initial)
    assert got == pytest.approx({"rows": 0.25, "window": 0.5, "weekend": 0.25})
    got = kind_shares({"rows": 0.0, "window": 9.0, "weekend": 2.0}, initial)
    floor = SHARE_RANGE[0] * 2 / 3  # rows saved nothing: kept at the floor, then rescaled
    scale = floor + 9 / 11 + 2 / 11
    assert got == pytest.approx({"rows": floor / scale, "window": 9 / 11 / scale,
                                 "weekend": 2 / 11 / scale})  # fmt: skip
    assert [pick_kind(initial, u) for u in (0.1, 0.6, 0.9)] == ["window", "weekend", "rows"]
    assert pick_kind({"rows": 1.0}, 0.99) == "rows"
    four = {"rows": 0.2, "window": 0.4, "weekend": 0.2, "sweep": 0.2}
    got = [pick_kind(four, u) for u in (0.3, 0.5, 0.7, 0.9)]
    assert got == ["window", "weekend", "sweep", "rows"]
