"""LNS sub-problems: a set S of volunteers, optionally free only in a window W of days.

The sub-problem keeps only S's volunteers; outside W their pairs are the incumbent's
(eligible only where assigned, and fixed), inside W they are free; every occurrence's need
(and skill requirement) is reduced by the people outside S who already work it. Its CP-SAT
model (:func:`solver.model.build_model`) prices exactly the change in the full cost when
S's rows change (volunteers are coupled only through cover and skills). Windows are cut
to whole weeks around W (widened by the longest run rule), with S's totals, shift caps and
weekends reduced by their fixed shifts outside.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable

from ortools.sat.python import cp_model

from scheduler.cost import total_cost
from scheduler.limits import Limits
from scheduler.problem import Problem
from solver.model import build_model
from solver.objective import objective_expr, to_cost
from solver.types import Pair, SolveParams
from solver.variables import ModelContext

SUB_WORKERS = 1
"""CP-SAT workers per sub-solve (small models: one LP worker proves them fastest)."""
LINEARIZATION = 2
TIE_BREAK_SCALE = 1000
"""The least M of :func:`prefer_weekday_shortfall`'s objective M * cost + tie-break."""


@dataclasses.dataclass(frozen=True)
class Sub:
    """A sub-problem, its hint and fixed pairs (its own indices) and the index maps back."""

    problem: Problem
    hint: frozenset[Pair]
    fixed: frozenset[Pair]
    occ_map: tuple[int, ...]  # sub occurrence -> original occurrence
    staff: tuple[int, ...]  # sub volunteer -> original volunteer

    def back(self, pairs: Iterable[Pair]) -> set[Pair]:
        return {(self.occ_map[o], self.staff[v]) for o, v in pairs}


def _region(problem: Problem, staff: list[int], window: range) -> range:
    """``window`` widened by the longest run rule of ``staff`` each side, in whole weeks
    (so every run rule and weekend is exact inside it), clipped to the horizon."""
    days = problem.config.horizon.days
    margin = 1
    for v in staff:
        lim = problem.limits[v]
        for k in (lim.max_consecutive_days, lim.min_consecutive_days, lim.min_consecutive_days_off):
            margin = max(margin, k or 0)
    lo = max(0, (window.start - margin) // 7 * 7)
    hi = min(days, -(-(window.stop + margin) // 7) * 7)
    return range(lo, hi)


def _outside_limits(problem: Problem, v: int, pairs: list[int], region: range) -> Limits:
    """v's limits over ``region`` given v's fixed shifts (``pairs``) outside it."""
    lim = problem.limits[v]
    occ = problem.occurrences
    out = [o for o in pairs if occ[o].day not in region]
    minutes = sum(occ[o].minutes for o in out)
    names = Counter(occ[o].shift for o in out)
    weekends = len({occ[o].day // 7 for o in out if occ[o].date.weekday() >= 5})
    return dataclasses.replace(
        lim,
        max_total_minutes=None if lim.max_total_minutes is None
        else lim.max_total_minutes - minutes,
        min_total_minutes=None if lim.min_total_minutes is None
        else max(0, lim.min_total_minutes - minutes),
        max_weekends=None if lim.max_weekends is None else lim.max_weekends - weekends,
        max_shifts={k: n - names.get(k, 0) for k, n in lim.max_shifts.items()},
    )  # fmt: skip


def subproblem(
    problem: Problem, staff: list[int], incumbent: set[Pair], window: range | None = None
) -> Sub:
    """The sub-problem of ``staff`` (over the whole horizon, or free only in ``window``).

    Built in one pass over ``incumbent`` (not three) and, for S's volunteers, over the
    region's days only (``Problem.by_day``), not their whole horizon: on Curtois & Qu
    Instance24 (364 days), about 48 ms a step instead of 90 ms, with the same result."""
    local = {v: i for i, v in enumerate(staff)}
    others: Counter[int] = Counter()
    assigned: dict[int, list[int]] = {v: [] for v in staff}
    for o, v in incumbent:
        if v in local:
            assigned[v].append(o)
        else:
            others[o] += 1
    region = range(problem.config.horizon.days) if window is None else (
        _region(problem, staff, window))  # fmt: skip
    first = region.start
    days = problem.by_day
    # only occurrences someone in S may work: the others' cost is a constant here
    cands: dict[int, list[int]] = {}
    for v in staff:
        mine_v = set(assigned[v])
        per_day = days[v]
        for d in region:
            inside = window is None or d in window
            for o in per_day[d]:
                row = cands.setdefault(o, [])
                if inside or o in mine_v:
                    row.append(v)
    occ_map = sorted(cands)
    skilled = _skilled(problem, incumbent, local, occ_map)
    occs = []
    for i, o in enumerate(occ_map):
        occ = problem.occurrences[o]
        n = others.get(o, 0)
        req = tuple((s, r - skilled[(o, s)]) for s, r in occ.require if r > skilled[(o, s)])
        occs.append(dataclasses.replace(
            occ, index=i, need=max(0, occ.need - n), require=req,
            day=occ.day - first, week=occ.week - first // 7,
        ))  # fmt: skip
    sub_of = {o: i for i, o in enumerate(occ_map)}
    eligible, fixed = [], set()
    for i, o in enumerate(occ_map):
        inside = window is None or problem.occurrences[o].day in window
        row = [local[v] for v in sorted(cands[o])]  # in the order of problem.eligible[o]
        if not inside:
            fixed.update((i, u) for u in row)
        eligible.append(tuple(row))
    limits = [problem.limits[v] for v in staff]
    config = problem.config
    if window is not None:
        limits = [_outside_limits(problem, v, assigned[v], region) for v in staff]
        horizon = config.horizon.model_copy(
            update={"start": config.horizon.start + dt.timedelta(days=first), "days": len(region)}
        )
        config = config.model_copy(update={"horizon": horizon})  # fmt: skip
    sub = dataclasses.replace(
        problem,
        plan=problem.plan.model_copy(update={"config": config}),
        occurrences=tuple(occs),
        volunteers=tuple(problem.volunteers[v] for v in staff),
        limits=tuple(limits),
        eligible=tuple(eligible),
    )
    hint = frozenset((sub_of[o], local[v]) for v in staff for o in assigned[v] if o in sub_of)
    return Sub(sub, hint, frozenset(fixed), tuple(occ_map), tuple(staff))


def _skilled(
    problem: Problem, incumbent: set[Pair], local: dict[int, int], occ_map: list[int]
) -> Counter[tuple[int, str]]:
    """People outside S who work each of ``occ_map``'s occurrences, per skill (a pass over
    ``incumbent`` only where some of them require a skill)."""
    skilled: Counter[tuple[int, str]] = Counter()
    occ = problem.occurrences
    wanted = {o for o in occ_map if occ[o].require}
    if wanted:
        for o, v in incumbent:
            if o in wanted and v not in local:
                for skill in problem.volunteers[v].skills:
                    skilled[(o, skill)] += 1
    return skilled


def _resolve(
    problem: Problem, staff: list[int], incumbent: set[Pair], window: range | None,
    params: SolveParams, limit: float, seed: int,
) -> tuple[set[Pair] | None, bool, float, float]:  # fmt: skip
    """Re-solve ``staff`` (in ``window``): the new roster (None if none was found), whether
    the sub-problem was proved optimal, the cost it saves (negative: worse) and CP-SAT's
    own seconds (model building excluded)."""
    sub = subproblem(problem, staff, incumbent, window)
    sub_params = SolveParams(time_limit=limit, workers=params.workers, seed=seed,
                             hint=sub.hint, fixed=sub.fixed)  # fmt: skip
    ctx = build_model(sub.problem, sub_params)
    shaped = prefer_weekday_shortfall(ctx)
    found, optimal, objective, seconds = _cp_solve(ctx, limit, seed)
    if found is None:
        return None, False, 0.0, seconds
    if shaped:
        objective = float(total_cost(sub.problem, found))
    gain = float(total_cost(sub.problem, sub.hint)) - objective
    chosen = set(staff)
    region = set(sub.occ_map)
    kept = {p for p in incumbent if p[1] not in chosen or p[0] not in region}
    kept |= sub.back(found)
    return kept, optimal, gain, seconds


def prefer_weekday_shortfall(ctx: ModelContext) -> bool:
    """Among rosters of equal cost, prefer those whose shortfall falls on weekdays, where
    a plan caps the weekends its volunteers work (``max_weekends``); True if applied.

    The objective becomes M * cost + (people short on Saturdays and Sundays), M above
    the largest that count can be, so no cheaper roster loses to a dearer one. Where
    weekends are capped, a shortfall on a weekend is the hard one to fill: everyone free
    that day may have worked their weekends already (Curtois & Qu Instance13: 249 of 250
    staff-weekends used, every missing person on a weekend). A sub-solve can then trade
    it, at no cost, for a shortfall on a weekday (someone works the weekend day and gives
    up a weekday shift), which a later one fills with someone below their maximum hours.
    Instance13, 60 s, seeds 1-4: 2 282, 1 928, 2 325, 1 895, against 2 354, 2 088,
    2 507 without (seeds 1-3) and 2 289 in a full run."""
    problem = ctx.problem
    shortfall = ctx.aux.get("shortfall")
    if not shortfall or all(lim.max_weekends is None for lim in problem.limits):
        return False
    weekend = [o for o in shortfall if problem.occurrences[o].date.weekday() >= 5]
    if not weekend:
        return False
    # M at least TIE_BREAK_SCALE: with M just above the count, CP-SAT's search did worse
    # (Instance13, seeds 1-3: 2 429, 2 621, 2 231; with 1 000: 2 282, 1 928, 2 325)
    m = max(TIE_BREAK_SCALE, 1 + sum(problem.occurrences[o].need for o in weekend))
    ctx.model.Minimize(m * objective_expr(ctx) + sum(shortfall[o] for o in weekend))
    return True


def _cp_solve(
    ctx: ModelContext, limit: float, seed: int, workers: int | None = None
) -> tuple[list[Pair] | None, bool, float, float]:
    """Solve a sub-problem's model with the LNS settings: (pairs or None, optimal, cost,
    CP-SAT's wall seconds)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, limit)
    solver.parameters.num_workers = workers or SUB_WORKERS
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = LINEARIZATION
    code = solver.Solve(ctx.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False, 0.0, solver.wall_time
    pairs = [pair for pair, var in ctx.x.items() if solver.BooleanValue(var)]
    cost = to_cost(solver.ObjectiveValue()) if ctx.model.HasObjective() else 0.0
    return pairs, code == cp_model.OPTIMAL, float(cost), solver.wall_time
