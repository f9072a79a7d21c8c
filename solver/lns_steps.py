"""The LNS's neighbourhoods (:mod:`solver.lns`): their kinds, sizes, draws and records.

A neighbourhood is ``(kind, volunteers, window or None, seed)``. Kinds: ``rows`` (k
volunteers over the whole horizon), ``weekend`` (k of them drawn for a short weekend,
:mod:`solver.lns_weekends`), ``window`` (up to m volunteers over ``span`` days) and
``sweep`` (best-response sweeps, run by :mod:`solver.lns_lanes`). :class:`Sizes` adapts
k, m and span to how the re-solves went; :func:`tally` records a finished one and
:func:`reshare` draws each kind in proportion to the cost it saved per second recently.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

from scheduler.problem import Problem
from solver import lns_weekends
from solver.types import Pair

TARGETED_STAFF = 0.0
"""Share of window steps whose volunteers are half drawn among those who could take a
slot short of people in the window (the rest: uniform). Off: 0.5 was not measurably
better (I13 2 984 vs 3 557, I21 27 284 vs 27 506, I24 178 273 vs 175 375; noise ~20 %)."""
ADAPTIVE = True
"""Each kind of step is drawn in proportion to the cost it saved per second of its recent
steps (a moving average, weight ADAPT_RATE a step), within SHARE_RANGE, once every kind
has run three times (:func:`reshare`)."""
ADAPT_RATE = 0.2
SHARE_RANGE = (0.15, 0.85)
SOLVER_TIME = False
"""Off: a neighbourhood grows when proved optimal within half its slice timed from the
step's start (model building and the other lane's Python included). Timed by CP-SAT
itself instead (on: Instance24's windows no longer shrink to 2 days while 85 of 91 are
proved), Instance13 seed 2 gave 3 127 against 2 921 (and 3 673 with the sweep kind,
against 2 951 for the sweep kind alone); Instance23 seed 1 81 351 with both against
84 966 for the sweep kind alone (session 14, single runs)."""


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


def window_start(problem: Problem, roster: set[Pair], span: int, rng: random.Random) -> int:
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


def targeted(
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
class Sizes:
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
        a = window_start(problem, roster, round(self.span), rng)
        window = range(a, a + round(self.span))
        n = max(1, min(len(pool), round(self.m)))
        if TARGETED_STAFF and n < len(pool) and rng.random() < TARGETED_STAFF:
            return targeted(problem, roster, window, pool, n, rng), window
        return sorted(rng.sample(pool, n)), window

    def update(self, kind: str, fast: bool) -> None:
        if kind in ("rows", "weekend"):
            self.k = min(self.nvol, self.k * 1.15) if fast else max(1.0, self.k * 0.9)
        elif fast:
            self.span, self.m = min(self.days, self.span * 1.15), min(self.nvol, self.m * 1.1)
        else:
            self.span, self.m = max(2.0, self.span * 0.9), max(2.0, self.m * 0.95)


def reshare(
    share: dict[str, float], rate: dict[str, float], count: Counter[str]
) -> dict[str, float]:
    """The kinds' shares after a step: by :func:`kind_shares` (ADAPTIVE) once every kind
    has run three times, else as they were."""
    if ADAPTIVE and len(share) > 1 and min(count[kind] for kind in share) >= 3:
        return kind_shares(rate, share)
    return share


def draw(
    problem: Problem, roster: set[Pair], share: dict[str, float], sizes: Sizes,
    free: list[int], leave_room: bool, rng: random.Random,
) -> tuple[str, list[int], range | None, int]:  # fmt: skip
    """A neighbourhood among ``free`` (kind drawn by ``share``, sweeps aside): (kind,
    volunteers, window or None, seed). ``leave_room``: about half its size stays free for
    the other lane."""
    lns_share = {kind: x for kind, x in share.items() if kind != "sweep"}
    kind = pick_kind(lns_share, rng.random() * sum(lns_share.values()))
    size = round(sizes.m if kind == "window" else sizes.k)
    room = free
    if leave_room:
        room = rng.sample(free, max(1, len(free) - max(1, size // 2)))
    staff, window = sizes.draw(problem, roster, kind, room, rng)
    return kind, staff, window, rng.randrange(1 << 30)


def tally(
    kind: str, limit: float, result: tuple, count: Counter[str], rate: dict[str, float],
    sizes: Sizes,
) -> float:  # fmt: skip
    """Record a finished neighbourhood (a :func:`solver.lns_lanes.run_job` result): its
    kind's count, cost saved per second and size; the seconds it ran past its CP-SAT
    ``limit``."""
    _, optimal, gain, took, solving = result
    record(kind, gain, took, count, rate)
    count[f"{kind}_optimal"] += optimal
    # proved within half its slice (SOLVER_TIME: by CP-SAT's own wall time)
    sizes.update(kind, optimal and (solving if SOLVER_TIME else took) < limit / 2)
    return took - limit


def record(
    kind: str, gain: float, took: float, count: Counter[str], rate: dict[str, float]
) -> None:
    """Count a step of ``kind`` and move its cost saved per second (a moving average,
    weight ADAPT_RATE) towards this step's ``gain`` / ``took``."""
    count[kind] += 1
    rate[kind] += ADAPT_RATE * (max(0.0, gain) / max(took, 1e-3) - rate[kind])


def pick_kind(share: dict[str, float], u: float) -> str:
    """The kind of step for a uniform draw ``u``: window below its share, then weekend
    rows, then sweeps, then rows (one draw, as when only rows and windows were drawn)."""
    for kind in ("window", "weekend", "sweep"):
        if u < share.get(kind, 0.0):
            return kind
        u -= share.get(kind, 0.0)
    return "rows"
