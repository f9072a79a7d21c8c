"""The LP relaxation (solver/relax.py): its bound never exceeds the true optimum.

On the brute-force plans (every hard family, every soft term, some infeasible), the
relaxation of rota's CP-SAT model, read back from the proto, must bound the cheapest
roster the independent checker accepts; on a plan whose LP is integral it is exact.
"""

from __future__ import annotations

import numpy as np
import pytest

from scheduler.problem import Problem
from solver.model import build_model
from solver.objective import to_cost
from solver.relax import lp_relaxation
from solver.types import SolveParams
from tests.solver.support import people, problem
from tests.solver.test_brute_force import _brute_force, small_random_problem


@pytest.mark.parametrize("seed", range(10))
def test_lp_bound_never_exceeds_brute_force_optimum(seed: int) -> None:
    p = small_random_problem(seed)
    ctx = build_model(p, SolveParams())
    relax = lp_relaxation(ctx.model, 10)
    best = _brute_force(p)
    if relax is None:  # an infeasible LP: then no roster exists either
        assert best == float("inf")
        return
    assert to_cost(relax.bound) <= best + 1e-9
    assert relax.bound <= relax.value + 1e-6 * max(1.0, abs(relax.value)) + 1
    # without rest's rows (what ``leave_out`` is for): weaker, still a bound
    weaker = lp_relaxation(ctx.model, 10, [ctx.family_rows["rest"]])
    assert weaker is not None and weaker.value <= relax.value + 1e-6 * max(1.0, relax.value)
    assert to_cost(weaker.bound) <= best + 1e-9


def two_overlapping_shifts() -> Problem:
    """Two overlapping 8 h shifts needing 1 each and one volunteer, 12 h a day."""
    return problem(
        horizon={"start": "2020-01-29", "days": 1},
        shift_patterns={"a": [{"name": "early", "start": "06:00", "hours": 8}],
                        "b": [{"name": "late", "start": "10:00", "hours": 8}]},
        sites=[{"id": "s1", "pattern": "a", "need": 1}, {"id": "s2", "pattern": "b", "need": 1}],
        rules={"max_hours_per_day": 12},
        weights={"uncovered": 100, "fairness": 0, "team_split": 0},
        volunteers={"people": [{"id": "v1"}]},
    )  # fmt: skip


def test_leaving_rest_out_weakens_the_bound_where_rest_binds() -> None:
    # two overlapping 8 h shifts needing 1 each, one volunteer: rest lets them work one
    # (LP 100 for the other). Hours posts no 12 h-a-day row where rest's clique already
    # implies it, so without rest's rows nothing stops both (LP 0): weaker, still valid.
    p = two_overlapping_shifts()
    ctx = build_model(p, SolveParams())
    assert len(ctx.family_rows["rest"]) > 0
    full = lp_relaxation(ctx.model, 10)
    weaker = lp_relaxation(ctx.model, 10, [ctx.family_rows["rest"]])
    assert full is not None and weaker is not None
    assert to_cost(full.bound) == 100 and to_cost(weaker.bound) == 0
    assert not weaker.restored


@pytest.mark.parametrize("method", ["ipm", "simplex"])
def test_restore_puts_the_rows_the_vertex_breaks_back(method: str) -> None:
    # the same two overlapping shifts: without rest's rows the vertex works both; the
    # restore adds the clique back and re-solves, so the vertex works one and the value
    # is the full LP's again (from either method's vertex)
    p = two_overlapping_shifts()
    ctx = build_model(p, SolveParams())
    rest = [ctx.family_rows["rest"]]
    broken = lp_relaxation(ctx.model, 10, rest, methods=(method,))
    restored = lp_relaxation(ctx.model, 10, rest, restore_within=10, methods=(method,))
    assert broken is not None and restored is not None
    worked = [var.Index() for var in ctx.x.values()]
    assert sum(broken.x[i] for i in worked) == pytest.approx(2)
    assert restored.restored and restored.method == method
    assert sum(restored.x[i] for i in worked) <= 1 + 1e-6
    assert to_cost(restored.bound) == 100


def one_day_shift(need: int, volunteers: list[dict]) -> Problem:
    """One 8 h day shift at a site at (31.0, 121.0) needing ``need``, travel costing
    1 a km, no fairness or team term."""
    return problem(
        horizon={"start": "2020-01-29", "days": 1},
        shift_patterns={"d": [{"name": "day", "start": "08:00", "hours": 8}]},
        sites=[{"id": "s", "pattern": "d", "need": need, "location": {"lat": 31.0, "lon": 121.0}}],
        weights={"uncovered": 100, "travel_km": 1, "fairness": 0, "team_split": 0},
        volunteers={"people": volunteers},
    )


@pytest.mark.parametrize("methods", [("ipm",), ("simplex",), ("ipm", "simplex")])
def test_lp_is_exact_when_the_relaxation_is_integral(methods: tuple[str, ...]) -> None:
    # one 8 h day shift needing 2, four volunteers at different distances, no other rule:
    # the LP picks the two nearest, like the integer optimum (travel 1 + 2 km), whichever
    # method solves it (or wins the race).
    vols = [{"id": f"v{i}", "lat": 31.0 + 0.009 * i, "lon": 121.0} for i in range(1, 5)]
    p = one_day_shift(need=2, volunteers=vols)
    relax = lp_relaxation(build_model(p, SolveParams()).model, 10, methods=methods)
    assert relax is not None
    assert to_cost(relax.bound) == 3
    assert relax.x.shape[0] >= p.n_pairs
    assert relax.method in methods


def test_central_solution_spreads_over_ties_and_the_vertex_does_not() -> None:
    # one day shift needing 1 and three volunteers at the same distance: every split is
    # optimal. The interior point solution uses all three, the vertex one; same value.
    vols = [{"id": f"v{i}", "lat": 31.009, "lon": 121.0} for i in range(1, 4)]
    p = one_day_shift(need=1, volunteers=vols)
    ctx = build_model(p, SolveParams())
    relax = lp_relaxation(ctx.model, 10, methods=("ipm",))
    assert relax is not None and relax.central is not None
    assert to_cost(relax.bound) == 1
    vertex = [relax.x[var.Index()] for var in ctx.x.values()]
    central = [relax.central[var.Index()] for var in ctx.x.values()]
    assert sum(vertex) == pytest.approx(1) and sum(central) == pytest.approx(1)
    assert sum(1 for value in vertex if value > 1e-6) == 1
    assert all(value > 0.1 for value in central)


def test_dual_simplex_marks_the_ties_by_zero_reduced_cost() -> None:
    # the same three tied volunteers solved by dual simplex: a vertex using one, no
    # central solution, and all three at reduced cost 0 (any could enter an optimum);
    # a fourth volunteer 1 km further has reduced cost 1 a km's cost higher
    vols = [{"id": f"v{i}", "lat": 31.009, "lon": 121.0} for i in range(1, 4)]
    vols.append({"id": "v4", "lat": 31.018, "lon": 121.0})
    p = one_day_shift(need=1, volunteers=vols)
    ctx = build_model(p, SolveParams())
    relax = lp_relaxation(ctx.model, 10, methods=("simplex",))
    assert relax is not None and relax.central is None and relax.method == "simplex"
    assert to_cost(relax.bound) == 1
    vertex = [relax.x[var.Index()] for var in ctx.x.values()]
    reduced = {pair[1]: relax.reduced[var.Index()] for pair, var in ctx.x.items()}
    assert sum(1 for value in vertex if value > 1e-6) == 1
    near = sorted(v for v, rc in reduced.items() if rc <= 1e-6)
    assert len(near) == 3 and len(reduced) == 4
    assert max(reduced.values()) > 1e-3


def test_no_time_means_no_relaxation() -> None:
    p = problem(volunteers={"people": people(6)})
    assert lp_relaxation(build_model(p, SolveParams()).model, 0) is None


def test_priced_columns_enter_when_their_reduced_cost_is_negative() -> None:
    # need 2, four volunteers at 1-4 km: holding the two nearest out of the LP at first,
    # pricing lets them back in (reduced cost -2 and -1 against the farther ones), so the
    # value is the full LP's (3) and the vertex uses them; the other columns stay free
    vols = [{"id": f"v{i}", "lat": 31.0 + 0.009 * i, "lon": 121.0} for i in range(1, 5)]
    p = one_day_shift(need=2, volunteers=vols)
    ctx = build_model(p, SolveParams())
    by_volunteer = {p.volunteers[v].id: var.Index() for (_, v), var in ctx.x.items()}
    held = np.array([by_volunteer["v1"], by_volunteer["v2"]], dtype=np.int32)
    relax = lp_relaxation(ctx.model, 10, methods=("simplex",), priced=held)
    assert relax is not None and relax.method == "simplex"
    assert to_cost(relax.bound) == 3
    assert relax.x[by_volunteer["v1"]] == pytest.approx(1)
    assert relax.x[by_volunteer["v2"]] == pytest.approx(1)
    assert relax.x[by_volunteer["v3"]] == pytest.approx(0)


@pytest.mark.parametrize("seed", range(6))
def test_pricing_gives_the_full_lp_value(seed: int) -> None:
    # on the brute-force plans, holding every other pair out at first changes neither
    # the value nor the optimality of the vertex (reduced costs of every column >= 0
    # where it sits at 0)
    p = small_random_problem(seed)
    ctx = build_model(p, SolveParams())
    full = lp_relaxation(ctx.model, 10, methods=("simplex",))
    held = np.array([var.Index() for var in list(ctx.x.values())[::2]], dtype=np.int32)
    priced = lp_relaxation(ctx.model, 10, methods=("simplex",), priced=held)
    if full is None:
        assert priced is None
        return
    assert priced is not None
    assert priced.value == pytest.approx(full.value, rel=1e-9, abs=1e-6)
    at_zero = priced.x[held] <= 1e-9
    assert (priced.reduced[held][at_zero] >= -1e-6).all()
