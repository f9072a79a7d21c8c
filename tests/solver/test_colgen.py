"""solver.colgen*: pricing is exact against brute force, penalised pricing keeps every
rule, column costs add up to the roster cost, the bound is below the optimum."""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import pytest

from scheduler.cost import total_cost
from scheduler.nrp import parse_text, to_plan
from scheduler.nrp_eval import evaluate
from scheduler.problem import Problem, compile_plan
from solver import colgen, colgen_price, colgen_search
from solver.colgen_master import RowCosts
from solver.colgen_price import PenaltyHint, price
from solver.colgen_rows import sweep_rows
from solver.colgen_space import Space, build_space, max_worked, minutes_band
from solver.lns_construct import construct_fast
from solver.lns_rules import row_violations
from solver.types import SolveParams
from tests.solver.support import as_rows


def nrp_text(rng: random.Random, days: int, staff: int) -> str:
    """A random small benchmark-format instance: 2-3 shift types, random rules per person."""
    shifts = [("D", rng.choice([480, 600]), ""),
              ("N", rng.choice([480, 720]), rng.choice(["D", "", "D|N"]))]  # fmt: skip
    if rng.random() < 0.4:
        shifts.append(("L", 480, rng.choice(["", "D"])))
    lines = []
    for i in range(staff):
        caps = "|".join(f"{s}={rng.choice([days, days, 2, 3, 0])}" for s, _, _ in shifts)
        most = rng.choice([days * 720, 4 * 480, 3 * 600])
        least = rng.choice([0, 480, 2 * 480, 3 * 480])
        runs = f"{rng.choice([2, 3, 4, 9])},{rng.choice([1, 2, 3])},{rng.choice([1, 2, 3])}"
        lines.append(f"{chr(65 + i)},{caps},{most},{least},{runs},{rng.choice([0, 1, 2])}")
    off = "\n".join(
        f"{chr(65 + i)},{rng.randrange(days)}" for i in range(staff) if rng.random() < 0.5
    )
    on = "\n".join(
        f"{chr(65 + rng.randrange(staff))},{rng.randrange(days)},{s},{rng.randint(1, 3)}"
        for s, _, _ in shifts if rng.random() < 0.5
    )  # fmt: skip
    cover = "\n".join(
        f"{d},{s},{rng.randint(0, 2)},100,1" for d in range(days) for s, _, _ in shifts
    )
    sh = "\n".join(f"{s},{m},{f}" for s, m, f in shifts)
    return (
        f"SECTION_HORIZON\n{days}\n\nSECTION_SHIFTS\n{sh}\n\nSECTION_STAFF\n" + "\n".join(lines)
        + f"\n\nSECTION_DAYS_OFF\n{off}\n\nSECTION_SHIFT_ON_REQUESTS\n{on}\n\n"
        "SECTION_SHIFT_OFF_REQUESTS\n\nSECTION_COVER\n" + cover + "\n"
    )  # fmt: skip


def tiny(seed: int, days: int = 7, staff: int = 1) -> tuple[object, Problem]:
    inst = parse_text(nrp_text(random.Random(seed), days, staff))
    return inst, compile_plan(to_plan(inst))


def all_rows(problem: Problem, v: int) -> list[list[int]]:
    """Every row of volunteer v that keeps v's rules (brute force)."""
    days = problem.config.horizon.days
    by_day = [[o for o in problem.by_volunteer[v] if problem.occurrences[o].day == d]
              for d in range(days)]  # fmt: skip
    rows = []
    for pick in itertools.product(*[[None, *os_] for os_ in by_day]):
        row = [o for o in pick if o is not None]
        if not row_violations(problem, v, row):
            rows.append(row)
    return rows


@pytest.mark.parametrize("seed", range(80))
def test_exact_pricing_finds_the_cheapest_row(seed: int):
    _, problem = tiny(seed, days=random.Random(seed).choice([5, 6, 7, 8]))
    sp = build_space(problem, 0, 150_000)
    assert sp.exact
    cost = {o: random.Random(seed + 1000 + o).uniform(-10, 5) for o in problem.by_volunteer[0]}
    got = price(sp, np.array([cost[o] for o in sp.occs]), extra=3)
    rows = all_rows(problem, 0)
    if not rows:
        assert got.row is None
        return
    best = min(sum(cost[o] for o in row) for row in rows)
    assert got.row is not None and not row_violations(problem, 0, list(got.row))
    assert got.cost == pytest.approx(sum(cost[o] for o in got.row))
    assert got.cost == pytest.approx(best) and got.relaxed == pytest.approx(best)
    for row, c in got.others:  # the extra rows keep the rules too
        assert not row_violations(problem, 0, list(row))
        assert c == pytest.approx(sum(cost[o] for o in row)) and c >= best - 1e-9


def _penalised(seed: int) -> tuple[Problem, Space, dict[int, float]]:
    """A tiny problem whose volunteer 0 has every rule priced by penalty, and costs."""
    _, problem = tiny(seed, days=random.Random(seed).choice([5, 6, 7, 8]))
    sp = build_space(problem, 0, 1)  # nothing fits: caps, weekends, minutes are penalised
    cost = {o: random.Random(seed + 7).uniform(-10, 5) for o in problem.by_volunteer[0]}
    return problem, sp, cost


@pytest.mark.parametrize("seed", range(40))
def test_penalised_pricing_keeps_every_rule_and_bounds_from_below(seed: int):
    problem, sp, cost = _penalised(seed)
    got = price(sp, np.array([cost[o] for o in sp.occs]))
    rows = all_rows(problem, 0)
    if rows:
        assert got.relaxed <= min(sum(cost[o] for o in row) for row in rows) + 1e-9
    if got.row is not None:
        assert rows and not row_violations(problem, 0, list(got.row))


def _high_hint(problem: Problem, share: float = 3.0) -> PenaltyHint:
    """A hint with every penalty at ``share`` of the costs' spread."""
    names = {o.shift for o in problem.occurrences}
    shares = {
        ("shift", n, cap): share for n in names for cap in range(problem.config.horizon.days + 1)
    }
    shares.update({("weekends", cap): share for cap in range(problem.config.horizon.days + 1)})
    return PenaltyHint(shares)


@pytest.mark.parametrize("seed", range(40))
def test_hinted_pricing_keeps_every_rule(seed: int):
    problem, sp, cost = _penalised(seed)
    for hint in (PenaltyHint(), _high_hint(problem)):
        got = price(sp, np.array([cost[o] for o in sp.occs]), hint=hint)
        if got.row is not None:
            assert not row_violations(problem, 0, list(got.row))
            assert got.cost == pytest.approx(sum(cost[o] for o in got.row))
            assert got.relaxed == -np.inf  # no DP ran at penalties 0: no bound to give


@pytest.mark.parametrize("seed", range(40))
def test_a_hint_leaves_exact_pricing_exact(seed: int):
    _, problem = tiny(seed, days=random.Random(seed).choice([5, 6, 7, 8]))
    sp = build_space(problem, 0, 150_000)
    cost = {o: random.Random(seed + 1000 + o).uniform(-10, 5) for o in problem.by_volunteer[0]}
    got = price(sp, np.array([cost[o] for o in sp.occs]), hint=_high_hint(problem))
    rows = all_rows(problem, 0)
    assert (got.row is None) == (not rows)
    if rows:  # the hint's penalties touch no rule the state keeps
        assert got.cost == pytest.approx(min(sum(cost[o] for o in row) for row in rows))


ONE_CAP = """SECTION_HORIZON\n3\n\nSECTION_SHIFTS\nD,480,\n\nSECTION_STAFF\nA,D=1,14400,0,3,1,1,1
SECTION_DAYS_OFF\n\nSECTION_SHIFT_ON_REQUESTS\n\nSECTION_SHIFT_OFF_REQUESTS\n
SECTION_COVER\n0,D,1,100,1\n1,D,1,100,1\n2,D,1,100,1\n"""


@pytest.mark.parametrize(("retries", "row", "cost"), [(0, (), 0.0), (1, (0,), -10.0)])
def test_the_retry_at_half_penalties_undoes_an_overshoot(monkeypatch, retries, row, cost):
    """One D shift at most, worth -10, -6, -2 on three days: a hinted penalty of 1.5 x the
    spread (16.5) prices every D out (the empty row keeps the cap); halved (8.25), the
    row takes the -10 day alone, which keeps the cap too and is cheaper."""
    problem = compile_plan(to_plan(parse_text(ONE_CAP)))
    sp = build_space(problem, 0, 1)
    assert sp.pen_caps == ((0, 1),)
    monkeypatch.setattr(colgen_price, "RETRIES", retries)
    got = price(sp, np.array([-10.0, -6.0, -2.0]), hint=PenaltyHint({("shift", "D", 1): 1.5}))
    assert (got.row, got.cost) == (row, cost)


def test_a_hint_saves_dp_runs_on_the_next_pricing(monkeypatch):
    runs = []
    forward = colgen_price._forward
    monkeypatch.setattr(colgen_price, "_forward", lambda *a: runs.append(1) or forward(*a))
    saved = 0
    for seed in range(40):
        _, sp, cost = _penalised(seed)
        occ_cost = np.array([cost[o] for o in sp.occs])
        hint = PenaltyHint()
        del runs[:]
        price(sp, occ_cost, hint=hint)
        cold = len(runs)
        del runs[:]
        price(sp, occ_cost, hint=hint)  # the same volunteer again, warm
        saved += len(runs) < cold
    assert saved


def test_row_costs_and_cover_add_up_to_the_roster_cost():
    _, problem = tiny(3, days=7, staff=4)
    roster = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    assert roster is not None
    costs = RowCosts(problem)
    rows: dict[int, list[int]] = {v: [] for v in range(len(problem.volunteers))}
    for o, v in roster:
        rows[v].append(o)
    w = problem.config.weights
    cover = 0.0
    for occ in problem.occurrences:
        n = sum(1 for o, _ in roster if o == occ.index)
        cover += w.uncovered * occ.priority * max(0, occ.need - n)
        cover += (w.over_cover or 0) * max(0, n - occ.need)
    rows_cost = sum(costs.of(v, tuple(sorted(r))) for v, r in rows.items())
    assert rows_cost + cover == pytest.approx(float(total_cost(problem, roster)))


def _optimum(problem: Problem) -> float:
    best = float("inf")
    per_vol = [all_rows(problem, v) for v in range(len(problem.volunteers))]
    for pick in itertools.product(*per_vol):
        pairs = {(o, v) for v, row in enumerate(pick) for o in row}
        best = min(best, float(total_cost(problem, pairs)))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_generation_bound_is_below_the_optimum_and_the_dive_keeps_every_rule(seed: int):
    inst, problem = tiny(seed, days=5, staff=2)
    start = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    if start is None:
        return  # no roster keeps every rule: nothing to bound
    optimum = _optimum(problem)
    gen = colgen.generate(problem, start, time.monotonic() + 10)
    assert gen.converged
    bound = colgen.bound_value(gen)
    assert bound is not None and bound <= optimum + 1e-9
    assert gen.lp <= optimum + 1e-6  # converged with exact pricing: the LP is a bound too
    dived = colgen_search.dive(problem, gen, time.monotonic() + 10)
    assert dived is not None
    rows = as_rows(inst, problem, dived)
    ev = evaluate(inst, rows)
    assert ev.feasible and ev.objective == total_cost(problem, dived) >= optimum


@pytest.mark.parametrize("seed", range(3))
def test_improve_keeps_every_rule_and_never_worsens_the_start(seed: int):
    inst, problem = tiny(seed + 10, days=7, staff=3)
    params = SolveParams(time_limit=5, workers=1, seed=seed)
    start = construct_fast(problem, params, time.monotonic() + 5, 0)
    if start is None:
        return  # no roster keeps every rule
    stats: dict[str, object] = {}
    roster, bound = colgen_search.improve(problem, start, params, time.monotonic() + 5, stats)
    cost = total_cost(problem, roster)
    assert cost <= total_cost(problem, start)
    assert bound is not None and bound <= cost
    assert "dive_runs" in stats and stats["cg_converged"]
    rows = as_rows(inst, problem, roster)
    ev = evaluate(inst, rows)
    assert ev.feasible and ev.objective == cost


def test_rens_keeps_to_the_support_and_the_roster():
    _, problem = tiny(4, days=7, staff=3)
    params = SolveParams(time_limit=5, workers=1)
    start = construct_fast(problem, params, time.monotonic() + 5, 0)
    assert start is not None
    found, _ = colgen_search.rens(problem, params, set(), start, 5)
    assert found <= start  # nothing outside the roster's own pairs may be used
    assert total_cost(problem, found) <= total_cost(problem, start)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("seed", range(5))
def test_sweep_ends_where_no_single_row_can_improve(seed: int, threads: int):
    inst, problem = tiny(seed + 20, days=6, staff=3)
    start = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    if start is None:
        return  # no roster keeps every rule
    swept = sweep_rows(problem, start, seed, time.monotonic() + 20, threads=threads)
    cost = float(total_cost(problem, swept))
    assert cost <= float(total_cost(problem, start))
    rows = as_rows(inst, problem, swept)
    assert evaluate(inst, rows).feasible
    for v in range(len(problem.volunteers)):  # brute force: every other row of v, alone
        others = {(o, u) for o, u in swept if u != v}
        best = min(float(total_cost(problem, others | {(o, v) for o in row}))
                   for row in all_rows(problem, v))  # fmt: skip
        assert best >= cost - 1e-9


@pytest.mark.parametrize("seed", range(4))
def test_penalised_sweeps_in_threads_repeat_for_a_seed(seed: int):
    """Hinted pricing in two threads: each thread starts from the hint as its chunk found
    it, so the same seed gives the same roster (and every row keeps its rules)."""
    _, problem = tiny(seed + 20, days=7, staff=4)
    start = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    if start is None:
        return  # no roster keeps every rule
    spaces = [build_space(problem, v, 1) for v in range(len(problem.volunteers))]
    runs = [sweep_rows(problem, start, seed, time.monotonic() + 30, spaces, threads=2)
            for _ in range(3)]  # fmt: skip
    assert runs[0] == runs[1] == runs[2]
    for v in range(len(problem.volunteers)):
        assert not row_violations(problem, v, [o for o, u in runs[0] if u == v])


@pytest.mark.parametrize("seed", [31, 32, 34])  # seeds whose rules admit a roster
def test_threaded_pricing_generates_what_serial_pricing_does(seed: int):
    _, problem = tiny(seed, days=7, staff=4)
    start = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    assert start is not None
    serial = colgen.generate(problem, start, time.monotonic() + 20, threads=1)
    threaded = colgen.generate(problem, start, time.monotonic() + 20, threads=2)
    try:
        assert threaded.pool is not None and serial.pool is None
        assert serial.converged and threaded.converged
        assert [c.row for c in threaded.master.columns] == [c.row for c in serial.master.columns]
        assert threaded.lp == pytest.approx(serial.lp, abs=1e-6)
        assert colgen.bound_value(threaded) == colgen.bound_value(serial)
    finally:
        threaded.close()
    assert threaded.pool is None


def test_stalled_when_the_lp_barely_moves_over_the_last_rounds():
    _, problem = tiny(2, days=5, staff=2)
    start = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    assert start is not None
    gen = colgen.generate(problem, start, time.monotonic() + 10)
    n = colgen.STALL_ROUNDS
    gen.history = [1000.0 - i for i in range(n)]  # too few rounds to tell
    assert not gen.stalled
    gen.history = [1000.0, *[999.0] * n]  # 0.1 % over the last rounds
    assert gen.stalled
    gen.history = [1000.0, *[900.0 - i for i in range(n)]]  # still falling fast
    assert not gen.stalled


def _patterns(days: int, kmax: int | None, koff: int) -> list[tuple[int, ...]]:
    """Every on/off sequence with runs of at most ``kmax`` and ``koff`` days off between
    runs (days before the horizon are off)."""
    out = []
    for bits in itertools.product((0, 1), repeat=days):
        groups = [(on, len(list(g))) for on, g in itertools.groupby(bits)]
        runs = [n for on, n in groups if on]
        inner = [n for on, n in groups[1:-1] if not on]  # gaps touching an end are exempt
        if (kmax is None or all(r <= kmax for r in runs)) and all(g >= koff for g in inner):
            out.append(bits)
    return out


@pytest.mark.parametrize(("kmax", "koff"), [(None, 1), (1, 1), (2, 1), (3, 2), (2, 3)])
def test_max_worked_is_the_most_days_any_pattern_works(kmax: int | None, koff: int):
    for n in range(0, 9):
        most = max((sum(p) for p in _patterns(n, kmax, koff)), default=0)
        assert max_worked(n, kmax, koff) == most


@pytest.mark.parametrize("seed", range(30))
def test_minutes_band_holds_every_prefix_of_a_row_that_ends_in_bounds(seed: int):
    rng = random.Random(seed)
    days, kmax, koff = rng.randint(2, 7), rng.choice([None, 2, 3]), rng.choice([1, 2])
    units = np.array([rng.randint(0, 3) for _ in range(days)])
    top = rng.randint(2, 10)
    lo = rng.randint(0, top)
    band = minutes_band(units, lo, top, kmax, koff)
    for bits in _patterns(days, kmax, koff):
        choices = [range(1, units[d] + 1) if bits[d] else (0,) for d in range(days)]
        for amounts in itertools.product(*choices):
            total = np.cumsum(amounts)
            if lo <= total[-1] <= top:
                assert all(band[d, 0] <= total[d] <= band[d, 1] for d in range(days))


def test_state_budget_grows_on_short_horizons_and_small_staffs():
    from solver.colgen_space import MAX_STATES, MIN_STATES, state_budget

    short = state_budget(tiny(0, days=7, staff=1)[1])
    longer = state_budget(tiny(0, days=210, staff=1)[1])
    crowded = state_budget(tiny(0, days=7, staff=40)[1])
    assert short == MAX_STATES
    assert MIN_STATES <= longer < short and MIN_STATES <= crowded <= short
    assert state_budget(tiny(0, days=364, staff=40)[1]) == MIN_STATES


def test_a_stalled_generation_still_reports_a_bound_below_the_optimum(monkeypatch):
    _, problem = tiny(2, days=5, staff=2)
    start = construct_fast(problem, SolveParams(workers=1), time.monotonic() + 5, 0)
    assert start is not None
    optimum = _optimum(problem)
    real = colgen.converge

    def one_round(gen, active, deadline, bound=False, max_rounds=None):
        return real(gen, active, deadline, False, 0)  # stops unconverged, no bound of its own

    monkeypatch.setattr(colgen, "converge", one_round)
    monkeypatch.setattr(colgen.Generation, "stalled", property(lambda self: True))
    gen = colgen.generate(problem, start, time.monotonic() + 10)
    assert not gen.converged
    bound = colgen.bound_value(gen)
    assert bound is not None and bound <= optimum + 1e-9
    monkeypatch.setattr(colgen.Generation, "stalled", property(lambda self: False))
    assert colgen.bound_value(colgen.generate(problem, start, time.monotonic() + 10)) is None
