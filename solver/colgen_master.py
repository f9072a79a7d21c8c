"""The master problems of column generation: choose one row (column) per volunteer.

A column is one volunteer's whole row (a set of occurrences that keeps every rule of
theirs) with its own cost: per-assignment costs (travel, preference), requests met or
not. The master adds what couples volunteers: each occurrence's cover, under (``uncovered``
x priority per missing person) and over (``over_cover`` per person above need, or not at
all when unset)::

    min  sum_c cost_c l_c + sum_o (under_o u_o + over_o s_o)
    s.t. sum_{c of v} l_c = 1                     (each volunteer: one row)
         sum_{c covers o} l_c + u_o - s_o = need_o

:class:`Master` is its LP relaxation in HiGHS (columns added as they are priced; interior
point without crossover: re-solves are fast on this degenerate LP and its central duals
steady the pricing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scheduler.cost import km_rounded
from scheduler.problem import Problem
from solver.lns_rules import request_values
from solver.relax import silent_highs


def _highs():
    """A silent HiGHS instance for re-solves: interior point without crossover, no presolve."""
    h = silent_highs()
    h.setOptionValue("presolve", "off")
    h.setOptionValue("solver", "ipm")
    h.setOptionValue("run_crossover", "off")
    return h


def cover_costs(problem: Problem) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Per occurrence: its need and what each missing person costs (``uncovered`` x
    priority); and what each person above need costs (None: not allowed)."""
    w = problem.config.weights
    need = np.array([o.need for o in problem.occurrences], dtype=float)
    under = np.array([w.uncovered * o.priority for o in problem.occurrences], dtype=float)
    return need, under, None if w.over_cover is None else float(w.over_cover)


class RowCosts:
    """What a row costs on its own: per-pair costs and requests (the cover is the master's)."""

    def __init__(self, problem: Problem):
        w = problem.config.weights
        self.constant = [0.0] * len(problem.volunteers)
        for r in problem.config.requests:
            v = problem.volunteer_index.get(r.volunteer)
            if v is not None and r.want == "on":
                self.constant[v] += r.weight
        wanted = request_values(problem)
        self.pair: list[np.ndarray] = []
        for v, vol in enumerate(problem.volunteers):
            costs = []
            for o in problem.by_volunteer[v]:
                site = problem.sites[problem.occurrences[o].site]
                c = w.travel_km * km_rounded(vol, site) if w.travel_km else 0.0
                if vol.prefers and site.id not in vol.prefers:
                    c += w.preference
                costs.append(c - wanted.get((o, v), 0.0))
            self.pair.append(np.array(costs, dtype=float))
        self.position = [
            {o: i for i, o in enumerate(problem.by_volunteer[v])}
            for v in range(len(problem.volunteers))
        ]

    def of(self, v: int, row: tuple[int, ...]) -> float:
        pos = self.position[v]
        return self.constant[v] + float(sum(self.pair[v][pos[o]] for o in row))


@dataclass(frozen=True)
class Column:
    v: int
    row: tuple[int, ...]  # occurrence indices, sorted
    cost: float


@dataclass(frozen=True)
class LpResult:
    objective: float
    vol_dual: np.ndarray  # per volunteer
    occ_dual: np.ndarray  # per occurrence
    values: np.ndarray  # per column


class Master:
    """The LP relaxation over the columns added so far (HiGHS, warm-started)."""

    def __init__(self, problem: Problem):
        import highspy

        inf = highspy.kHighsInf
        self.nv, self.no = len(problem.volunteers), len(problem.occurrences)
        self.columns: list[Column] = []
        self.seen: set[tuple[int, tuple[int, ...]]] = set()
        self.h = _highs()
        need, under, over = cover_costs(problem)
        lower = np.concatenate([np.ones(self.nv), need])
        self.h.addRows(self.nv + self.no, lower, lower.copy(), 0,
                       np.zeros(self.nv + self.no, dtype=np.int32),
                       np.array([], dtype=np.int32), np.array([], dtype=float))  # fmt: skip
        over_w = over if over is not None else 0.0
        over_hi = inf if over is not None else 0.0
        rows = np.arange(self.nv, self.nv + self.no, dtype=np.int32)
        # u_o (under, coefficient +1) then s_o (over, -1): 2 * no slack columns
        costs = np.concatenate([under, np.full(self.no, over_w)])
        hi = np.concatenate([need, np.full(self.no, over_hi)])
        self.h.addCols(2 * self.no, costs, np.zeros(2 * self.no), hi, 2 * self.no,
                       np.arange(2 * self.no, dtype=np.int32), np.concatenate([rows, rows]),
                       np.concatenate([np.ones(self.no), -np.ones(self.no)]))  # fmt: skip
        self.slacks = 2 * self.no
        self.by_vol: list[list[int]] = [[] for _ in range(self.nv)]

    def fix(self, v: int, i: int) -> None:
        """Volunteer ``v`` works column ``i``: its other columns leave the LP."""
        for j in self.by_vol[v]:
            self.h.changeColBounds(self.slacks + j, 1.0 if j == i else 0.0, 1.0 if j == i else 0.0)

    def release(self) -> None:
        """Undo every :meth:`fix`."""
        for cols in self.by_vol:
            for j in cols:
                self.h.changeColBounds(self.slacks + j, 0.0, 1.0)

    def add(self, column: Column) -> bool:
        """Add a column unless the same row of the same volunteer is there already."""
        key = (column.v, column.row)
        if key in self.seen:
            return False
        self.seen.add(key)
        self.by_vol[column.v].append(len(self.columns))
        self.columns.append(column)
        idx = np.array([column.v] + [self.nv + o for o in column.row], dtype=np.int32)
        self.h.addCol(column.cost, 0.0, 1.0, len(idx), idx, np.ones(len(idx)))
        return True

    def solve(self) -> LpResult | None:
        """The LP optimum over the columns so far, or None when it is infeasible."""
        import highspy

        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = self.h.getSolution()
        dual = np.array(sol.row_dual)
        value = np.array(sol.col_value)[self.slacks :]
        return LpResult(
            objective=float(self.h.getInfo().objective_function_value),
            vol_dual=dual[: self.nv],
            occ_dual=dual[self.nv :],
            values=value,
        )
