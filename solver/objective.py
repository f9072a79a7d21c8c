"""The objective: the brief's cost, times SCALE (60), as one integer linear expression.

Families register (coefficient, expression) terms and constants on the context in
internal units; :func:`set_objective` sums them. :func:`to_cost` turns an internal
value back into cost units (an int when integral).
"""

from __future__ import annotations

from typing import Any

from ortools.sat.python import cp_model

from solver.variables import SCALE, ModelContext


def objective_expr(ctx: ModelContext) -> Any:
    """The internal objective (cost * SCALE) of the context's terms."""
    exprs = [expr for _, expr in ctx.costs]
    coefs = [coef for coef, _ in ctx.costs]
    return cp_model.LinearExpr.WeightedSum(exprs, coefs) + ctx.cost_constant


def set_objective(ctx: ModelContext) -> None:
    """Minimise the sum of every registered cost term."""
    ctx.model.Minimize(objective_expr(ctx))


def to_cost(internal: float) -> float | int:
    """Internal objective units -> cost units (int when integral, else rounded float)."""
    value = round(internal) / SCALE
    return int(value) if value == int(value) else round(value, 6)
