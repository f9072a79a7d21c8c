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
import random
import time
from collections import Counter

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver.model import build_model
from solver.solve import solve, solve_context
from solver.types import Pair, Solution, SolveParams

FULL_MODEL_MAX_PAIRS = 60_000
"""Run phase 2 (the whole model) only up to this many pair variables."""
FULL_SHARE = 0.3
SLICE = (0.3, 2.0)


def applicable(problem: Problem) -> bool:
    """Sub-problems price changes exactly: no fairness and no team terms, no re-planning."""
    w = problem.config.weights
    teams = any(v.team for v in problem.volunteers)
    return not w.fairness and not (w.team_split and teams)


def subproblem(
    problem: Problem, staff: list[int], incumbent: set[Pair], window: range | None = None
) -> tuple[Problem, frozenset[Pair], frozenset[Pair]]:
    """The sub-problem of ``staff`` (and window); returns it with its hint and fixed pairs."""
    local = {v: i for i, v in enumerate(staff)}
    others = Counter(o for o, v in incumbent if v not in local)
    skilled: Counter[tuple[int, str]] = Counter()
    for o, v in incumbent:
        if v not in local:
            for skill in problem.volunteers[v].skills:
                skilled[(o, skill)] += 1
    occs = []
    for occ in problem.occurrences:
        n = others.get(occ.index, 0)
        if n or occ.require:
            req = tuple(
                (s, r - skilled[(occ.index, s)]) for s, r in occ.require
                if r > skilled[(occ.index, s)]
            )  # fmt: skip
            occ = dataclasses.replace(occ, need=max(0, occ.need - n), require=req)
        occs.append(occ)
    mine = {(o, local[v]) for o, v in incumbent if v in local}
    eligible, fixed = [], set()
    for o, vols in enumerate(problem.eligible):
        inside = window is None or problem.occurrences[o].day in window
        row = []
        for v in vols:
            if v in local and (inside or (o, local[v]) in mine):
                row.append(local[v])
                if not inside:
                    fixed.add((o, local[v]))
        eligible.append(tuple(row))
    sub = dataclasses.replace(
        problem,
        occurrences=tuple(occs),
        volunteers=tuple(problem.volunteers[v] for v in staff),
        limits=tuple(problem.limits[v] for v in staff),
        eligible=tuple(eligible),
    )
    return sub, frozenset(mine), frozenset(fixed)


def _resolve(
    problem: Problem, staff: list[int], incumbent: set[Pair], window: range | None,
    params: SolveParams, limit: float, seed: int,
) -> tuple[set[Pair] | None, bool, float]:  # fmt: skip
    """Re-solve ``staff`` (in ``window``): the new roster (None if none was found), whether
    the sub-problem was proved optimal, and the cost it saves (negative: worse)."""
    sub, hint, fixed = subproblem(problem, staff, incumbent, window)
    sub_params = SolveParams(time_limit=limit, workers=params.workers, seed=seed,
                             hint=hint, fixed=fixed)  # fmt: skip
    sol = solve_context(build_model(sub, sub_params), limit)
    if not sol.status.has_roster or sol.objective is None:
        return None, False, 0.0
    gain = float(total_cost(sub, hint)) - float(sol.objective)
    chosen = set(staff)
    kept = {p for p in incumbent if p[1] not in chosen}
    kept |= {(o, staff[v]) for o, v in sol.assignments}
    return kept, sol.status is Status.optimal, gain


def construct(problem: Problem, params: SolveParams, deadline: float) -> set[Pair] | None:
    """Volunteers one by one (fewest eligible pairs first), each alone against the cover left."""
    rng = random.Random(params.seed)
    order = sorted(range(len(problem.volunteers)),
                   key=lambda v: (len(problem.by_volunteer[v]), rng.random()))  # fmt: skip
    roster: set[Pair] = set()
    for i, v in enumerate(order):
        left = deadline - time.monotonic()
        share = max(0.2, left / max(1, len(order) - i) * 0.8)
        got, _, _ = _resolve(problem, [v], roster, None, params, share, rng.randrange(1 << 30))
        if got is None:  # no roster for v alone in time: retry with all that is left
            got, _, _ = _resolve(problem, [v], roster, None, params, max(1.0, left), 1)
            if got is None:
                return None
        roster = got
    return roster


def solve_lns(problem: Problem, params: SolveParams) -> Solution:
    """Construct, (full CP-SAT,) then LNS until ``params.time_limit`` seconds (wall clock)."""
    if not applicable(problem) or params.previous is not None or params.fixed:
        return solve(problem, params)
    t0 = time.monotonic()
    deadline = t0 + params.time_limit
    stats: dict[str, object] = {"method": "lns"}
    roster = construct(problem, params, t0 + 0.5 * params.time_limit)
    if roster is None:
        return solve(problem, dataclasses.replace(params, time_limit=deadline - time.monotonic()))
    stats["construct_objective"] = total_cost(problem, roster)
    stats["construct_seconds"] = round(time.monotonic() - t0, 2)
    bound = None
    if problem.n_pairs <= FULL_MODEL_MAX_PAIRS:
        limit = min(deadline - time.monotonic(), FULL_SHARE * params.time_limit)
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
    roster, tries, better = _lns(problem, params, roster, deadline, bound)
    stats.update(lns_tries=tries, lns_improvements=better)
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


def _lns(
    problem: Problem, params: SolveParams, roster: set[Pair], deadline: float,
    bound: float | None,
) -> tuple[set[Pair], int, int]:  # fmt: skip
    rng = random.Random(params.seed + 7)
    nvol, days = len(problem.volunteers), problem.config.horizon.days
    cap = max(2.0, nvol / 2)
    size = {"rows": min(cap, 3.0), "window": min(cap, 8.0)}
    span = min(days, 14)
    tries = better = 0
    cost = total_cost(problem, roster)
    while time.monotonic() < deadline - SLICE[0] and (bound is None or cost > bound):
        kind = "rows" if days <= 28 or rng.random() < 0.5 else "window"
        k = max(1, min(nvol, round(size[kind])))
        staff = sorted(rng.sample(range(nvol), k))
        window = None
        if kind == "window":
            a = rng.randrange(0, max(1, days - span + 1))
            window = range(a, a + span)
        limit = min(SLICE[1], max(SLICE[0], deadline - time.monotonic()))
        started = time.monotonic()
        got, optimal, gain = _resolve(problem, staff, roster, window, params, limit,
                                      rng.randrange(1 << 30))  # fmt: skip
        tries += 1
        grow = optimal and time.monotonic() - started < limit / 3
        size[kind] = min(cap, size[kind] * 1.1) if grow else max(1.0, size[kind] * 0.9)
        if got is not None and gain > -1e-9:
            roster = got
            if gain > 1e-9:
                better += 1
                cost -= gain
    return roster, tries, better
