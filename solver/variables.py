"""Decision variables and the context every constraint family works on.

One Boolean ``x[(o, v)]`` exists per *eligible* pair only (``problem.eligible``),
so every pair pruned by :mod:`scheduler.problem` is 0 by construction. Derived
variables (day worked, total minutes) are created lazily, once, and shared by the
families that need them. Costs are collected as (integer coefficient, expression)
in internal units: ``SCALE`` (60) times the cost of the brief, so that fairness,
which is priced per hour of spread, is an integer per minute.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from scheduler.problem import Problem
from solver.types import Pair, SolveParams

SCALE = 60
"""Internal objective = SCALE * cost (fairness is per hour, minutes are the unit)."""

Lit = cp_model.IntVar | bool
"""A Boolean variable, or a constant where the value is known when building."""


@dataclass
class ModelContext:
    """A CP-SAT model under construction, with everything families share."""

    problem: Problem
    params: SolveParams
    model: cp_model.CpModel
    x: dict[Pair, cp_model.IntVar]
    occ_vars: list[list[tuple[int, cp_model.IntVar]]]
    """Per occurrence: (volunteer, var) of its eligible pairs."""
    vol_vars: list[list[tuple[int, cp_model.IntVar]]]
    """Per volunteer: (occurrence, var) in time order."""
    explain: bool = False
    """Build assumption literals around the rules that can make a model infeasible."""
    costs: list[tuple[int, Any]] = field(default_factory=list)
    cost_constant: int = 0
    assumptions: list[tuple[cp_model.IntVar, str]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    aux: dict[str, Any] = field(default_factory=dict)
    """Named auxiliary variables later phases read (e.g. fairness' ``minutes_max``)."""
    family_rows: dict[str, range] = field(default_factory=dict)
    """Per family, the proto constraint indices it added (the LP may leave some out)."""
    _worked: dict[tuple[int, int], Lit] = field(default_factory=dict)
    _total: dict[int, cp_model.IntVar] = field(default_factory=dict)
    _clique: dict[tuple[int, int], bool] = field(default_factory=dict)
    _by_day: dict[int, dict[int, list[tuple[int, cp_model.IntVar]]]] = field(default_factory=dict)

    # --- costs -------------------------------------------------------------------------
    def add_cost(self, expr: Any, weight: int) -> None:
        """Add ``weight * expr`` (weight in cost units) to the objective."""
        if weight:
            self.costs.append((weight * SCALE, expr))

    def add_constant_cost(self, weight: int) -> None:
        self.cost_constant += weight * SCALE

    def count(self, family: str, n: int = 1) -> None:
        """Count constraints or variables a family added (reported in Solution.stats)."""
        self.stats[family] = self.stats.get(family, 0) + n

    # --- explanations ------------------------------------------------------------------
    def assumption(self, description: str) -> list[cp_model.IntVar]:
        """Enforcement literals for a rule that may contradict others ([] unless explaining).

        Use as ``model.Add(...).OnlyEnforceIf(ctx.assumption("..."))``; when the
        solve is infeasible, the assumptions in the core name the culprits.
        """
        if not self.explain:
            return []
        lit = self.model.NewBoolVar(f"assume[{len(self.assumptions)}]")
        self.assumptions.append((lit, description))
        return [lit]

    # --- derived variables -------------------------------------------------------------
    def by_day(self, v: int) -> dict[int, list[tuple[int, cp_model.IntVar]]]:
        """Volunteer ``v``'s pairs grouped by the horizon day their shift starts."""
        if v not in self._by_day:
            days: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
            for o, var in self.vol_vars[v]:
                days.setdefault(self.problem.occurrences[o].day, []).append((o, var))
            self._by_day[v] = days
        return self._by_day[v]

    def day_is_clique(self, v: int, d: int) -> bool:
        """Any two of ``v``'s shifts starting on day ``d`` conflict (rest or overlap).

        Then rest allows at most one of them, so per-day caps a single shift satisfies
        are redundant and the day-worked flag is simply their sum.
        """
        key = (v, d)
        if key not in self._clique:
            occ = self.problem.occurrences
            pairs = self.by_day(v).get(d, [])
            rest = (self.problem.limits[v].min_rest_minutes or 0) * 60
            if len(pairs) < 2:
                self._clique[key] = True
            else:
                last_start = max(occ[o].start.timestamp() for o, _ in pairs)
                first_end = min(occ[o].end.timestamp() for o, _ in pairs)
                self._clique[key] = last_start < first_end + rest
        return self._clique[key]

    def worked(self, v: int, d: int) -> Lit:
        """w[v, d]: volunteer ``v`` has a shift starting on day ``d`` (exact, both ways)."""
        key = (v, d)
        if key not in self._worked:
            pairs = self.by_day(v).get(d, [])
            lit: Lit
            if not pairs:
                lit = False
            elif len(pairs) == 1:
                lit = pairs[0][1]
            else:
                lit = self.model.NewBoolVar(f"w[{v},{d}]")
                xs = [var for _, var in pairs]
                if self.day_is_clique(v, d) or self.problem.limits[v].max_shifts_per_day == 1:
                    # at most one shift that day (rest, or the per-day cap posted by hours):
                    # w is simply their sum, which is also the tightest LP relaxation
                    self.model.Add(lit == sum(xs))
                else:
                    for var in xs:
                        self.model.AddImplication(var, lit)
                    self.model.AddBoolOr(xs).OnlyEnforceIf(lit)
                self.count("worked_day_vars")
            self._worked[key] = lit
        return self._worked[key]

    def minutes_expr(self, v: int) -> Any:
        occ = self.problem.occurrences
        return cp_model.LinearExpr.WeightedSum(
            [var for _, var in self.vol_vars[v]], [occ[o].minutes for o, _ in self.vol_vars[v]]
        )

    def total_minutes(self, v: int) -> cp_model.IntVar:
        """An integer variable equal to volunteer ``v``'s total minutes."""
        if v not in self._total:
            occ = self.problem.occurrences
            ub = sum(occ[o].minutes for o, _ in self.vol_vars[v])
            t = self.model.NewIntVar(0, ub, f"minutes[{v}]")
            self.model.Add(t == self.minutes_expr(v))
            self._total[v] = t
        return self._total[v]


def add_clause(model: cp_model.CpModel, lits: Sequence[Lit], enforce: Sequence[Any] = ()) -> bool:
    """Add OR(lits) where some literals may be constants; False if trivially satisfied."""
    clause = []
    for lit in lits:
        if lit is True:
            return False
        if lit is False:
            continue
        clause.append(lit)
    model.AddBoolOr(clause).OnlyEnforceIf(list(enforce))
    return True


def add_at_most(model: cp_model.CpModel, lits: Sequence[Any], cap: int) -> None:
    """Post sum(lits) <= cap: each literal fixed to 0 for a cap of 0, AtMostOne for 1."""
    if cap == 0:
        for lit in lits:
            model.Add(lit == 0)
    elif cap == 1:
        model.AddAtMostOne(lits)
    else:
        model.Add(sum(lits) <= cap)


def negate(lit: Lit) -> Lit:
    if isinstance(lit, bool):
        return not lit
    return lit.Not()


def create_pair_vars(
    problem: Problem, params: SolveParams, model: cp_model.CpModel, explain: bool = False
) -> ModelContext:
    """One Boolean per eligible (occurrence, volunteer) pair, indexed both ways."""
    x: dict[Pair, cp_model.IntVar] = {}
    occ_vars: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in problem.occurrences]
    vol_vars: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in problem.volunteers]
    for o, vols in enumerate(problem.eligible):
        for v in vols:
            var = model.NewBoolVar(f"x[{o},{v}]")
            x[(o, v)] = var
            occ_vars[o].append((v, var))
            vol_vars[v].append((o, var))
    start = [occ.start.timestamp() for occ in problem.occurrences]
    for lst in vol_vars:
        lst.sort(key=lambda t: (start[t[0]], t[0]))
    ctx = ModelContext(
        problem=problem,
        params=params,
        model=model,
        x=x,
        occ_vars=occ_vars,
        vol_vars=vol_vars,
        explain=explain,
    )
    ctx.count("pairs", len(x))
    return ctx
