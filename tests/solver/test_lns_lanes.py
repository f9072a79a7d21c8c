"""solver.lns_lanes: lanes weigh a late result on the roster as it is, and never share a
volunteer."""

from __future__ import annotations

import random
import time
from collections import Counter

import pytest

import solver.lns
import solver.lns_lanes
from scheduler.cost import total_cost
from scheduler.nrp_eval import evaluate
from solver.lns import construct
from solver.lns_lanes import Lanes, accept
from solver.lns_steps import Sizes
from solver.types import SolveParams
from tests.solver.support import INSTANCE2, as_rows

pytestmark = pytest.mark.skipif(not INSTANCE2.exists(), reason="benchmark files not present")


def _one_place(over_cover: int | None):
    """One shift on one day, needing one person, two volunteers who could take it."""
    from tests.solver.support import one_shift, problem

    return problem(
        shift_patterns=one_shift(), horizon={"start": "2020-01-29", "days": 1},
        weights={"fairness": 0, "over_cover": over_cover},
        sites=[{"id": "exit-se", "pattern": "one", "need": 1}],
    )  # fmt: skip


@pytest.mark.parametrize("over_cover", [None, 1])
def test_two_lanes_filling_the_same_gap_are_not_merged_above_need(over_cover):
    p = _one_place(over_cover)
    a, b = {(0, 0)}, {(0, 1)}  # each lane fills the one place, with its own volunteer
    jobs = [("rows", [0], None, 1), ("rows", [1], None, 2)]
    empty = float(total_cost(p, set()))
    results = [(r, True, empty - float(total_cost(p, r)), 0.1, 0.1) for r in (a, b)]
    count: Counter[str] = Counter()
    best, cost = accept(p, set(), empty, jobs, results, count)
    if over_cover is None:  # two on a shift that needs one: forbidden, whatever it costs
        assert best in (a, b) and cost == float(total_cost(p, best))
    else:  # allowed: the merge is weighed by its cost (one over-cover) and loses
        assert best in (a, b) and cost == float(total_cost(p, best)) == 0
    assert sum(count.values()) == 1


def _search(p, roster, rng_seed=1):
    sizes = Sizes(2.0, 2.0, 1.0, len(p.volunteers), 1)
    return Lanes(
        p, SolveParams(workers=2), set(roster), float(total_cost(p, roster)), time.monotonic(),
        None, None, sizes, {"rows": 1.0}, {"rows": 0.0}, Counter(), random.Random(rng_seed),
    )  # fmt: skip


@pytest.mark.parametrize("over_cover", [None, 1])
def test_a_lane_that_ends_after_the_roster_moved_is_weighed_on_the_roster_as_it_is(over_cover):
    p = _one_place(over_cover)
    empty = float(total_cost(p, set()))
    a, b = {(0, 0)}, {(0, 1)}  # each lane fills the one place, with its own volunteer
    search = _search(p, set())
    base = search.roster
    search._apply(("rows", [1], None, 2), base, 1.0, (b, True, empty, 0.1, 0.1))
    assert search.roster == b and search.cost == 0 == float(total_cost(p, b))
    # lane a started from the empty roster too: on the roster as it is now it over-covers
    search._apply(("rows", [0], None, 1), base, 1.0, (a, True, empty, 0.1, 0.1))
    assert search.roster == b and search.cost == 0
    assert search.count["rows"] == 2 and search.count["rows_better"] == 1


def test_a_lane_that_ends_after_the_roster_moved_keeps_the_other_lanes_change(instance2):
    inst, problem = instance2
    start = construct(problem, SolveParams(workers=1), time.monotonic() + 10)
    assert start is not None
    search = _search(problem, start)
    base = search.roster
    # lane 1 moved volunteer 0's row; lane 2 (volunteer 1) started before that
    row0 = {p for p in base if p[1] == 0}
    moved = (base - {min(row0)}) if row0 else base
    search.roster, search.cost = moved, float(total_cost(problem, moved))
    row1 = {p for p in base if p[1] == 1}
    changed = base - {min(row1)}  # lane 2 drops one of volunteer 1's shifts
    gain = float(total_cost(problem, base)) - float(total_cost(problem, changed))
    before = search.cost
    search._apply(("rows", [1], None, 3), base, 1.0, (changed, True, gain, 0.1, 0.1))
    merged = moved - {min(row1)}
    expect = float(total_cost(problem, merged))
    if expect <= before + 1e-9:  # kept: both changes, at the exact cost
        assert search.roster == merged and search.cost == pytest.approx(expect)
    else:  # dearer on the roster as it is now: not kept
        assert search.roster == moved and search.cost == before
    assert evaluate(inst, as_rows(inst, problem, search.roster)).objective == search.cost


def test_unsynchronised_lanes_never_share_a_volunteer(instance2, monkeypatch):
    import threading

    _, problem = instance2
    params = SolveParams(time_limit=1, workers=2, seed=1)
    start = construct(problem, params, time.monotonic() + 10)
    assert start is not None
    held: set[int] = set()
    lock = threading.Lock()
    clashes, runs = [], []

    def fake_run(problem, roster, params, limit, started, job):
        with lock:
            clashes.extend(set(job[1]) & held)
            held.update(job[1])
            runs.append(job[0])
        time.sleep(0.002 * (1 + len(runs) % 3))  # lanes end out of step
        with lock:
            held.difference_update(job[1])
        return None, False, 0.0, time.monotonic() - started, 0.0

    monkeypatch.setattr(solver.lns_lanes, "run_job", fake_run)
    stats: dict[str, object] = {}
    got = solver.lns._lns(problem, params, start, time.monotonic() + 0.5, None, stats)
    assert got == start and stats["lns_lanes"] == 2
    assert len(runs) > 20 and not clashes


def test_sweep_chance_matches_the_lock_steps_sweeps_per_neighbourhood():
    from solver.lns_lanes import sweep_chance

    assert sweep_chance({"rows": 1.0}, 2) == 0.0
    assert sweep_chance({"rows": 0.8, "sweep": 0.2}, 1) == pytest.approx(0.2)
    for s in (0.1, 0.25, 0.6):
        p = sweep_chance({"rows": 1 - s, "sweep": s}, 2)
        assert p / (1 - p) == pytest.approx(s / (2 * (1 - s)))  # lock step: s a pair


def test_unsynchronised_lanes_sweep_as_often_per_neighbourhood_as_the_lock_step(
    instance2, monkeypatch
):
    import solver.lns_steps

    _, problem = instance2
    params = SolveParams(time_limit=1, workers=2, seed=1)
    start = construct(problem, params, time.monotonic() + 10)
    assert start is not None
    runs, sweeps = [], []

    def fake_run(problem, roster, params, limit, started, job):
        runs.append(job[0])
        time.sleep(0.001)
        return None, False, 0.0, time.monotonic() - started, 0.0

    def fake_sweep(problem, roster, cost, spaces, params, deadline, rng, rate, count):
        sweeps.append(1)
        count["sweep"] += 1
        return roster, cost

    monkeypatch.setattr(solver.lns_lanes, "run_job", fake_run)
    monkeypatch.setattr(solver.lns_lanes, "sweep_step", fake_sweep)
    monkeypatch.setattr(solver.lns_steps, "ADAPTIVE", False)  # the sweep share stays put
    stats: dict[str, object] = {}
    solver.lns._lns(problem, params, start, time.monotonic() + 1.0, None, stats, [])
    s = solver.lns.SWEEP_SHARE
    assert stats["lns_sweep_share"] == s and len(runs) > 200
    # lock step: s / (2 (1 - s)) sweeps a neighbourhood (1/6 at 0.25); one draw per
    # lane start with the share itself would give s / (1 - s) (1/3)
    assert 0.12 < len(sweeps) / len(runs) < 0.22
