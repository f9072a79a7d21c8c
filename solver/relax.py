"""The LP relaxation of a built CP-SAT model, solved with HiGHS (highspy).

CP-SAT's own LP, at its default linearization level, leaves out the clauses (team
splits, day-worked links) and needs most of a 30 s run to settle its root bound on
models of tens of thousands of pairs; HiGHS' interior point method solves the same
relaxation in seconds. :func:`lp_relaxation` reads the model's proto and keeps every
constraint it can state linearly without an enforcement literal: linear constraints
(their domain's hull), ``bool_or`` (sum of literals >= 1), ``at_most_one`` and
``exactly_one``; everything else is dropped. Each variable keeps the hull of its domain.
Dropping constraints only relaxes, so the LP optimum is a valid lower bound on the
model's optimum, whatever the model holds.

HiGHS' interior point method and its dual simplex race on two threads (:func:`_race`:
either can be several times faster, depending on the model). The interior point method
stops near the centre of the optimal face (``central``: on S1's degenerate LP 5 800
pairs are positive in it) and crossover from there, a fraction of a second, gives an
optimal vertex (``x``: 1 500 pairs); dual simplex gives a vertex directly, and the
pairs of zero reduced cost stand for the optimal face. Dual simplex may hold columns
unlikely to be used out of the LP until their reduced costs let them in
(:func:`_priced`: S1's relaxation in half the time). What they are used for
(:mod:`solver.guided`): the value is the reported bound (less TOLERANCE); the vertex's
support is where the search looks first, and the optimal face where it looks next.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model
from scipy.sparse import csr_matrix

INF = 1e18
"""CP-SAT bounds at or beyond this magnitude are infinite."""
TOLERANCE = 1e-6
"""Relative slack taken off the LP value before rounding it up to a bound."""
RESTORE_COST = 0.6
"""The restore is tried only when its window left is at least this share of the time
the LP took (S1: 4.4 s after an LP of 7.3 s)."""
FEASIBLE = 2
"""HiGHS' solution status "feasible" (kSolutionStatusFeasible)."""
PRICE_TOLERANCE = 1e-7
"""A held column enters (``_priced``) when its reduced cost is below minus this (HiGHS'
default dual feasibility tolerance)."""
FACE_VALUE = 1e-6
"""For ``_restore``, after dual simplex, a column is on the optimal face when its value
exceeds this or its reduced cost is at most this..."""
FACE_CENTRAL = 1e-4
"""...and after the interior point method, when its value in the central solution
exceeds this."""


@dataclass(frozen=True)
class Relaxation:
    value: float
    """LP optimum in the model's internal objective units (offset included)."""
    bound: int
    """A safe integer lower bound on the internal objective: ceil(value - tolerance)."""
    x: np.ndarray
    """LP value of every model variable, by proto index: an optimal vertex."""
    central: np.ndarray | None
    """An optimal solution inside the optimal face (interior point, no crossover): its
    support is (nearly) every pair some optimal LP solution uses; None when dual simplex
    won the race (:func:`_race`)."""
    reduced: np.ndarray
    """Reduced cost of every model variable at ``x`` (HiGHS' column duals): a pair at 0
    with reduced cost 0 can enter an optimal LP solution."""
    seconds: float
    method: str
    """Which method solved the LP: "ipm" or "simplex"."""
    restored: bool = False
    """Whether ``x`` keeps the rows left out (see ``restore_within``)."""


def _literal_terms(literals: list[int]) -> tuple[list[int], list[float], float]:
    """A sum of literals as (vars, coefficients, constant): not(x) = 1 - x."""
    cols, vals, const = [], [], 0.0
    for lit in literals:
        if lit >= 0:
            cols.append(lit)
            vals.append(1.0)
        else:
            cols.append(-lit - 1)
            vals.append(-1.0)
            const += 1.0
    return cols, vals, const


def _rows(
    proto: cp_model.cp_model_pb2.CpModelProto,
    deadline: float,
    leave_out: frozenset[int],
    only: bool = False,
) -> tuple[csr_matrix, np.ndarray, np.ndarray] | None:
    """The linear rows (lo <= A x <= hi) of every constraint kept, or (``only``) of
    those in ``leave_out`` only (None past deadline)."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    for i, ct in enumerate(proto.constraints):
        if i % 4096 == 0 and time.monotonic() > deadline:
            return None
        if len(ct.enforcement_literal) or (i in leave_out) != only:
            continue
        if ct.has_linear():
            c, v = list(ct.linear.vars), [float(a) for a in ct.linear.coeffs]
            domain = list(ct.linear.domain)
            low = domain[0] if domain[0] > -INF else -np.inf
            high = domain[-1] if domain[-1] < INF else np.inf
        elif ct.has_bool_or() or ct.has_at_most_one() or ct.has_exactly_one():
            lits = (
                ct.bool_or.literals
                if ct.has_bool_or()
                else ct.at_most_one.literals
                if ct.has_at_most_one()
                else ct.exactly_one.literals
            )
            c, v, const = _literal_terms(list(lits))
            low = 1.0 - const if not ct.has_at_most_one() else -np.inf
            high = 1.0 - const if not ct.has_bool_or() else np.inf
        else:
            continue
        r = len(lo)
        rows.extend([r] * len(c))
        cols.extend(c)
        vals.extend(v)
        lo.append(low)
        hi.append(high)
    a = csr_matrix((vals, (rows, cols)), shape=(len(lo), len(proto.variables)))
    return a, np.array(lo, dtype=float), np.array(hi, dtype=float)


def _highs_bounds(bounds: np.ndarray) -> np.ndarray:
    """Row bounds with the infinite ones as HiGHS' infinity, sign kept."""
    import highspy

    inf = highspy.kHighsInf
    return np.where(np.isfinite(bounds), bounds, np.where(bounds > 0, inf, -inf))


def _highs_lp(
    proto: cp_model.cp_model_pb2.CpModelProto, deadline: float, leave_out: frozenset[int]
) -> Any:
    """The proto's objective and kept rows as a HiGHS LP (None past ``deadline``)."""
    import highspy

    n = len(proto.variables)
    lower, upper = np.empty(n), np.empty(n)
    for i, var in enumerate(proto.variables):
        domain = var.domain
        lower[i], upper[i] = domain[0], domain[len(domain) - 1]
    lower[lower <= -INF] = -highspy.kHighsInf
    upper[upper >= INF] = highspy.kHighsInf
    c = np.zeros(n)
    objective = proto.objective
    offset = objective.offset
    for var, coef in zip(objective.vars, objective.coeffs, strict=True):
        if var >= 0:
            c[var] += coef
        else:  # a negated literal in the objective: coef * (1 - x)
            c[-var - 1] -= coef
            offset += coef
    rows = _rows(proto, deadline, leave_out)
    if rows is None:
        return None
    a, lo, hi = rows
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = c, lower, upper
    lp.row_lower_, lp.row_upper_ = _highs_bounds(lo), _highs_bounds(hi)
    lp.offset_ = offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = a.indptr
    lp.a_matrix_.index_ = a.indices
    lp.a_matrix_.value_ = a.data
    return lp


def silent_highs() -> Any:
    """A HiGHS instance that prints nothing (its first construction writes a banner to
    file descriptor 1, which would end up in ``rota plan``'s output)."""
    import highspy

    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    h.setOptionValue("output_flag", False)
    return h


def _restore(
    h: Any,
    proto: cp_model.cp_model_pb2.CpModelProto,
    skipped: frozenset[int],
    x: np.ndarray,
    face: np.ndarray,
    deadline: float,
) -> tuple[np.ndarray, np.ndarray] | None:
    """An optimal vertex that keeps the left-out rows too: each round puts back into
    the LP in ``h`` the rows ``x`` breaks (the first round also those with two or more
    columns in ``face``: the rows the next vertex would likely break) and re-solves it
    by dual simplex from the present basis (still dual feasible), until none is broken;
    the vertex and its reduced costs, or None past ``deadline``. Without the face rows it
    took 5 to 8 rounds and up to twice as long (S1 6.2 s against 3.4 s in one round, S4
    5.3 against 3.0, S6 3.6 against 1.9 after dual simplex; S1 4.6 against 3.5 after the
    interior point method)."""
    import highspy

    rows = _rows(proto, deadline, skipped, only=True)
    if rows is None:
        return None
    a, lo, hi = rows
    likely = abs(a) @ face.astype(float) >= 2
    added = np.zeros(len(lo), dtype=bool)
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("simplex_strategy", 1)  # dual simplex
    while True:
        ax = a @ x
        broken = ~added & ((ax > hi + 1e-6) | (ax < lo - 1e-6))
        if not broken.any():
            return x, np.array(h.getSolution().col_dual)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not added.any():
            broken |= likely
        index = np.flatnonzero(broken)
        added[index] = True
        sub = a[index]
        h.addRows(
            len(index),
            _highs_bounds(lo[index]),
            _highs_bounds(hi[index]),
            sub.nnz,
            sub.indptr[:-1],
            sub.indices,
            sub.data,
        )
        h.setOptionValue("time_limit", h.getRunTime() + remaining)  # HiGHS' clock: since created
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        x = np.array(h.getSolution().col_value)


def _priced(h: Any, lp: Any, priced: np.ndarray) -> None:
    """Dual simplex in ``h`` (holding ``lp``) with the ``priced`` columns held at their
    lower bound until pricing lets them in: each round solves the LP on the columns let in
    so far and lets in every held column of negative reduced cost, until none has one;
    then all columns are freed, and the last vertex stays optimal (a final run checks it).
    When a round does not end optimal (the LP without the held columns may be
    infeasible), all columns are freed and the final run solves the whole LP.
    S1's relaxation in 2.5-2.9 s against 5.3-5.5 s with every column from the start
    (candidates: :func:`solver.candidates.candidate_pairs`, 6 400 of 40 800 pairs; three
    rounds); S2 1.1 against 1.8, S6 1.3 against 2.8, S8 1.1 against 1.9; S4 slower (19 s
    against 6: its second round re-solves slowly) and S9 (1.0 against 0.7), where the
    interior point method, racing it, is at least as fast (4 s on S4)."""
    import highspy

    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    held = priced.astype(np.int32)
    h.changeColsBounds(len(held), held, lower[held], lower[held])
    while True:
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break  # e.g. infeasible while the held columns are out: all of them in
        enter = np.asarray(h.getSolution().col_dual)[held] < -PRICE_TOLERANCE
        if not enter.any():
            break
        cols = held[enter]
        h.changeColsBounds(len(cols), cols, lower[cols], upper[cols])
        held = held[~enter]
    h.changeColsBounds(len(held), held, lower[held], upper[held])
    h.run()


def _race(
    lp: Any, time_limit: float, methods: tuple[str, ...], priced: np.ndarray | None = None
) -> tuple[Any, str] | None:
    """Solve ``lp`` by HiGHS' interior point method (no crossover) and by its dual
    simplex side by side (``methods``: both, or one alone), one thread each (HiGHS
    releases the GIL while it runs), and return the first to reach the optimum with its
    method; the other is interrupted. Dual simplex prices the ``priced`` columns in
    (:func:`_priced`).
    Which is faster depends on the model, not its size (interior point against dual
    simplex, seconds on a 2-core EPYC: S1 4.0 / 2.6, S2 5.1 / 0.7, S4 1.9 / 2.4, S6
    3.5 / 1.2, S7 1.4 / 5.5, S8 1.2 / 0.9, S9 1.0 / 0.3); racing both costs nothing
    while no search runs. None if neither ends optimal within ``time_limit``."""
    import highspy

    kinds = highspy.cb.HighsCallbackType
    done = threading.Event()
    winner: list[tuple[Any, str]] = []
    lock = threading.Lock()

    def interrupt(kind: Any, message: str, out: Any, data_in: Any, user: Any) -> None:
        if done.is_set():
            data_in.user_interrupt = True

    def run(h: Any, method: str) -> None:
        if method == "simplex" and priced is not None and len(priced):
            _priced(h, lp, priced)
        else:
            h.run()
        with lock:
            if not winner and h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
                winner.append((h, method))
                done.set()

    runs = []
    for method in methods:
        h = silent_highs()
        h.setOptionValue("solver", method)
        if method == "ipm":
            h.setOptionValue("run_crossover", "off")
            # no presolve: it would solve small LPs to a vertex before the interior
            # point runs (S1: the same time and the same central support either way)
            h.setOptionValue("presolve", "off")
        else:
            h.setOptionValue("simplex_strategy", 1)  # dual simplex
        h.setOptionValue("time_limit", time_limit)
        h.setCallback(interrupt, None)
        h.startCallback(kinds.kCallbackIpmInterrupt)
        h.startCallback(kinds.kCallbackSimplexInterrupt)
        h.passModel(lp)
        runs.append((h, method))
    # the calling thread runs one of them itself: HiGHS' task scheduler is set up per
    # thread, and a crossover in a thread that never ran HiGHS after others did crashes
    others = [threading.Thread(target=run, args=args, daemon=True) for args in runs[1:]]
    for thread in others:
        thread.start()
    run(*runs[0])
    for thread in others:
        thread.join()
    if not winner:
        return None
    h, method = winner[0]
    h.stopCallback(kinds.kCallbackIpmInterrupt)
    h.stopCallback(kinds.kCallbackSimplexInterrupt)
    return h, method


def lp_relaxation(
    model: cp_model.CpModel,
    time_limit: float,
    leave_out: Iterable[range] = (),
    restore_within: float = 0.0,
    methods: tuple[str, ...] = ("ipm", "simplex"),
    priced: np.ndarray | None = None,
) -> Relaxation | None:
    """Solve the LP relaxation of ``model``'s objective; None if not solved in time.

    The constraints whose proto indices are in ``leave_out`` are left out too (a
    weaker relaxation, still a valid bound; see :mod:`solver.guided` for which).

    The interior point method and dual simplex race (:func:`_race`; ``methods`` names
    the ones to run; dual simplex holds the ``priced`` columns, proto indices of
    variables unlikely to be used, at their lower bound until their reduced costs let
    them in: :func:`_priced`). When the interior point method wins, its solution is ``central``
    (near the centre of the optimal face) and crossover from it gives the vertex ``x``;
    when dual simplex wins, its vertex is ``x`` and there is no central solution. With
    ``restore_within`` seconds (from the start) the rows left out that ``x`` breaks are
    put back and ``x`` re-optimised until it keeps them all (:func:`_restore`), if the
    time left for it looks enough (RESTORE_COST); if it does not end in time, ``x``
    stays the vertex without them.
    ``reduced`` are the reduced costs at the final vertex.
    """
    import highspy

    t0 = time.monotonic()
    proto = model.Proto()
    scale = proto.objective.scaling_factor or 1.0
    if scale < 0:  # a maximisation: not what rota builds
        return None
    skipped = frozenset(i for indices in leave_out for i in indices)
    lp = _highs_lp(proto, t0 + time_limit, skipped)
    remaining = time_limit - (time.monotonic() - t0)
    if lp is None or remaining <= 0:
        return None
    raced = _race(lp, remaining, methods, priced)
    if raced is None:
        return None
    h, method = raced
    value = scale * float(h.getInfo().objective_function_value)
    solution = h.getSolution()
    x = np.array(solution.col_value)
    central = x if method == "ipm" else None
    crossed = central is not None and h.crossover(solution) != highspy.HighsStatus.kError
    if crossed and h.getInfo().primal_solution_status == FEASIBLE:
        solution = h.getSolution()
        x = np.array(solution.col_value)
    reduced = np.array(solution.col_dual)
    elapsed, restored_ok = time.monotonic() - t0, False
    if skipped and x is not central and restore_within - elapsed >= RESTORE_COST * elapsed:
        if central is not None:
            face = central > FACE_CENTRAL
        else:
            face = (x > FACE_VALUE) | (reduced <= FACE_VALUE)
        deadline = t0 + min(restore_within, time_limit)
        restored = _restore(h, proto, skipped, x, face, deadline)
        if restored is not None:
            x, reduced = restored
            restored_ok = True
            value = max(value, scale * float(h.getInfo().objective_function_value))
    bound = math.ceil(value - TOLERANCE * max(1.0, abs(value)))
    seconds = time.monotonic() - t0
    return Relaxation(
        value=value, bound=bound, x=x, central=central, reduced=reduced,
        seconds=seconds, method=method, restored=restored_ok,
    )  # fmt: skip
