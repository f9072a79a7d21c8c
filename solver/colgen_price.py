"""Pricing for column generation: one volunteer's cheapest row by dynamic programming.

A *row* is what one volunteer works over the horizon: at most one occurrence a day. Where
:func:`solver.lns_rules.applicable` holds, every hard rule of a row is a rule on its
sequence of days, so the cheapest row under given per-occurrence costs is a shortest path
over day-by-day states, computed here with numpy over one tensor per day:

* run state: on (option class ``j`` worked today, run length ``r``, and whether the run
  started on the horizon's first day, which exempts it from the minimum run) or off (days
  off so far, capped at ``min_consecutive_days_off``; days before the horizon are off and
  an off run touching the start is exempt);
* resources, one tensor axis each (:mod:`solver.colgen_space`): minutes, weekends and
  capped shifts worked so far.

Yesterday's shift is remembered by its group (what it forbids today), and classes that
behave alike are merged per day (:mod:`solver.colgen_space`). Rules left out of the state
are priced by Lagrangian penalties raised until the row keeps them. With every penalty at
0 the DP is a relaxation of the volunteer's rules, so its value is a lower bound on the
cheapest row (the column-generation bound); with every rule in the state it is exact.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass, field

import numpy as np

from solver.colgen_kernel import forward
from solver.colgen_space import Space

INF = math.inf
TRIES = 12
"""DP runs per pricing with penalties raised on what the row breaks."""
RETRIES = 1
"""With a hint: DP runs at halved penalties after a row keeps its rules."""
DECAY = 0.8
"""A hint keeps this share of the penalties where a row first kept its rules, so that it
drifts down when later volunteers need less."""


@dataclass
class PenaltyHint:
    """Where penalties ended in the last pricing, per unit of its costs' spread, by rule
    and limit: ``("weekends", cap)`` and ``("shift", name, cap)``. Best responses price one
    volunteer after another under similar costs, so the next pricing of a volunteer with
    the same limit starts there instead of at 0, which saves most of the DP runs spent
    raising penalties."""

    shares: dict[tuple[str | int, ...], float] = field(default_factory=dict)

    def start(self, sp: Space, spread: float) -> tuple[np.ndarray, float]:
        """Starting penalties for ``sp``'s capped names and weekends (0 where ``sp``'s
        state keeps the rule)."""
        pen = np.zeros(len(sp.cap_names))
        for n, cap in sp.pen_caps:
            pen[n] = self.shares.get(("shift", sp.cap_names[n], cap), 0.0) * spread
        if sp.pen_weekends is None:
            return pen, 0.0
        return pen, self.shares.get(("weekends", sp.pen_weekends), 0.0) * spread

    def keep(self, sp: Space, spread: float, pen: np.ndarray, pen_w: float) -> None:
        """Remember the penalties under which ``sp``'s row kept every rule."""
        if sp.pen_weekends is not None:
            self.shares["weekends", sp.pen_weekends] = DECAY * pen_w / spread
        for n, cap in sp.pen_caps:
            self.shares["shift", sp.cap_names[n], cap] = DECAY * float(pen[n]) / spread


def _incs(sp: Space, c: int, d: int, from_on: bool) -> tuple[int, ...]:
    inc = [int(x) for x in sp.inc[c]]
    if sp.w_axis is not None:
        wk = sp.week[d]
        inc[sp.w_axis] = int(wk == 1) if from_on else int(wk >= 1)
    return tuple(inc)


def _shift(sp: Space, a: np.ndarray, inc: tuple[int, ...]) -> np.ndarray:
    """``a`` (..., *sizes) moved by ``inc`` along the resource axes; what falls beyond an
    axis is dropped (on a saturating minutes axis it lands in the last state)."""
    if not any(inc):
        return a
    n = len(inc)
    lead = (slice(None),) * (a.ndim - n)
    out = np.full_like(a, INF)
    dst, src = list(lead), list(lead)
    for axis, (k, size) in enumerate(zip(inc, sp.sizes, strict=True)):
        if k >= size and not (sp.m_sat and axis == sp.m_axis):
            return out
        dst.append(slice(min(k, size), size))
        src.append(slice(0, max(0, size - k)))
    if all(sl.stop > sl.start for sl in src[len(lead) :]):
        out[tuple(dst)] = a[tuple(src)]
    if sp.m_sat and sp.m_axis is not None and inc[sp.m_axis]:
        m, size = inc[sp.m_axis], sp.sizes[sp.m_axis]
        sat_src, sat_dst = list(src), list(dst)
        sat_src[len(lead) + sp.m_axis] = slice(max(0, size - 1 - m), size)
        sat_dst[len(lead) + sp.m_axis] = size - 1
        tail = a[tuple(sat_src)].min(axis=len(lead) + sp.m_axis)
        out[tuple(sat_dst)] = np.minimum(out[tuple(sat_dst)], tail)
    return out


@dataclass
class _Trace:
    on: list[np.ndarray]
    off: list[np.ndarray]


_BUFFERS = threading.local()


def _buffer(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A reusable float array of ``shape`` (per thread): fresh memory for the day tensors
    of every call costs as much as the DP itself (page faults). Valid until the next call
    of the same thread asks for ``name`` again."""
    cache: dict[str, np.ndarray] = getattr(_BUFFERS, "cache", None) or {}
    _BUFFERS.cache = cache
    size = math.prod(shape)
    if name not in cache or cache[name].size < size:
        cache[name] = np.empty(size)
    return cache[name][:size].reshape(shape)


def _forward(sp: Space, cost: np.ndarray, pen_w: float) -> _Trace:
    """Value tensors per day: on (G, K, E, *sizes) and off (F, *sizes); ``cost`` is per
    (day, merged class). The loop is :func:`solver.colgen_kernel.forward`."""
    G, K, E = sp.run_shape
    R = int(np.prod(sp.sizes)) if sp.sizes else 1
    on = _buffer("on", (sp.days, G, K, E, R))
    off = _buffer("off", (sp.days, sp.koff, R))
    allowed = np.array(sp.allowed, dtype=np.bool_).reshape(len(sp.allowed), G)
    forward(
        np.ascontiguousarray(cost), np.array(sp.group, dtype=np.int64), allowed, sp.mask_id,
        int(sp.mask_id.max(initial=0)) + 1, sp.t_off, sp.t_on, sp.table,
        np.array(sp.week, dtype=np.int64), float(pen_w), sp.kmin, sp.kmax_sat, sp.band, on, off,
    )  # fmt: skip
    shape_on, shape_off = (G, K, E, *sp.sizes), (sp.koff, *sp.sizes)
    return _Trace(
        [on[d].reshape(shape_on) for d in range(sp.days)],
        [off[d].reshape(shape_off) for d in range(sp.days)],
    )


def _final(sp: Space, trace: _Trace) -> tuple[np.ndarray, np.ndarray]:
    """The last day's on and off tensors, restricted to rows with enough minutes."""
    on, off = trace.on[-1], trace.off[-1]
    if sp.m_axis is not None and sp.lo:
        on = on[(slice(None),) * (3 + sp.m_axis) + (slice(sp.lo, None),)]
        off = off[(slice(None),) * (1 + sp.m_axis) + (slice(sp.lo, None),)]
    return on, off


def _final_states(sp: Space, trace: _Trace, n: int) -> list[tuple[float, tuple]]:
    """The ``n`` cheapest end states (value, state) with a finite value."""
    on, off = _final(sp, trace)
    shift = [0] * len(sp.sizes)
    if sp.m_axis is not None:
        shift[sp.m_axis] = sp.lo
    out: list[tuple[float, tuple]] = []
    for kind, arr in (("on", on), ("off", off)):
        flat = arr.ravel()
        if not flat.size:
            continue
        k = min(n, flat.size)
        for i in np.argpartition(flat, k - 1)[:k]:
            if flat[i] == INF:
                continue
            idx = [int(x) for x in np.unravel_index(int(i), arr.shape)]
            head = 3 if kind == "on" else 1
            res = tuple(x + s for x, s in zip(idx[head:], shift, strict=True))
            out.append((float(flat[i]), (kind, *idx[:head], res)))
    out.sort(key=lambda x: x[0])
    return out[:n]


def _prev_resources(sp: Space, res: tuple[int, ...], inc: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Resource states that ``inc`` turns into ``res``."""
    options = []
    for axis, (r, k, size) in enumerate(zip(res, inc, sp.sizes, strict=True)):
        if axis == sp.m_axis and sp.m_sat and k and r == size - 1:
            options.append(range(max(0, r - k), size))
        elif r - k >= 0:
            options.append(range(r - k, r - k + 1))
        else:
            return []
    return list(itertools.product(*options))


def _step_back_on(
    sp: Space, trace: _Trace, cost: np.ndarray, pen_w: float, d: int, state: tuple
) -> tuple[int, tuple | None]:
    """For on ``state`` at day d > 0: the merged class worked and the state of day d - 1."""
    _, g, r, e, res = state
    K, F = sp.kmax, sp.koff
    wk = sp.week[d]
    prev_on, prev_off = trace.on[d - 1], trace.off[d - 1]
    best, choice, cls = INF, None, -1
    for c in range(cost.shape[1]):
        x = cost[d, c]
        if x == INF or sp.group[c] != g:
            continue
        if r == 0 and e == 0:
            add = x + pen_w * (wk >= 1)
            for pres in _prev_resources(sp, res, _incs(sp, c, d, False)):
                val = prev_off[(F - 1, *pres)] + add
                if val < best:
                    best, choice, cls = val, ("off", F - 1, pres), c
        rs = [r - 1] if r >= 1 else []
        if sp.kmax_sat and r == K - 1:
            rs.append(K - 1)
        add = x + pen_w * (wk == 1)
        for pres in _prev_resources(sp, res, _incs(sp, c, d, True)):
            for pr in rs:
                vals = np.where(sp.allowed[c], prev_on[(slice(None), pr, e, *pres)], INF)
                pg = int(vals.argmin())
                if vals[pg] + add < best:
                    best, choice, cls = vals[pg] + add, ("on", pg, pr, e, pres), c
    return cls, choice


def _first_class(sp: Space, cost: np.ndarray, state: tuple) -> int:
    """For on ``state`` on day 0: the (cheapest) merged class worked."""
    _, g, _, _, res = state
    start = [(0,) * len(sp.sizes)]
    fits = [
        c for c in range(cost.shape[1])
        if cost[0, c] < INF and sp.group[c] == g
        and start[0] in _prev_resources(sp, res, _incs(sp, c, 0, False))
    ]  # fmt: skip
    assert fits, "backtrack lost the first day"
    return min(fits, key=lambda c: cost[0, c])


def _backtrack(
    sp: Space, trace: _Trace, cost: np.ndarray, pen_w: float, state: tuple
) -> list[tuple[int, int]]:
    """(day, merged class) worked on the cheapest path to end ``state``."""
    F = sp.koff
    E = sp.run_shape[2]
    K = sp.kmax
    out: list[tuple[int, int]] = []
    for d in range(sp.days - 1, -1, -1):
        if state[0] == "on":
            if d == 0:
                out.append((0, _first_class(sp, cost, state)))
                break
            cls, choice = _step_back_on(sp, trace, cost, pen_w, d, state)
            assert choice is not None, "backtrack lost the path"
            out.append((d, cls))
            state = choice
            continue
        _, k, res = state
        if d == 0:
            break
        prev_on, prev_off = trace.on[d - 1], trace.off[d - 1]
        cands: list[tuple[float, tuple]] = []
        if k == 0:
            if sp.kmin - 1 < K:
                sub = prev_on[(slice(None), slice(sp.kmin - 1, None), slice(None), *res)]
                i = np.unravel_index(int(sub.argmin()), sub.shape)
                cands.append((sub[i], ("on", int(i[0]), int(i[1]) + sp.kmin - 1, int(i[2]), res)))
            if E == 2:
                sub = prev_on[(slice(None), slice(0, sp.kmin - 1), 1, *res)]
                i = np.unravel_index(int(sub.argmin()), sub.shape)
                cands.append((sub[i], ("on", int(i[0]), int(i[1]), 1, res)))
            if F == 1:
                cands.append((prev_off[(0, *res)], ("off", 0, res)))
        elif k < F - 1:
            cands.append((prev_off[(k - 1, *res)], ("off", k - 1, res)))
        else:
            cands.append((prev_off[(F - 2, *res)], ("off", F - 2, res)))
            cands.append((prev_off[(F - 1, *res)], ("off", F - 1, res)))
        state = min(cands, key=lambda c: c[0])[1]
    out.reverse()
    return out


@dataclass(frozen=True)
class Priced:
    row: tuple[int, ...] | None  # occurrence indices, or None when no row was found
    cost: float  # the row's cost under the given costs (no penalties)
    relaxed: float  # the DP value with every penalty at 0: a lower bound on any row's cost
    others: tuple[tuple[tuple[int, ...], float], ...] = ()  # next-best rows and their costs


def _class_costs(sp: Space, occ_cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (day, class j): the cheapest occurrence's cost, and that occurrence."""
    J = len(sp.raw_minutes)
    best = np.full((sp.days, J), INF)
    np.minimum.at(best, (sp.day_of, sp.class_of), occ_cost)
    pick = np.full((sp.days, J), -1, dtype=np.int64)
    hit = occ_cost == best[sp.day_of, sp.class_of]
    pick[sp.day_of[hit], sp.class_of[hit]] = sp.occs[hit]
    return best, pick


def _merge(sp: Space, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (day, merged class): the cheapest member class's cost, and that class."""
    C = len(sp.group)
    merged = np.full((sp.days, C), INF)
    member = np.full((sp.days, C), -1, dtype=np.int64)
    for j, c in enumerate(sp.merged_of):
        better = cost[:, j] < merged[:, c]
        merged[better, c] = cost[better, j]
        member[better, c] = j
    return merged, member


def _excess(sp: Space, path: list[tuple[int, int]]) -> tuple[dict[int, int], int, int]:
    """What a path of (day, class j) breaks among the penalised rules: shifts over each
    cap, weekends over, minutes over (> 0) or under (< 0) the total bounds."""
    counts = [0] * len(sp.cap_names)
    for _, j in path:
        counts[sp.name_of[j]] += 1
    over = {n: counts[n] - c for n, c in sp.pen_caps if counts[n] > c}
    w_over = 0
    if sp.pen_weekends is not None:
        worked = {d for d, _ in path}
        weekends = sum(
            1 for d in worked if sp.week[d] == 1 or (sp.week[d] == 2 and d - 1 not in worked)
        )
        w_over = max(0, weekends - sp.pen_weekends)
    m_off = 0
    lo, hi = sp.pen_minutes
    total = sum(sp.raw_minutes[j] for _, j in path)
    if hi is not None and total > hi:
        m_off = total - hi
    elif lo is not None and total < lo:
        m_off = total - lo
    return over, w_over, m_off


def price(
    sp: Space, occ_cost: np.ndarray, extra: int = 0, hint: PenaltyHint | None = None
) -> Priced:  # fmt: skip
    """The cheapest row of ``sp.v`` under ``occ_cost`` (aligned with ``sp.occs``); rules
    priced by penalty are enforced by raising penalties (``row`` None when that fails).
    With ``extra``, up to that many more rows ending in other states come in ``others``.

    With a ``hint`` (best responses), penalties start where the hint says, and once a row
    keeps its rules they are halved once more: the cheaper of the two rows that keep
    them is returned (a penalty raised by doubling overshoots, and an overshot penalty
    gives away more than it must). ``relaxed`` is then -inf: no DP ran with penalties
    at 0, so there is no bound."""
    if not len(sp.occs):
        empty = sp.lo == 0 and not sp.pen_minutes[0]
        return Priced((), 0.0, 0.0) if empty else Priced(None, INF, INF)
    base, pick = _class_costs(sp, occ_cost)
    finite = base[base < INF]
    spread = float(np.abs(finite).max()) + 1.0 if finite.size else 1.0
    name_of = list(sp.name_of)
    raw = np.array(sp.raw_minutes, dtype=float)
    pen, pen_w = (np.zeros(len(sp.cap_names)), 0.0) if hint is None else hint.start(sp, spread)
    step = np.where(pen > 0, pen / 2, spread / 4)
    step_w = pen_w / 2 if pen_w > 0 else spread / 4
    lam, step_m, last_sign = 0.0, spread / float(raw.min()), 0
    relaxed = INF if hint is None else -INF
    best: Priced | None = None
    retries = RETRIES if hint is not None else 0
    for attempt in range(TRIES):
        merged, member = _merge(sp, base + (pen[name_of] + lam * raw)[None, :])
        trace = _forward(sp, merged, pen_w)
        ends = _final_states(sp, trace, 1 + (extra if attempt == 0 else 0))
        if not ends:  # no row at all: penalties are finite, so none under any
            return Priced(None, INF, INF)
        if attempt == 0 and hint is None:
            relaxed = ends[0][0]
        paths = [
            [(d, int(member[d, c])) for d, c in _backtrack(sp, trace, merged, pen_w, state)]
            for _, state in ends
        ]
        over, w_over, m_off = _excess(sp, paths[0])
        if not over and not w_over and not m_off:
            rows = [
                (tuple(int(pick[d, j]) for d, j in path), float(sum(base[d, j] for d, j in path)))
                for i, path in enumerate(paths)
                if i == 0 or _excess(sp, path) == ({}, 0, 0)
            ]
            if best is None or rows[0][1] < best.cost:
                best = Priced(rows[0][0], rows[0][1], relaxed, tuple(rows[1:]))
            if hint is not None:
                hint.keep(sp, spread, pen, pen_w)
            if not retries or (pen_w == 0 and not pen.any()):
                return best
            retries -= 1
            pen, pen_w, step, step_w = pen / 2, pen_w / 2, step / 2, step_w / 2
            continue
        if best is not None:  # the retry broke a rule: the row before it stands
            return best
        for n in over:
            pen[n] += step[n]
            step[n] *= 2
        if w_over:
            pen_w += step_w
            step_w *= 2
        if m_off:
            sign = 1 if m_off > 0 else -1
            if last_sign and sign != last_sign:
                step_m /= 2
            lam += sign * step_m
            last_sign = sign
    return best or Priced(None, INF, relaxed)
