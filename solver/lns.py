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

1. *Construct* (:mod:`solver.lns_construct`): volunteers one at a time (most constrained
   first), each row built alone against the cover left by those before, by the pure-Python
   greedy of :mod:`solver.lns_greedy` (then rebuilt row by row while that saves cost) or,
   where that does not apply, by CP-SAT: every volunteer's own hard rules hold.
2. *Full model* (small problems only): CP-SAT on the whole model hinted with that roster,
   for a share of the time; its bound is the one reported.
3. *LNS* until the time limit: free a few volunteers over the whole horizon, or more
   volunteers over a window of days, or (where weekends are capped) a few drawn for a
   short weekend (:mod:`solver.lns_weekends`), re-solve hinted with the incumbent in a
   short slice, keep the result when it is no worse; each kind is drawn in proportion
   to the cost it saved per second recently. Sizes adapt (a slice proved optimal
   grows its neighbourhood, a slice that ran out shrinks it).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import random
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from scheduler.cost import total_cost
from scheduler.problem import Problem
from scheduler.roster import Status
from solver import colgen, colgen_search, lns_greedy, lns_weekends
from solver.colgen_rows import row_spaces, sweep_rows
from solver.colgen_space import Space
from solver.lns_construct import construct, construct_fast
from solver.lns_sub import _resolve, subproblem
from solver.model import build_model
from solver.solve import solve, solve_context
from solver.types import Pair, Solution, SolveParams

__all__ = ["applicable", "construct", "solve_lns", "subproblem"]

FULL_MODEL_MAX_PAIRS = 10_000
"""Run phase 2 (the whole model) only up to this many pair variables (was 20 000: on
Curtois & Qu Instance19, 16 800 pairs and no column generation, its 6 s proved no bound
and the LNS without it ended at 3 549, 3 722, 3 898, 3 731, 3 911 against 3 822, 4 016,
4 052, 3 722, 3 858 with it, seeds 1-5, 60 s)."""
FULL_SHARE = 0.1
COLGEN = True
FULL_AFTER_CG = 1_000
"""After column generation, the full model runs (for its proof) only up to this many pairs."""
"""Column generation and a dive (:mod:`solver.colgen`) after the start, where it applies
(instead of the full model)."""
FAST_START = True
"""Start from pure-Python greedy rows (:mod:`solver.lns_greedy`) where they apply."""
IMPROVE_SHARE = 0.15
COLGEN_IMPROVE_SHARE = 0.05
"""The same before column generation (which needs only a start)."""
SWEEP = True
"""Then exact best-response row sweeps (:func:`solver.colgen_rows.sweep_rows`) until
SWEEP_UNTIL of the time limit (COLGEN_SWEEP_UNTIL before column generation), or until no
single row can improve."""
SWEEP_UNTIL = 0.4
COLGEN_SWEEP_UNTIL = 0.15
"""Pure-Python row improvement after the greedy start, up to this share of the time."""
GREEDY_ROWS = True
GREEDY_ROWS_MAX_SLOTS = 182 * 8
"""Otherwise, above this many (day, shift name) slots, CP-SAT rows start from any
feasible row (cheaper) instead of the best row against the cover left."""
SLICE = (0.2, 1.0)
PARALLEL = True
"""With ``workers >= 2``, solve two neighbourhoods (disjoint volunteers) at once."""
ASYNC = True
"""Two lanes run unsynchronised (:class:`_Search`): each starts its next neighbourhood as
soon as its last one ends, instead of both waiting for the slower of a pair
(:func:`_lockstep`). Curtois & Qu, 60 s, seed 1 unless noted, with / without (session 21,
benchmarks/nrp/NOTES.md): Instance13 4 068 / 3 818, seed 2 3 663 / 3 852; 19 4 639 /
4 525; 20 6 492 / 6 670; 22 63 171 / 72 272; 24 214 265 / 221 603; 12 7 518 / 7 401;
18 4 797 / 5 083; 17 5 846 / 5 846 (geometric mean of the ratios 0.978, within the
spread of repeated runs on that machine); 0.5-12 % more CPU time in every pair."""
TARGETED_STAFF = 0.0
"""Share of window steps whose volunteers are half drawn among those who could take a
slot short of people in the window (the rest: uniform). Off: 0.5 was not measurably
better (I13 2 984 vs 3 557, I21 27 284 vs 27 506, I24 178 273 vs 175 375; noise ~20 %)."""
WINDOW_SHARE = 0.5
"""Share of LNS steps that free a window of days (the rest free whole rows) at first;
then (ADAPTIVE) each kind is drawn in proportion to the cost it saved per second of its
recent steps (a moving average, weight ADAPT_RATE a step), within SHARE_RANGE."""
ADAPTIVE = True
ADAPT_RATE = 0.2
SHARE_RANGE = (0.15, 0.85)
SWEEP_SHARE = 0.25
SWEEP_SLICE = 2.0
"""Where the start was swept (no column generation), a fourth kind of LNS step: best-
response sweeps (:func:`solver.colgen_rows.sweep_rows`, both workers) for SWEEP_SLICE
seconds, drawn in SWEEP_SHARE of the steps at first, then adaptive like the others. On
the longest Curtois & Qu instances sweeps still save about 1 % of the cost a second where
the fixed sweep phase ends. 60 s, seed 1, with (and SOLVER_TIME on) / without, session
14's slow EPYC: Instance24 210 936 / 226 369, 23 81 351 / 92 079, 22 76 852 / 82 977,
21 24 860 / 24 944, 20 6 294 / 6 081, 19 4 292 / 4 935, 13 3 511 / 3 150; the sweep
kind alone: Instance23 84 966, Instance13 seed 2 2 951 against 2 921 without
(benchmarks/nrp/NOTES.md, session 14)."""
SOLVER_TIME = False
"""Off: a neighbourhood grows when proved optimal within half its slice timed from the
step's start (model building and the other lane's Python included). Timed by CP-SAT
itself instead (on: Instance24's windows no longer shrink to 2 days while 85 of 91 are
proved), Instance13 seed 2 gave 3 127 against 2 921 (and 3 673 with the sweep kind,
against 2 951 for the sweep kind alone); Instance23 seed 1 81 351 with both against
84 966 for the sweep kind alone (session 14, single runs)."""
WEEKEND_SHARE = 0.25
"""Where a plan caps worked weekends, the share of LNS steps (taken from the rows' share)
whose rows are drawn for a short weekend (:func:`solver.lns_weekends.weekend_staff`) at
first; then adaptive like the others. Curtois & Qu, 60 s, 2 workers, with / without,
interleaved (session 13, benchmarks/nrp/NOTES.md): Instance13 better in all four pairs
(seeds 1-3 and seed 1 again; mean ratio 0.952 over seeds 1-3), 8/12/15/18/22 better on
the whole, 19/21/23/24 worse by 0.5-6 %; geometric means 0.995 over 1-19 and 1.008 over
20-24 (single seeds there)."""


def applicable(problem: Problem) -> bool:
    """Sub-problems price changes exactly: no fairness and no team terms, no re-planning."""
    w = problem.config.weights
    teams = any(v.team for v in problem.volunteers)
    return not w.fairness and not (w.team_split and teams)


def solve_lns(problem: Problem, params: SolveParams) -> Solution:
    """Construct, (full CP-SAT,) then LNS until ``params.time_limit`` seconds (wall clock)."""
    if not applicable(problem) or params.previous is not None or params.fixed:
        return solve(problem, params)
    t0 = time.monotonic()
    deadline = t0 + params.time_limit
    stats: dict[str, object] = {"method": "lns"}
    horizon = problem.config.horizon.days
    names = len({o.shift for o in problem.occurrences})
    fast = FAST_START and lns_greedy.applicable(problem)
    greedy_rows = GREEDY_ROWS and horizon * names <= GREEDY_ROWS_MAX_SLOTS
    stats["start"] = "python" if fast else "cp-sat-rows" if greedy_rows else "feasible-rows"
    use_cg = (
        COLGEN
        and colgen.applicable(problem)
        and colgen.worthwhile(problem, colgen_search.CG_SHARE * params.time_limit, params.workers)
    )
    stats["colgen"] = use_cg
    if fast:
        share = COLGEN_IMPROVE_SHARE if use_cg else IMPROVE_SHARE
        improve = t0 + share * params.time_limit
        roster = construct_fast(problem, params, t0 + 0.5 * params.time_limit, improve)
    else:
        roster = construct(problem, params, t0 + 0.5 * params.time_limit, greedy_rows)
    if roster is None:
        return solve(problem, dataclasses.replace(params, time_limit=deadline - time.monotonic()))
    stats["construct_objective"] = total_cost(problem, roster)
    stats["construct_seconds"] = round(time.monotonic() - t0, 2)
    spaces = None
    if fast and SWEEP:
        if not use_cg and SWEEP_SHARE:
            spaces = row_spaces(problem)
        until = t0 + (COLGEN_SWEEP_UNTIL if use_cg else SWEEP_UNTIL) * params.time_limit
        threads = 1 if use_cg else params.workers  # before CG: the start CG was tuned on
        roster = sweep_rows(problem, roster, params.seed, until, spaces, threads=threads)
        stats["sweep_objective"] = total_cost(problem, roster)
        stats["sweep_seconds"] = round(time.monotonic() - t0, 2)
    bound = None
    full_limit = max(FULL_SHARE * params.time_limit, min(5.0, params.time_limit / 2))
    if use_cg:
        roster, bound = colgen_search.improve(problem, roster, params, deadline, stats)
        full_limit = full_limit if problem.n_pairs <= FULL_AFTER_CG else 0
    elif problem.n_pairs > FULL_MODEL_MAX_PAIRS:
        full_limit = 0
    if full_limit and (bound is None or total_cost(problem, roster) > bound):
        limit = min(full_limit, max(0.1, deadline - time.monotonic()))
        roster, bound = _full(problem, params, roster, bound, limit, stats)
    if bound is not None and total_cost(problem, roster) <= bound:
        deadline = time.monotonic()
    roster = _lns(problem, params, roster, deadline, bound, stats, spaces)
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


def _full(
    problem: Problem, params: SolveParams, roster: set[Pair], bound: float | None,
    limit: float, stats: dict[str, object],
) -> tuple[set[Pair], float | None]:  # fmt: skip
    """CP-SAT on the whole model, hinted with ``roster``, for ``limit`` seconds: the better
    roster and the better bound."""
    full = solve_context(
        build_model(problem, dataclasses.replace(params, hint=frozenset(roster))), limit
    )
    stats["full_status"] = str(full.status)
    if not full.status.has_roster:
        return roster, bound
    if total_cost(problem, full.assignments) <= total_cost(problem, roster):
        roster = set(full.assignments)
    if full.bound is not None:
        bound = full.bound if bound is None else max(bound, full.bound)
    return roster, bound


def kind_shares(rate: dict[str, float], initial: dict[str, float]) -> dict[str, float]:
    """Each kind's share of the steps, in proportion to the cost it saved per second
    recently, none below SHARE_RANGE[0] x 2 / (number of kinds) (with two kinds: within
    SHARE_RANGE); ``initial`` while no kind has saved anything."""
    total = sum(rate[kind] for kind in initial)
    if total <= 0:
        return dict(initial)
    low = SHARE_RANGE[0] * 2 / len(initial)
    share = {kind: min(1 - low, max(low, rate[kind] / total)) for kind in initial}
    scale = sum(share.values())
    return {kind: value / scale for kind, value in share.items()}


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


def _targeted(
    problem: Problem, roster: set[Pair], window: range, pool: list[int], n: int,
    rng: random.Random,
) -> list[int]:  # fmt: skip
    """n volunteers of ``pool``, first those eligible for a slot short of people in the
    window (drawn by how many such slots they could take), the rest at random."""
    staffed = Counter(o for o, _ in roster)
    allowed = set(pool)
    weight: Counter[int] = Counter()
    for occ in problem.occurrences:
        if occ.day in window and staffed.get(occ.index, 0) < occ.need:
            for v in problem.eligible[occ.index]:
                if v in allowed:
                    weight[v] += 1
    chosen: list[int] = []
    cands = list(weight)
    while cands and len(chosen) < n // 2:
        v = rng.choices(cands, weights=[weight[c] for c in cands])[0]
        chosen.append(v)
        cands.remove(v)
    rest = [v for v in pool if v not in set(chosen)]
    chosen += rng.sample(rest, n - len(chosen))
    return sorted(chosen)


@dataclasses.dataclass
class _Sizes:
    """Adaptive neighbourhood sizes: k rows, or m volunteers over ``span`` days."""

    k: float
    m: float
    span: float
    nvol: int
    days: int

    def draw(
        self, problem: Problem, roster: set[Pair], kind: str, pool: list[int], rng: random.Random
    ) -> tuple[list[int], range | None]:
        k = max(1, min(len(pool), round(self.k)))
        if kind == "rows":
            return sorted(rng.sample(pool, k)), None
        if kind == "weekend":
            return lns_weekends.weekend_staff(problem, roster, pool, k, rng), None
        a = _window_start(problem, roster, round(self.span), rng)
        window = range(a, a + round(self.span))
        n = max(1, min(len(pool), round(self.m)))
        if TARGETED_STAFF and n < len(pool) and rng.random() < TARGETED_STAFF:
            return _targeted(problem, roster, window, pool, n, rng), window
        return sorted(rng.sample(pool, n)), window

    def update(self, kind: str, fast: bool) -> None:
        if kind in ("rows", "weekend"):
            self.k = min(self.nvol, self.k * 1.15) if fast else max(1.0, self.k * 0.9)
        elif fast:
            self.span, self.m = min(self.days, self.span * 1.15), min(self.nvol, self.m * 1.1)
        else:
            self.span, self.m = max(2.0, self.span * 0.9), max(2.0, self.m * 0.95)


def _lns(
    problem: Problem, params: SolveParams, roster: set[Pair], deadline: float,
    bound: float | None, stats: dict[str, object], spaces: list[Space] | None = None,
) -> set[Pair]:  # fmt: skip
    """Re-solve random neighbourhoods until ``deadline``: ``rows`` (k volunteers over the
    horizon), ``weekend`` (k of them drawn for a short weekend, where weekends are capped)
    and ``window`` (up to m volunteers over ``span`` days), or (given the rows' ``spaces``)
    ``sweep`` (best-response sweeps for SWEEP_SLICE seconds); k, m and span adapt, and so
    do the kinds' shares (:func:`kind_shares`).

    With two workers, two lanes (threads, one CP-SAT worker each) solve neighbourhoods on
    disjoint volunteers at once, unsynchronised (:class:`_Search`; with :data:`ASYNC`
    off, in lock step by :func:`_lockstep`)."""
    rng = random.Random(params.seed + 7)
    nvol, days = len(problem.volunteers), problem.config.horizon.days
    sizes = _Sizes(2.0, float(min(nvol, 40)), float(min(days, 7)), nvol, days)
    share = {"rows": 1.0}
    if days > 14:
        share = {"rows": 1 - WINDOW_SHARE, "window": WINDOW_SHARE}
    if WEEKEND_SHARE and lns_weekends.capped(problem) and lns_weekends.weekends(problem):
        share["rows"] -= WEEKEND_SHARE
        share["weekend"] = WEEKEND_SHARE
    if spaces is not None:
        share = {kind: x * (1 - SWEEP_SHARE) for kind, x in share.items()}
        share["sweep"] = SWEEP_SHARE
    rate = dict.fromkeys(share, 0.0)  # moving average of cost saved per second
    lanes = 2 if PARALLEL and params.workers >= 2 and nvol >= 4 else 1
    count: Counter[str] = Counter()
    cost = float(total_cost(problem, roster))
    pool = ThreadPoolExecutor(max_workers=lanes) if lanes > 1 else None
    try:
        if pool is not None and ASYNC:
            search = _Search(problem, params, roster, cost, deadline, bound, spaces, sizes,
                             share, rate, count, rng)  # fmt: skip
            search.run(pool, lanes)
            roster, share = search.roster, search.share
        else:
            roster, share = _lockstep(problem, params, roster, cost, deadline, bound, spaces,
                                      sizes, share, rate, count, rng, pool, lanes)  # fmt: skip
    finally:
        if pool:
            pool.shutdown()
    stats.update({f"lns_{key}": n for key, n in sorted(count.items())})
    stats.update(lns_k=round(sizes.k, 1), lns_m=round(sizes.m, 1), lns_span=round(sizes.span, 1))
    stats["lns_lanes"] = lanes
    stats["lns_window_share"] = round(share.get("window", 0.0), 2)
    if "weekend" in share:
        stats["lns_weekend_share"] = round(share["weekend"], 2)
    if "sweep" in share:
        stats["lns_sweep_share"] = round(share["sweep"], 2)
    return roster


def _lockstep(
    problem: Problem, params: SolveParams, roster: set[Pair], cost: float, deadline: float,
    bound: float | None, spaces: list[Space] | None, sizes: _Sizes, share: dict[str, float],
    rate: dict[str, float], count: Counter[str], rng: random.Random,
    pool: ThreadPoolExecutor | None, lanes: int,
) -> tuple[set[Pair], dict[str, float]]:  # fmt: skip
    """The LNS loop with one lane, or with lanes in lock step (:data:`ASYNC` off): each
    iteration draws one neighbourhood per lane and waits for all of them (:func:`_accept`);
    the roster and the kinds' shares at the end."""
    nvol = len(problem.volunteers)
    overhead = 0.0  # the longest a step ran past its CP-SAT limit (model building)
    while (
        time.monotonic() < deadline - SLICE[0] - overhead
        and (bound is None or cost > bound + 1e-9)
    ):  # fmt: skip
        limit = _slice(deadline, overhead)
        if spaces is not None and _kind(share, rng.random()) == "sweep":
            roster, cost = _sweep(problem, roster, cost, spaces, params, deadline, rng,
                                  rate, count)  # fmt: skip
            continue
        jobs: list[tuple] = []
        free = list(range(nvol))
        for _ in range(lanes):
            if not free:
                break
            jobs.append(_draw(problem, roster, share, sizes, free, lanes > 1 and not jobs, rng))
            chosen = set(jobs[-1][1])
            free = [v for v in free if v not in chosen]
        run = functools.partial(_run, problem, roster, params, limit, time.monotonic())
        results = list(pool.map(run, jobs)) if pool else [run(jobs[0])]
        for (kind, *_), result in zip(jobs, results, strict=True):
            overhead = max(overhead, _tally(kind, limit, result, count, rate, sizes))
        roster, cost = _accept(problem, roster, cost, jobs, results, count)
        share = _reshare(share, rate, count)
    return roster, share


def _slice(deadline: float, overhead: float) -> float:
    """A sub-solve's CP-SAT limit: within SLICE, less the overrun seen so far before the
    deadline."""
    return min(SLICE[1], max(SLICE[0], deadline - time.monotonic() - overhead))


def _reshare(
    share: dict[str, float], rate: dict[str, float], count: Counter[str]
) -> dict[str, float]:
    """The kinds' shares after a step: by :func:`kind_shares` (ADAPTIVE) once every kind
    has run three times, else as they were."""
    if ADAPTIVE and len(share) > 1 and min(count[kind] for kind in share) >= 3:
        return kind_shares(rate, share)
    return share


def _draw(
    problem: Problem, roster: set[Pair], share: dict[str, float], sizes: _Sizes,
    free: list[int], leave_room: bool, rng: random.Random,
) -> tuple[str, list[int], range | None, int]:  # fmt: skip
    """A neighbourhood among ``free`` (kind drawn by ``share``, sweeps aside): (kind,
    volunteers, window or None, seed). ``leave_room``: about half its size stays free for
    the other lane."""
    lns_share = {kind: x for kind, x in share.items() if kind != "sweep"}
    kind = _kind(lns_share, rng.random() * sum(lns_share.values()))
    size = round(sizes.m if kind == "window" else sizes.k)
    room = free
    if leave_room:
        room = rng.sample(free, max(1, len(free) - max(1, size // 2)))
    staff, window = sizes.draw(problem, roster, kind, room, rng)
    return kind, staff, window, rng.randrange(1 << 30)


def _tally(
    kind: str, limit: float, result: tuple, count: Counter[str], rate: dict[str, float],
    sizes: _Sizes,
) -> float:  # fmt: skip
    """Record a finished neighbourhood (a :func:`_run` result): its kind's count, cost
    saved per second and size; the seconds it ran past its CP-SAT ``limit``."""
    _, optimal, gain, took, solving = result
    count[kind] += 1
    rate[kind] += ADAPT_RATE * (max(0.0, gain) / max(took, 1e-3) - rate[kind])
    count[f"{kind}_optimal"] += optimal
    # proved within half its slice (SOLVER_TIME: by CP-SAT's own wall time)
    sizes.update(kind, optimal and (solving if SOLVER_TIME else took) < limit / 2)
    return took - limit


def _kind(share: dict[str, float], u: float) -> str:
    """The kind of step for a uniform draw ``u``: window below its share, then weekend
    rows, then sweeps, then rows (one draw, as when only rows and windows were drawn)."""
    for kind in ("window", "weekend", "sweep"):
        if u < share.get(kind, 0.0):
            return kind
        u -= share.get(kind, 0.0)
    return "rows"


def _sweep(
    problem: Problem, roster: set[Pair], cost: float, spaces: list[Space], params: SolveParams,
    deadline: float, rng: random.Random, rate: dict[str, float], count: Counter[str],
) -> tuple[set[Pair], float]:  # fmt: skip
    """A ``sweep`` step: best responses for SWEEP_SLICE seconds; the roster and its cost."""
    started = time.monotonic()
    until = min(deadline, started + SWEEP_SLICE)
    got = sweep_rows(problem, roster, rng.randrange(1 << 30), until, spaces, params.workers)
    took = time.monotonic() - started
    new = float(total_cost(problem, got))
    gain = cost - new
    count["sweep"] += 1
    rate["sweep"] += ADAPT_RATE * (max(0.0, gain) / max(took, 1e-3) - rate["sweep"])
    if gain <= 1e-9:
        return roster, cost
    count["sweep_better"] += 1
    return got, new


def _run(
    problem: Problem, roster: set[Pair], params: SolveParams, limit: float, started: float,
    job: tuple[str, list[int], range | None, int],
) -> tuple[set[Pair] | None, bool, float, float, float]:  # fmt: skip
    """One neighbourhood re-solved: (roster or None, optimal, gain, seconds since started,
    CP-SAT's own seconds)."""
    got, optimal, gain, solving = _resolve(problem, job[1], roster, job[2], params, limit, job[3])
    return got, optimal, gain, time.monotonic() - started, solving


def _accept(
    problem: Problem, roster: set[Pair], cost: float, jobs: list, results: list,
    count: Counter[str],
) -> tuple[set[Pair], float]:  # fmt: skip
    """The best of: the incumbent, each result alone, both results merged (exact cost)."""
    options = [(cost, roster, ())]
    for i, (got, _, gain, *_) in enumerate(results):
        if got is not None and gain > -1e-9:
            options.append((cost - gain, got, (i,)))
    if len(options) == 3:
        (_, a, _), (_, b, _) = options[1], options[2]
        merged = merge(roster, a, b)
        if within_need(problem, merged, (a | b) - roster):
            options.append((float(total_cost(problem, merged)), merged, (0, 1)))
    best_cost, best, used = min(options, key=lambda x: (round(x[0], 9), -len(x[2])))
    if best_cost < cost - 1e-9:
        for i in used:
            count[f"{jobs[i][0]}_better"] += 1
    return best, best_cost


def merge(roster: set[Pair], a: set[Pair], b: set[Pair]) -> set[Pair]:
    """``roster`` with the changes of ``a`` and of ``b`` (rosters made from it on disjoint
    volunteers) both applied."""
    return (a - (roster - b)) | (b - roster)


def within_need(problem: Problem, roster: set[Pair], added: set[Pair]) -> bool:
    """Whether no occurrence of ``added`` is staffed above its need where over-cover is
    not allowed (``weights.over_cover`` unset). Two changes that each fill the same gap
    on their own would, merged, staff it twice; the cost would not show it (over-cover
    then costs nothing because the model forbids it)."""
    if problem.config.weights.over_cover is not None:
        return True
    touched = {o for o, _ in added}
    staffed = Counter(o for o, _ in roster if o in touched)
    return all(staffed[o] <= problem.occurrences[o].need for o in touched)


@dataclasses.dataclass
class _Search:
    """The state of an unsynchronised two-lane LNS (:data:`ASYNC`).

    Each lane re-solves a neighbourhood of volunteers no other running lane holds, drawn
    from the roster as it is when the lane starts. When a lane ends, its volunteers' new
    rows replace theirs in the roster as it is then (no one else changed those rows
    meanwhile), and the result is kept when the whole roster's cost, recomputed if the
    roster moved since the lane started, is no worse. A sweep step waits for both lanes."""

    problem: Problem
    params: SolveParams
    roster: set[Pair]
    cost: float
    deadline: float
    bound: float | None
    spaces: list[Space] | None
    sizes: _Sizes
    share: dict[str, float]
    rate: dict[str, float]
    count: Counter[str]
    rng: random.Random
    overhead: float = 0.0  # the longest a step ran past its CP-SAT limit (model building)

    def _open(self) -> bool:
        return time.monotonic() < self.deadline - SLICE[0] - self.overhead and (
            self.bound is None or self.cost > self.bound + 1e-9
        )

    def run(self, pool: ThreadPoolExecutor, lanes: int) -> None:
        running: dict[Future, tuple[tuple, set[Pair], float]] = {}
        sweep = False  # a sweep step drawn: start nothing until the lanes are done
        while running or self._open():
            if self._open() and not sweep and len(running) < lanes:
                if self.spaces is not None and _kind(self.share, self.rng.random()) == "sweep":
                    sweep = True
                    continue
                job = self._draw(running, lanes)
                if job is not None:
                    limit = _slice(self.deadline, self.overhead)
                    fut = pool.submit(_run, self.problem, self.roster, self.params, limit,
                                      time.monotonic(), job)  # fmt: skip
                    running[fut] = (job, self.roster, limit)
                    continue
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    self._apply(*running.pop(fut), fut.result())
            elif sweep:
                sweep = False
                if self._open():
                    self.roster, self.cost = _sweep(
                        self.problem, self.roster, self.cost, self.spaces or [], self.params,
                        self.deadline, self.rng, self.rate, self.count,
                    )  # fmt: skip
            else:
                break

    def _draw(self, running: dict, lanes: int) -> tuple | None:
        """The next neighbourhood among the volunteers no running lane holds (None: none)."""
        busy = {v for job, _, _ in running.values() for v in job[1]}
        free = [v for v in range(len(self.problem.volunteers)) if v not in busy]
        if not free:
            return None
        leave = lanes > 1 and not running
        return _draw(self.problem, self.roster, self.share, self.sizes, free, leave, self.rng)

    def _apply(self, job: tuple, base: set[Pair], limit: float, result: tuple) -> None:
        got, _, gain, *_ = result
        kind = job[0]
        late = _tally(kind, limit, result, self.count, self.rate, self.sizes)
        self.overhead = max(self.overhead, late)
        if got is not None and gain > -1e-9:
            if self.roster is base:  # nothing changed meanwhile: the gain is exact
                new, cost = got, self.cost - gain
            else:
                new = merge(base, self.roster, got)  # the roster as it is, with this change
                cost = float(total_cost(self.problem, new))
                if not within_need(self.problem, new, got - base):
                    cost = math.inf
            if cost <= self.cost + 1e-9:
                if cost < self.cost - 1e-9:
                    self.count[f"{kind}_better"] += 1
                self.roster, self.cost = new, cost
        self.share = _reshare(self.share, self.rate, self.count)
