"""Swaps and replacements after the search: exact local moves the time-limited search left.

CP-SAT's last improvements come from random neighbourhoods; when time runs out a roster
of a plan like S1 still holds exchanges that lower the cost by a few units: two people
on two shifts of the same length trade places (nearer sites, a teammate met, a skill
where it was missing), or a person hands one shift to someone else. This module finds
them all at once, vectorised over every pair of assignments, and applies the best ones
that every hard rule allows.

Moves, for assignments ``i = (o_i, v_i)``:

- **swap** ``i <-> j``: ``v_i`` takes ``o_j`` and ``v_j`` takes ``o_i``, for occurrences
  of equal length (loads, hence fairness and hours, are unchanged);
- **replace** ``i -> w``: volunteer ``w`` takes ``o_i`` from ``v_i`` (loads change: the
  fairness term is recomputed from the top and bottom loads).

Cost deltas are exact for the per-assignment terms (travel, preference), the team term
(per team, a lone member pays: ``L(c) = [c == 1]``) and missing skills. Coverage and
over-cover do not change. Feasibility is checked in the hand method's rule grid
(:class:`solver.repair.RepairGrid`) only for moves that lower the cost, best first; each
round applies moves on disjoint volunteers and occurrences (a replacement after another
has its fairness part recomputed at the new loads), then rescans; moves found not to fit
are remembered until the volunteer's row changes. Only plain
plans without requests, and volunteers bound by no min-type rule, take part; the result
is returned only when its exact cost (:func:`scheduler.cost.total_cost`) is lower.
"""

from __future__ import annotations

import time
from collections import Counter

import numpy as np

from scheduler.cost import total_cost
from scheduler.problem import Problem
from solver.candidates import site_costs
from solver.moves import _rebuild
from solver.repair import RepairGrid, _movable
from solver.types import Pair

MAX_ASSIGNMENTS = 2_500
"""Above this many assignments the n x n scan is too big for its slot: no swaps."""
MAX_CELLS = 12_000_000
"""Replacement candidates (assignments x volunteers) scanned at most."""
SCAN_SECONDS_PER_CELL = 170e-9
"""A round's scan, seconds per candidate cell (n x n swaps + n x V hand-overs), until one
round measured it: a round starts only when it fits before the deadline (S6, 2 480
assignments: 1.2 s a round on a 2-core EPYC)."""


def applicable(problem: Problem) -> bool:
    """Swaps fit plain plans whose cost has no requests (on/off wishes per day)."""
    return not problem.config.requests


class _State:
    """The roster as arrays: what a scan reads."""

    def __init__(self, problem: Problem, pairs: set[Pair]) -> None:
        occs, vols = problem.occurrences, problem.volunteers
        self.problem = problem
        nv, no = len(vols), len(occs)
        # per (volunteer, site): travel + preference of one assignment there
        table, self.site = site_costs(problem)
        self.pc = table.astype(np.float64)
        self.minutes = np.array([o.minutes for o in occs], dtype=np.int64)
        self.elig = np.zeros((nv, no), dtype=bool)
        for o, e in enumerate(problem.eligible):
            self.elig[list(e), o] = True
        self.movable = np.array([_movable(problem, v) for v in range(nv)], dtype=bool)
        self.pool = self.elig.any(axis=1)
        # teams that pay per lone member; a team of one pays on each of its member's shifts
        size = Counter(v.team for v in vols if v.team)
        teams = sorted(t for t, n in size.items() if n > 1)
        tix = {t: k for k, t in enumerate(teams)}
        self.team = np.array([tix.get(v.team, -1) if v.team else -1 for v in vols])
        self.solo = np.array([bool(v.team) and size[v.team] == 1 for v in vols], dtype=np.int64)
        self.n_teams = len(teams)
        skills = sorted({s for o in occs for s, _ in o.require})
        self.skills = skills
        self.req = np.zeros((len(skills), no), dtype=np.int64)
        for o in occs:
            for s, n in o.require:
                self.req[skills.index(s), o.index] = n
        self.holds = np.array(
            [[s in vol.skills for vol in vols] for s in skills], dtype=bool
        ).reshape(len(skills), nv)
        self.reset(pairs)

    def reset(self, pairs: set[Pair]) -> None:
        """Recompute every count from ``pairs``."""
        p = self.problem
        no, nv = len(p.occurrences), len(p.volunteers)
        self.pairs = set(pairs)
        a = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
        self.ao, self.av = a[:, 0], a[:, 1]
        self.on = np.zeros((nv, no), dtype=bool)
        self.on[self.av, self.ao] = True
        self.counts = np.zeros((no, self.n_teams + 1), dtype=np.int64)  # last: no team
        np.add.at(self.counts, (self.ao, self.team[self.av]), 1)
        self.have = np.zeros_like(self.req)
        for k in range(len(self.skills)):
            np.add.at(self.have[k], self.ao, self.holds[k, self.av])
        self.load = np.zeros(nv, dtype=np.int64)
        np.add.at(self.load, self.av, self.minutes[self.ao])

    def team_terms(self) -> tuple[np.ndarray, np.ndarray]:
        """Per assignment the lone-count change of leaving its occurrence; per
        (occurrence, team) that of joining it (0 for no team)."""
        c = self.counts
        own = c[self.ao, self.team[self.av]]
        leave = np.where(own == 1, -1, np.where(own == 2, 1, 0))
        join = np.where(c == 0, 1, np.where(c == 1, -1, 0))
        leave[self.team[self.av] < 0] = 0
        join[:, -1] = 0
        return leave, join

    def skill_delta(self, joining: np.ndarray) -> np.ndarray:
        """n x len(joining): change of missing skilled people at assignment i's occurrence
        when its volunteer leaves it and volunteer ``joining[j]`` joins it."""
        n = len(self.ao)
        d = np.zeros((n, len(joining)), dtype=np.float64)
        for k in range(len(self.skills)):
            req, have = self.req[k][self.ao], self.have[k][self.ao]
            h_out = self.holds[k][self.av].astype(np.float64)
            h_in = self.holds[k][joining].astype(np.float64)
            lose = ((req > 0) & (have <= req)) * h_out  # a holder leaves: one more missing
            gain = ((req > 0) & (have < req)) * (1 - h_out)  # a holder joins: one fewer
            d += np.outer(lose, 1 - h_in) - np.outer(gain, h_in)
        return d


def _swap_deltas(st: _State) -> np.ndarray:
    """n x n cost change of swapping assignments i and j (inf where not allowed)."""
    w = st.problem.config.weights
    ao, av = st.ao, st.av
    pc = st.pc[av][:, st.site[ao]]  # pc[i, j]: v_i on o_j
    own = np.diag(pc)
    d = pc + pc.T - own[:, None] - own[None, :]
    leave, join = st.team_terms()
    ti = st.team[av]
    cross = join[ao][:, ti]  # cross[i, j]: team of v_j joins o_i
    team = leave[:, None] + cross.T + leave[None, :] + cross
    team[ti[:, None] == ti[None, :]] = 0
    d += w.team_split * team
    if st.skills:
        at_i = st.skill_delta(av)  # at o_i: v_i leaves, v_j joins
        d += w.missing_skill * (at_i + at_i.T)
    ok = st.elig[av][:, ao] & st.elig[av][:, ao].T  # v_i may work o_j and v_j o_i
    ok &= ~st.on[av][:, ao] & ~st.on[av][:, ao].T
    ok &= st.minutes[ao][:, None] == st.minutes[ao][None, :]
    ok &= st.movable[av][:, None] & st.movable[av][None, :]
    ok &= np.triu(np.ones_like(ok), 1)
    return np.where(ok, d, np.inf)


def _replace_deltas(st: _State) -> tuple[np.ndarray, np.ndarray]:
    """n x V cost change of volunteer w taking assignment i (inf where not allowed), and
    its fairness part."""
    w = st.problem.config.weights
    ao, av = st.ao, st.av
    nv = len(st.load)
    d = st.pc[:, st.site[ao]].T - st.pc[av, st.site[ao]][:, None]
    leave, join = st.team_terms()
    ti = st.team[av]
    tw = st.team
    team = leave[:, None] + join[ao][:, tw]
    team[ti[:, None] == tw[None, :]] = 0
    team += st.solo[None, :] - st.solo[av][:, None]  # a team of one pays on every shift
    d += w.team_split * team
    if st.skills:
        d += w.missing_skill * st.skill_delta(np.arange(nv))
    fair = w.fairness * _fairness_delta(st) / 60 if w.fairness else np.zeros_like(d)
    d += fair
    ok = st.elig[:, ao].T & ~st.on[:, ao].T & st.movable[None, :] & st.movable[av][:, None]
    return np.where(ok, d, np.inf), fair


def _fairness_delta(st: _State) -> np.ndarray:
    """n x V change of (max - min) pool load when w takes assignment i from v_i."""
    pool = np.flatnonzero(st.pool)
    load = st.load.astype(np.float64)
    m = st.minutes[st.ao].astype(np.float64)[:, None]
    av = st.av[:, None]
    ws = np.arange(len(load))[None, :]
    order = pool[np.argsort(load[pool], kind="stable")]
    top, bottom = order[::-1][:3], order[:3]

    def extreme(cands: np.ndarray, fill: float) -> np.ndarray:
        out = np.full(np.broadcast_shapes(av.shape, ws.shape), np.nan)
        for c in cands:  # the first of the top (bottom) three that is neither v_i nor w
            free = np.isnan(out) & (c != av) & (c != ws)
            out[free] = load[c]
        return np.where(np.isnan(out), fill, out)

    lo_v, hi_w = load[st.av][:, None] - m, load[None, :] + m
    new_max = np.maximum(np.maximum(extreme(top, -np.inf), lo_v), hi_w)
    new_min = np.minimum(np.minimum(extreme(bottom, np.inf), lo_v), hi_w)
    old = load[pool].max() - load[pool].min() if len(pool) >= 2 else 0.0
    return (new_max - new_min) - old if len(pool) >= 2 else np.zeros_like(new_max)


def improve_by_swaps(
    problem: Problem, pairs: frozenset[Pair] | tuple[Pair, ...], deadline: float
) -> tuple[frozenset[Pair], int]:
    """``pairs`` improved by swaps and replacements until none is left or ``deadline``;
    and how many were made. The result's exact cost is lower (or it is ``pairs``)."""
    current = set(pairs)
    if not applicable(problem) or not current or len(current) > MAX_ASSIGNMENTS:
        return frozenset(current), 0
    st = _State(problem, current)
    search = _Search(problem, current)
    made = 0
    per_cell = SCAN_SECONDS_PER_CELL
    while True:
        cells = len(st.ao) * (len(st.ao) + len(st.load))
        if time.monotonic() + per_cell * cells > deadline:  # a scan would overrun
            break
        started = time.monotonic()
        applied = search.round(st, deadline)
        per_cell = max(per_cell, (time.monotonic() - started) / max(1, cells))
        if not applied:
            break
        made += applied
        st.reset(search.pairs())
    if not made:
        return frozenset(pairs), 0
    result = frozenset(st.pairs)
    if total_cost(problem, result) >= total_cost(problem, pairs):
        return frozenset(pairs), 0
    return result, made


class _Search:
    """The rows of the roster in the rule grid, and which moves were found not to fit."""

    def __init__(self, problem: Problem, pairs: set[Pair]) -> None:
        self.grid = RepairGrid(problem)
        self.rows: dict[int, set[int]] = {}
        for o, v in sorted(pairs, key=lambda p: self.grid.start[p[0]]):
            self.grid.add(v, o)
            self.rows.setdefault(v, set()).add(o)
        self.version: dict[int, int] = {}  # bumped when a row changes
        self.misfits: set[tuple[int, int, int | None, int]] = set()  # (v, version, give, take)

    def pairs(self) -> set[Pair]:
        return {(o, v) for v, row in self.rows.items() for o in row}

    def fits(self, v: int, give: int | None, take: int | None) -> bool:
        """Whether ``v`` may give up ``give`` and take ``take`` (max-type rules, rest,
        overlap), remembered until ``v``'s row changes."""
        if take is None:
            return True
        key = (v, self.version.get(v, 0), give, take)
        if key in self.misfits:
            return False
        row = self.rows.get(v, set())
        _rebuild(self.grid, v, row - {give} if give is not None else row)
        ok = self.grid.fits(v, take)
        _rebuild(self.grid, v, row)
        if not ok:
            self.misfits.add(key)
        return ok

    def apply(self, v: int, give: int | None, take: int | None) -> None:
        row = self.rows.setdefault(v, set())
        if give is not None:
            row.discard(give)
        if take is not None:
            row.add(take)
        _rebuild(self.grid, v, row)
        self.version[v] = self.version.get(v, 0) + 1

    def round(self, st: _State, deadline: float) -> int:
        """Apply the improving feasible moves of one scan, best first, on disjoint people
        and occurrences; return how many."""
        cands: list[tuple[float, int, int, int]] = []  # (delta, kind: 0 swap 1 replace, i, j)
        sw = _swap_deltas(st)
        for i, j in zip(*np.nonzero(sw < -1e-9), strict=True):
            cands.append((float(sw[i, j]), 0, int(i), int(j)))
        fair = None
        if len(st.ao) * len(st.load) <= MAX_CELLS:
            rp, fair = _replace_deltas(st)
            for i, w in zip(*np.nonzero(rp < -1e-9), strict=True):
                cands.append((float(rp[i, w]), 1, int(i), int(w)))
        cands.sort()
        used_v: set[int] = set()
        used_o: set[int] = set()
        loads_moved = False
        applied = 0
        for delta, kind, i, j in cands:
            if time.monotonic() >= deadline:
                break
            oi, vi = int(st.ao[i]), int(st.av[i])
            if kind == 0:
                oj, vj = int(st.ao[j]), int(st.av[j])
                moves = [(vi, oi, oj), (vj, oj, oi)]  # (who, gives up, takes)
            else:
                oj, vj = oi, j
                moves = [(vi, oi, None), (vj, None, oi)]
            if {vi, vj} & used_v or {oi, oj} & used_o:
                continue
            # after another replacement moved the loads, this one's fairness is recomputed
            if kind == 1 and loads_moved and fair is not None:
                m = int(st.minutes[oi])
                if delta - fair[i, j] + _fairness_now(st, vi, vj, m) > -1e-9:
                    continue
            if not all(self.fits(v, give, take) for v, give, take in moves):
                continue
            for v, give, take in moves:
                self.apply(v, give, take)
            if kind == 1:
                m = int(st.minutes[oi])
                st.load[vi] -= m
                st.load[vj] += m
                loads_moved = True
            used_v |= {vi, vj}
            used_o |= {oi, oj}
            applied += 1
        return applied


def _fairness_now(st: _State, v: int, w: int, minutes: int) -> float:
    """Weighted fairness change, at the present loads, of ``w`` taking ``minutes`` from
    ``v``."""
    weight = st.problem.config.weights.fairness
    pool = st.pool
    if pool.sum() < 2 or not weight:
        return 0.0
    before = st.load[pool]
    load = st.load.copy()
    load[v] -= minutes
    load[w] += minutes
    after = load[pool]
    spread = (after.max() - after.min()) - (before.max() - before.min())
    return float(weight * spread / 60)
