"""The LNS's loop (:mod:`solver.lns`): neighbourhoods re-solved one after another, or in
two lanes (threads, one CP-SAT worker each) on disjoint volunteers.

:class:`Lanes` runs the lanes unsynchronised (:data:`solver.lns.ASYNC`): each lane starts
its next neighbourhood as soon as its last one ends, and its result is applied to the
roster as it is then. :func:`lockstep` draws one neighbourhood per lane and waits for all
of them (:func:`accept` keeps the best of each alone and both merged).
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
from solver.colgen_rows import sweep_rows
from solver.colgen_space import Space
from solver.lns_steps import Sizes, draw, pick_kind, record, reshare, tally
from solver.lns_sub import _resolve
from solver.types import Pair, SolveParams

SLICE = (0.2, 1.0)
"""A re-solve's CP-SAT limit in seconds: at most SLICE[1], less what steps ran past their
limit before the deadline, at least SLICE[0]."""
SWEEP_SLICE = 2.0
"""Seconds of a ``sweep`` step (:data:`solver.lns.SWEEP_SHARE`)."""


def lockstep(
    problem: Problem, params: SolveParams, roster: set[Pair], cost: float, deadline: float,
    bound: float | None, spaces: list[Space] | None, sizes: Sizes, share: dict[str, float],
    rate: dict[str, float], count: Counter[str], rng: random.Random,
    pool: ThreadPoolExecutor | None, lanes: int,
) -> tuple[set[Pair], dict[str, float]]:  # fmt: skip
    """The LNS loop with one lane, or with lanes in lock step (:data:`solver.lns.ASYNC` off): each
    iteration draws one neighbourhood per lane and waits for all of them (:func:`accept`);
    the roster and the kinds' shares at the end."""
    nvol = len(problem.volunteers)
    overhead = 0.0  # the longest a step ran past its CP-SAT limit (model building)
    while searching(deadline, overhead, cost, bound):
        limit = slice_limit(deadline, overhead)
        if spaces is not None and pick_kind(share, rng.random()) == "sweep":
            roster, cost = sweep_step(problem, roster, cost, spaces, params, deadline, rng,
                                      rate, count)  # fmt: skip
            continue
        jobs: list[tuple] = []
        free = list(range(nvol))
        for _ in range(lanes):
            if not free:
                break
            jobs.append(draw(problem, roster, share, sizes, free, lanes > 1 and not jobs, rng))
            chosen = set(jobs[-1][1])
            free = [v for v in free if v not in chosen]
        run = functools.partial(run_job, problem, roster, params, limit, time.monotonic())
        results = list(pool.map(run, jobs)) if pool else [run(jobs[0])]
        for (kind, *_), result in zip(jobs, results, strict=True):
            overhead = max(overhead, tally(kind, limit, result, count, rate, sizes))
        roster, cost = accept(problem, roster, cost, jobs, results, count)
        share = reshare(share, rate, count)
    return roster, share


def searching(deadline: float, overhead: float, cost: float, bound: float | None) -> bool:
    """Whether another step starts: its shortest slice (SLICE[0]) and the longest overrun
    seen so far still fit before ``deadline``, and ``cost`` is above the proved ``bound``."""
    return time.monotonic() < deadline - SLICE[0] - overhead and (
        bound is None or cost > bound + 1e-9
    )


def slice_limit(deadline: float, overhead: float) -> float:
    """A sub-solve's CP-SAT limit: within SLICE, less the overrun seen so far before the
    deadline."""
    return min(SLICE[1], max(SLICE[0], deadline - time.monotonic() - overhead))


def sweep_chance(share: dict[str, float], lanes: int) -> float:
    """The chance that a lane about to start draws a sweep step instead, such that sweeps
    come as often per neighbourhood as in the lock step, where a share s of iterations
    sweeps and the others run ``lanes`` neighbourhoods: p / (1 - p) = s / (lanes (1 - s)).
    (Drawn with the share itself, each lane's start drew one: on Instance19 16 sweeps of
    2 s in a 60 s run against 8 in lock step, with the lanes idle while a sweep waits.)"""
    s = share.get("sweep", 0.0)
    return s / (lanes - (lanes - 1) * s)


def sweep_step(
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
    record("sweep", gain, took, count, rate)
    if gain <= 1e-9:
        return roster, cost
    count["sweep_better"] += 1
    return got, new


def run_job(
    problem: Problem, roster: set[Pair], params: SolveParams, limit: float, started: float,
    job: tuple[str, list[int], range | None, int],
) -> tuple[set[Pair] | None, bool, float, float, float]:  # fmt: skip
    """One neighbourhood re-solved: (roster or None, optimal, gain, seconds since started,
    CP-SAT's own seconds)."""
    got, optimal, gain, solving = _resolve(problem, job[1], roster, job[2], params, limit, job[3])
    return got, optimal, gain, time.monotonic() - started, solving


def accept(
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
class Lanes:
    """The state of an unsynchronised two-lane LNS (:data:`solver.lns.ASYNC`).

    Each lane re-solves a neighbourhood of volunteers no other running lane holds, drawn
    from the roster as it is when the lane starts. When a lane ends, its volunteers' new
    rows replace theirs in the roster as it is then (no one else changed those rows
    meanwhile), and the result is kept when the whole roster's cost, recomputed if the
    roster moved since the lane started, is no worse. A sweep step (drawn at a lane's
    start with :func:`sweep_chance`) waits for both lanes."""

    problem: Problem
    params: SolveParams
    roster: set[Pair]
    cost: float
    deadline: float
    bound: float | None
    spaces: list[Space] | None
    sizes: Sizes
    share: dict[str, float]
    rate: dict[str, float]
    count: Counter[str]
    rng: random.Random
    overhead: float = 0.0  # the longest a step ran past its CP-SAT limit (model building)

    def _open(self) -> bool:
        return searching(self.deadline, self.overhead, self.cost, self.bound)

    def run(self, pool: ThreadPoolExecutor, lanes: int) -> None:
        running: dict[Future, tuple[tuple, set[Pair], float]] = {}
        sweep = False  # a sweep step drawn: start nothing until the lanes are done
        while running or self._open():
            if self._open() and not sweep and len(running) < lanes:
                chance = sweep_chance(self.share, lanes)
                if self.spaces is not None and self.rng.random() < chance:
                    sweep = True
                    continue
                job = self._next(running, lanes)
                if job is not None:
                    limit = slice_limit(self.deadline, self.overhead)
                    fut = pool.submit(run_job, self.problem, self.roster, self.params, limit,
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
                    self.roster, self.cost = sweep_step(
                        self.problem, self.roster, self.cost, self.spaces or [], self.params,
                        self.deadline, self.rng, self.rate, self.count,
                    )  # fmt: skip
            else:
                break

    def _next(self, running: dict, lanes: int) -> tuple | None:
        """The next neighbourhood among the volunteers no running lane holds (None: none)."""
        busy = {v for job, _, _ in running.values() for v in job[1]}
        free = [v for v in range(len(self.problem.volunteers)) if v not in busy]
        if not free:
            return None
        leave = lanes > 1 and not running
        return draw(self.problem, self.roster, self.share, self.sizes, free, leave, self.rng)

    def _apply(self, job: tuple, base: set[Pair], limit: float, result: tuple) -> None:
        got, _, gain, *_ = result
        kind = job[0]
        late = tally(kind, limit, result, self.count, self.rate, self.sizes)
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
        self.share = reshare(self.share, self.rate, self.count)
