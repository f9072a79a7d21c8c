"""Large-neighbourhood search on top of rota's CP-SAT model.

``solve_lns(problem, params)`` works on *sub-problems*: a set S of volunteers, optionally
restricted to a window W of days. The sub-problem keeps only S's volunteers; outside W
their pairs are the incumbent's (eligible only where assigned, and fixed), inside W they
are free; every occurrence's need (and skill requirement) is reduced by the people
outside S who already work it. Its CP-SAT model (:func:`solver.model.build_model`, so
every rule of S's volunteers is rota's own) then prices exactly the change in the full
cost when S's rows change, because volunteers are coupled only through cover (and
skills): that holds when ``weights.fairness`` and ``weights.team_split`` are unused,
which :func:`applicable` checks (otherwise :func:`solve_lns` is plain CP-SAT).

1. *Construct*: volunteers one at a time (most constrained first), each solved alone
   against the cover left by those before: every volunteer's own hard rules hold.
2. *Full model* (small problems only): CP-SAT on the whole model hinted with that roster,
   for a share of the time; its bound is the one reported.
3. *LNS* until the time limit: free a few volunteers over the whole horizon, or more
   volunteers over a window of days, re-solve hinted with the incumbent in a short
   slice, keep the result when it is no worse. Sizes adapt (a slice proved optimal
   grows its neighbourhood, a slice that ran out shrinks it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterable

from ortools.sat.python import cp_model

from scheduler.cost import total_cost
from scheduler.limits import Limits
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.model import FAMILIES, build_model
from solver.objective import to_cost
from solver.solve import solve, solve_context
from solver.types import Pair, Solution, SolveParams
from solver.variables import ModelContext, create_pair_vars

FULL_MODEL_MAX_PAIRS = 20_000
"""Run phase 2 (the whole model) only up to this many pair variables."""
FULL_SHARE = 0.1
GREEDY_ROWS = True
ROW_SLICE = 0.2
GREEDY_ROWS_MAX_SLOTS = 182 * 8
"""Above this many (day, shift name) slots, rows start from any feasible row (cheaper)."""
SLICE = (0.2, 1.0)
SUB_WORKERS = 1
"""CP-SAT workers per sub-solve (small models: one LP worker proves them fastest)."""
LINEARIZATION = 2
WINDOW_SHARE = 0.5
"""Share of LNS steps that free a window of days (the rest free whole rows)."""


def applicable(problem: Problem) -> bool:
    """Sub-problems price changes exactly: no fairness and no team terms, no re-planning."""
    w = problem.config.weights
    teams = any(v.team for v in problem.volunteers)
    return not w.fairness and not (w.team_split and teams)


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
    """The sub-problem of ``staff`` (over the whole horizon, or free only in ``window``)."""
    local = {v: i for i, v in enumerate(staff)}
    others = Counter(o for o, v in incumbent if v not in local)
    skilled: Counter[tuple[int, str]] = Counter()
    for o, v in incumbent:
        if v not in local:
            for skill in problem.volunteers[v].skills:
                skilled[(o, skill)] += 1
    region = range(problem.config.horizon.days) if window is None else (
        _region(problem, staff, window))  # fmt: skip
    first = region.start
    # only occurrences someone in S may work: the others' cost is a constant here
    occ_map = sorted(
        {o for v in staff for o in problem.by_volunteer[v] if problem.occurrences[o].day in region}
    )
    occs = []
    for i, o in enumerate(occ_map):
        occ = problem.occurrences[o]
        n = others.get(o, 0)
        req = tuple((s, r - skilled[(o, s)]) for s, r in occ.require if r > skilled[(o, s)])
        occs.append(dataclasses.replace(
            occ, index=i, need=max(0, occ.need - n), require=req,
            day=occ.day - first, week=occ.week - first // 7,
        ))  # fmt: skip
    mine = {(o, v) for o, v in incumbent if v in local}
    sub_of = {o: i for i, o in enumerate(occ_map)}
    eligible, fixed = [], set()
    for i, o in enumerate(occ_map):
        inside = window is None or problem.occurrences[o].day in window
        row = []
        for v in problem.eligible[o]:
            if v in local and (inside or (o, v) in mine):
                row.append(local[v])
                if not inside:
                    fixed.add((i, local[v]))
        eligible.append(tuple(row))
    limits = [problem.limits[v] for v in staff]
    config = problem.config
    if window is not None:
        assigned = {v: [o for o, u in mine if u == v] for v in staff}
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
    hint = frozenset((sub_of[o], local[v]) for o, v in mine if o in sub_of)
    return Sub(sub, hint, frozenset(fixed), tuple(occ_map), tuple(staff))


def _resolve(
    problem: Problem, staff: list[int], incumbent: set[Pair], window: range | None,
    params: SolveParams, limit: float, seed: int,
) -> tuple[set[Pair] | None, bool, float]:  # fmt: skip
    """Re-solve ``staff`` (in ``window``): the new roster (None if none was found), whether
    the sub-problem was proved optimal, and the cost it saves (negative: worse)."""
    sub = subproblem(problem, staff, incumbent, window)
    sub_params = SolveParams(time_limit=limit, workers=params.workers, seed=seed,
                             hint=sub.hint, fixed=sub.fixed)  # fmt: skip
    found, optimal, objective = _cp_solve(build_model(sub.problem, sub_params), limit, seed)
    if found is None:
        return None, False, 0.0
    gain = float(total_cost(sub.problem, sub.hint)) - objective
    chosen = set(staff)
    region = set(sub.occ_map)
    kept = {p for p in incumbent if p[1] not in chosen or p[0] not in region}
    kept |= sub.back(found)
    return kept, optimal, gain


def _cp_solve(
    ctx: ModelContext, limit: float, seed: int, workers: int | None = None
) -> tuple[list[Pair] | None, bool, float]:
    """Solve a sub-problem's model with the LNS settings: (pairs or None, optimal, cost)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, limit)
    solver.parameters.num_workers = workers or SUB_WORKERS
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = LINEARIZATION
    code = solver.Solve(ctx.model)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, False, 0.0
    pairs = [pair for pair, var in ctx.x.items() if solver.BooleanValue(var)]
    cost = to_cost(solver.ObjectiveValue()) if ctx.model.HasObjective() else 0.0
    return pairs, code == cp_model.OPTIMAL, float(cost)


COST_ONLY = frozenset({"skills", "travel", "preferences", "team", "fairness"})
"""Families that only add costs (their hard sides are eligibility pruning)."""


def _feasible_row(
    problem: Problem, v: int, params: SolveParams, limit: float, seed: int
) -> set[Pair] | None:
    """Any roster of volunteer ``v`` alone that keeps v's hard rules: a model of the hard
    families only (cover too when over-cover is forbidden), no objective."""
    sub = subproblem(problem, [v], set())
    sub_params = SolveParams(time_limit=limit, workers=params.workers, seed=params.seed)
    ctx = create_pair_vars(sub.problem, sub_params, cp_model.CpModel())
    soft_cover = problem.config.weights.over_cover is not None
    for name, add in FAMILIES:
        if name not in COST_ONLY and not (name == "coverage" and soft_cover):
            add(ctx)
    found, _, _ = _cp_solve(ctx, limit, seed, workers=max(2, params.workers))
    return None if found is None else sub.back(found)


def construct(
    problem: Problem, params: SolveParams, deadline: float, greedy_rows: bool = False
) -> set[Pair] | None:
    """A roster that keeps every volunteer's hard rules, volunteer by volunteer.

    With ``greedy_rows`` each volunteer (fewest eligible pairs first) is solved alone
    against the cover left by those before, in a short slice; otherwise (and when that
    finds nothing) any row that keeps the volunteer's rules is taken. None when some
    volunteer has no such row.
    """
    rng = random.Random(params.seed)
    order = sorted(range(len(problem.volunteers)),
                   key=lambda v: (len(problem.by_volunteer[v]), rng.random()))  # fmt: skip
    roster: set[Pair] = set()
    for i, v in enumerate(order):
        left = deadline - time.monotonic()
        got = None
        if greedy_rows and left > 0:
            share = min(ROW_SLICE, max(0.1, left / max(1, len(order) - i) * 0.8))
            got, _, _ = _resolve(problem, [v], roster, None, params, share, rng.randrange(1 << 30))
        if got is None:
            row = None
            for attempt, limit in enumerate((max(10.0, left), 30.0, 60.0)):
                row = _feasible_row(problem, v, params, limit, params.seed + attempt)
                if row is not None:
                    break
            if row is None:
                return None
            got = roster | row
        roster = got
    return roster


def solve_lns(problem: Problem, params: SolveParams) -> Solution:
    """Construct, (full CP-SAT,) then LNS until ``params.time_limit`` seconds (wall clock)."""
    if not applicable(problem) or params.previous is not None or params.fixed:
        return solve(problem, params)
    t0 = time.monotonic()
    deadline = t0 + params.time_limit
    stats: dict[str, object] = {"method": "lns"}
    horizon = problem.config.horizon.days
    names = len({o.shift for o in problem.occurrences})
    greedy_rows = GREEDY_ROWS and horizon * names <= GREEDY_ROWS_MAX_SLOTS
    stats["greedy_rows"] = greedy_rows
    roster = construct(problem, params, t0 + 0.5 * params.time_limit, greedy_rows)
    if roster is None:
        return solve(problem, dataclasses.replace(params, time_limit=deadline - time.monotonic()))
    stats["construct_objective"] = total_cost(problem, roster)
    stats["construct_seconds"] = round(time.monotonic() - t0, 2)
    bound = None
    if problem.n_pairs <= FULL_MODEL_MAX_PAIRS:
        share = max(FULL_SHARE * params.time_limit, min(5.0, params.time_limit / 2))
        limit = min(deadline - time.monotonic(), share)
        full = solve_context(
            build_model(problem, dataclasses.replace(params, hint=frozenset(roster))), limit
        )
        stats["full_status"] = str(full.status)
        if full.status.has_roster:
            bound = full.bound
            if total_cost(problem, full.assignments) <= total_cost(problem, roster):
                roster = set(full.assignments)
            if full.status is Status.optimal:
                deadline = time.monotonic()
    roster = _lns(problem, params, roster, deadline, bound, stats)
    objective = total_cost(problem, roster)
    proved = bound is not None and objective <= bound
    return Solution(
        status=Status.optimal if proved else Status.feasible,
        objective=objective,
        bound=bound,
        assignments=tuple(sorted(roster)),
        seconds=time.monotonic() - t0,
        stats=stats,
    )


def _window_start(problem: Problem, roster: set[Pair], span: int, rng: random.Random) -> int:
    """A window start: around a day drawn by its uncovered need (uniform if none left)."""
    days = problem.config.horizon.days
    last = max(0, days - span)
    staffed = Counter(o for o, _ in roster)
    short = [0] * days
    for occ in problem.occurrences:
        short[occ.day] += max(0, occ.need - staffed.get(occ.index, 0)) * occ.priority
    if rng.random() < 0.3 or not any(short):
        return rng.randrange(0, last + 1)
    day = rng.choices(range(days), weights=short)[0]
    return min(last, max(0, day - rng.randrange(0, span)))


def _lns(
    problem: Problem, params: SolveParams, roster: set[Pair], deadline: float,
    bound: float | None, stats: dict[str, object],
) -> set[Pair]:  # fmt: skip
    """Re-solve random neighbourhoods until ``deadline``: ``rows`` (k volunteers over the
    horizon) and ``window`` (up to m volunteers over ``span`` days); k, m and span adapt."""
    rng = random.Random(params.seed + 7)
    nvol, days = len(problem.volunteers), problem.config.horizon.days
    k, m, span = 2.0, float(min(nvol, 40)), float(min(days, 7))
    p_window = WINDOW_SHARE if days > 14 else 0.0
    count: Counter[str] = Counter()
    cost = total_cost(problem, roster)
    while time.monotonic() < deadline - SLICE[0] and (bound is None or cost > bound + 1e-9):
        window = None
        kind = "window" if rng.random() < p_window else "rows"
        if kind == "window":
            staff = sorted(rng.sample(range(nvol), max(1, min(nvol, round(m)))))
            a = _window_start(problem, roster, round(span), rng)
            window = range(a, a + round(span))
        else:
            staff = sorted(rng.sample(range(nvol), max(1, min(nvol, round(k)))))
        limit = min(SLICE[1], max(SLICE[0], deadline - time.monotonic()))
        started = time.monotonic()
        got, optimal, gain = _resolve(problem, staff, roster, window, params, limit,
                                      rng.randrange(1 << 30))  # fmt: skip
        count[kind] += 1
        count[f"{kind}_optimal"] += optimal
        fast = optimal and time.monotonic() - started < limit / 2
        if window is None:
            k = min(nvol, k * 1.15) if fast else max(1.0, k * 0.9)
        elif fast:
            span, m = min(days, span * 1.15), min(nvol, m * 1.1)
        else:
            span, m = max(2.0, span * 0.9), max(2.0, m * 0.95)
        if got is not None and gain > -1e-9:
            roster = got
            if gain > 1e-9:
                count[f"{kind}_better"] += 1
                cost -= gain
    stats.update({f"lns_{key}": n for key, n in sorted(count.items())})
    stats.update(lns_k=round(k, 1), lns_m=round(m, 1), lns_span=round(span, 1))
    return roster
