"""The LP relaxation of a built CP-SAT model, solved with HiGHS (scipy).

CP-SAT's own LP, at its default linearization level, leaves out the clauses (team
splits, day-worked links) and needs most of a 30 s run to settle its root bound on
models of tens of thousands of pairs; HiGHS' interior point method solves the same
relaxation in seconds. :func:`lp_relaxation` reads the model's proto and keeps every
constraint it can state linearly without an enforcement literal: linear constraints
(their domain's hull), ``bool_or`` (sum of literals >= 1), ``at_most_one`` and
``exactly_one``; everything else is dropped. Each variable keeps the hull of its domain.
Dropping constraints only relaxes, so the LP optimum is a valid lower bound on the
model's optimum, whatever the model holds.

What the relaxation is used for (:mod:`solver.guided`): its value is the reported bound,
and its support (the pairs it uses) is where the search looks first.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

INF = 1e18
"""CP-SAT bounds at or beyond this magnitude are infinite."""
TOLERANCE = 1e-6
"""Relative slack taken off the LP value before rounding it up to a bound."""


@dataclass(frozen=True)
class Relaxation:
    value: float
    """LP optimum in the model's internal objective units (offset included)."""
    bound: int
    """A safe integer lower bound on the internal objective: ceil(value - tolerance)."""
    x: np.ndarray
    """LP value of every model variable, by proto index."""
    seconds: float


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
    proto: cp_model.cp_model_pb2.CpModelProto, deadline: float
) -> tuple[csr_matrix, np.ndarray, np.ndarray] | None:
    """The linear rows (lo <= A x <= hi) of every constraint kept (None past deadline)."""
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    for i, ct in enumerate(proto.constraints):
        if i % 4096 == 0 and time.monotonic() > deadline:
            return None
        if len(ct.enforcement_literal):
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


def lp_relaxation(model: cp_model.CpModel, time_limit: float) -> Relaxation | None:
    """Solve the LP relaxation of ``model``'s objective; None if not solved in time."""
    t0 = time.monotonic()
    proto = model.Proto()
    n = len(proto.variables)
    bounds = np.empty((n, 2))
    for i, var in enumerate(proto.variables):
        domain = list(var.domain)
        bounds[i, 0] = domain[0] if domain[0] > -INF else -np.inf
        bounds[i, 1] = domain[-1] if domain[-1] < INF else np.inf
    c = np.zeros(n)
    objective = proto.objective
    scale = objective.scaling_factor or 1.0
    if scale < 0:  # a maximisation: not what rota builds
        return None
    offset = objective.offset
    for var, coef in zip(objective.vars, objective.coeffs, strict=True):
        if var >= 0:
            c[var] += coef
        else:  # a negated literal in the objective: coef * (1 - x)
            c[-var - 1] -= coef
            offset += coef
    rows = _rows(proto, t0 + time_limit)
    if rows is None:
        return None
    a, lo, hi = rows
    upper, lower = np.isfinite(hi), np.isfinite(lo)
    a_ub = vstack([a[upper], -a[lower]]).tocsr()
    b_ub = np.concatenate([hi[upper], -lo[lower]])
    remaining = time_limit - (time.monotonic() - t0)
    if remaining <= 0:
        return None
    result = linprog(
        c,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=bounds,
        method="highs-ipm",
        options={"time_limit": remaining},
    )
    if result.status != 0:
        return None
    value = scale * (float(result.fun) + offset)
    bound = math.ceil(value - TOLERANCE * max(1.0, abs(value)))
    return Relaxation(value=value, bound=bound, x=result.x, seconds=time.monotonic() - t0)
