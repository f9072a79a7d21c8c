"""Build the CP-SAT model of a compiled problem: variables, every family, hints, objective.

``build_model(problem, params)`` returns a :class:`~solver.variables.ModelContext`
(model, ``x`` keyed by (occurrence, volunteer), per-occurrence/volunteer views, cost
terms) so other solvers (NRP, LNS) can reuse or extend it before solving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ortools.sat.python import cp_model

from scheduler.problem import Problem
from solver.constraints.availability import add_availability
from solver.constraints.consecutive import add_consecutive
from solver.constraints.coverage import add_coverage
from solver.constraints.fairness import add_fairness
from solver.constraints.hours import add_hours
from solver.constraints.nights import add_nights
from solver.constraints.preferences import add_preferences
from solver.constraints.replan import add_replan
from solver.constraints.rest import add_rest
from solver.constraints.shift_caps import add_shift_caps
from solver.constraints.skills import add_skills
from solver.constraints.successions import add_successions
from solver.constraints.team import add_team
from solver.constraints.travel import add_travel
from solver.constraints.weekends import add_weekends
from solver.objective import set_objective
from solver.types import SolveParams
from solver.variables import ModelContext, create_pair_vars

FAMILIES: tuple[tuple[str, Callable[[ModelContext], Any]], ...] = (
    ("availability", add_availability),
    ("replan", add_replan),
    ("coverage", add_coverage),
    ("skills", add_skills),
    ("rest", add_rest),
    ("hours", add_hours),
    ("consecutive", add_consecutive),
    ("nights", add_nights),
    ("shift_caps", add_shift_caps),
    ("weekends", add_weekends),
    ("successions", add_successions),
    ("travel", add_travel),
    ("preferences", add_preferences),
    ("team", add_team),
    ("fairness", add_fairness),
)
"""Every constraint family, in the order they are added (names match the modules)."""


def _completion(ctx: ModelContext, hint: set, fix_hinted: bool, seconds: float) -> list | None:
    """Values of every variable for a roster inside ``hint`` (None if none found).

    Pairs outside the hint are fixed to 0 in a clone; hinted pairs are fixed to 1
    (``fix_hinted``) or left free with the hint as a CP-SAT hint, so a hint that breaks
    a rule is repaired by dropping as few of its pairs as the objective prefers.
    """
    clone = ctx.model.Clone()
    proto = clone.Proto()
    for pair, var in ctx.x.items():
        if pair in hint and not fix_hinted:
            clone.AddHint(clone.GetBoolVarFromProtoIndex(var.Index()), True)
            continue
        value = int(pair in hint)
        domain = proto.variables[var.Index()].domain
        domain.clear()
        domain.extend([value, value])
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(ctx.params.seed)
    solver.parameters.cp_model_presolve = False
    solver.parameters.linearization_level = 0
    solver.parameters.stop_after_first_solution = fix_hinted
    code = solver.Solve(clone)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return list(solver.ResponseProto().solution)
    return None


def add_hint(ctx: ModelContext, seconds: float | None = None) -> str:
    """Hint the model from ``params.hint`` (and ``fixed``); return how ("", full, repaired...).

    CP-SAT uses a hint far better when it is complete, so the hinted pairs are fixed in
    a clone of the model and the rest (auxiliaries: shortfalls, day-worked flags...)
    solved by propagation. If the hinted roster breaks a hard rule, the clone instead
    keeps only pairs of the hint and repairs it (a small search). If even that fails,
    only the pairs are hinted (1 if hinted, else 0).
    """
    if not ctx.params.hint and not ctx.params.fixed:
        return ""
    if seconds is None:
        seconds = min(3.0, max(0.2, ctx.params.time_limit / 4))
    hint = set((ctx.params.hint | ctx.params.fixed) & ctx.x.keys())
    ctx.stats["hinted_pairs"] = len(hint)
    how = "full"
    values = _completion(ctx, hint, True, seconds)
    if values is None:
        how = "repaired (the hint breaks a hard rule)"
        values = _completion(ctx, hint, False, seconds)
    target = ctx.model.Proto().solution_hint
    target.vars.clear()
    target.values.clear()
    if values is not None:
        target.vars.extend(range(len(values)))
        target.values.extend(values)
    else:
        how = "pairs only (no repair found)"
        for pair, var in ctx.x.items():
            target.vars.append(var.Index())
            target.values.append(int(pair in hint))
    ctx.stats["hint"] = how
    return how


def build_model(problem: Problem, params: SolveParams, explain: bool = False) -> ModelContext:
    """The full model: one Boolean per eligible pair, every family, hint and objective.

    With ``explain`` the rules that can contradict each other (minimum totals and runs,
    fixed pairs, frozen occurrences, the change cap) are guarded by assumption literals
    (``ctx.assumptions``) so an infeasible solve can name them.
    """
    model = cp_model.CpModel()
    ctx = create_pair_vars(problem, params, model, explain=explain)
    constraints = model.Proto().constraints
    for name, add in FAMILIES:
        first = len(constraints)
        add(ctx)
        ctx.family_rows[name] = range(first, len(constraints))
    set_objective(ctx)
    if not explain:
        add_hint(ctx)
    return ctx
