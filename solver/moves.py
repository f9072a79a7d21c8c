"""Single moves after the search: one volunteer onto a short shift, where it lowers the cost.

A time-limited search on an under-supplied plan can end where one volunteer could move
from a shift of lower priority (or simply add a shift) to a short one of higher priority,
saving ``uncovered`` x the difference (a QA config with 70 % cover: 87-117 such moves
left after 20 s). :func:`improve_by_moves` visits the short occurrences, highest priority
first; for each eligible volunteer it tries adding the shift, then moving it from each of
their shifts of lower priority (or above need). The volunteer's row without that shift is
rebuilt in the hand method's rule grid (:class:`solver.repair.RepairGrid`: every
max-type hard rule against all their shifts, rest and overlap on both sides), and the
move is kept when the shift fits and the exact cost (:func:`scheduler.cost.total_cost`)
falls. Volunteers bound by a min-type rule are left alone (``solver.repair._movable``).
Plain planning only: no re-planning, nothing fixed.
"""

from __future__ import annotations

import time
from collections import Counter

from scheduler.cost import total_cost
from scheduler.greedy import VolunteerState
from scheduler.problem import Problem
from solver.repair import RepairGrid, _movable
from solver.types import Pair


def _rebuild(grid: RepairGrid, v: int, row: set[int]) -> None:
    """Volunteer ``v``'s grid state holding exactly the shifts ``row``."""
    grid.state[v] = VolunteerState()
    grid.spans[v] = []
    for o in sorted(row, key=lambda o: grid.start[o]):
        grid.add(v, o)


def improve_by_moves(
    problem: Problem, pairs: frozenset[Pair] | tuple[Pair, ...], deadline: float
) -> tuple[frozenset[Pair], int]:
    """``pairs`` improved by single moves until none is left or ``deadline``; and how
    many were made. Every move lowers the exact cost."""
    occs = problem.occurrences
    current = set(pairs)
    staffed = Counter(o for o, _ in current)
    short = [o.index for o in occs if staffed[o.index] < o.need]
    if not short:
        return frozenset(current), 0
    cost = total_cost(problem, current)
    grid = RepairGrid(problem)
    rows: dict[int, set[int]] = {}
    for o, v in sorted(current, key=lambda p: grid.start[p[0]]):
        grid.add(v, o)
        rows.setdefault(v, set()).add(o)
    short.sort(key=lambda o: (-occs[o].priority, grid.start[o]))
    moves = 0
    for target in short:
        for v in problem.eligible[target]:
            if staffed[target] >= occs[target].need:
                break
            if time.monotonic() >= deadline:
                return frozenset(current), moves
            row = rows.get(v, set())
            if target in row or not _movable(problem, v):
                continue
            sources: list[int | None] = [None]  # None: add the shift, give nothing up
            sources += sorted(
                (o for o in row if occs[o].priority < occs[target].priority
                 or staffed[o] > occs[o].need),
                key=lambda o: occs[o].priority,
            )  # fmt: skip
            for source in sources:
                kept = row if source is None else row - {source}
                _rebuild(grid, v, kept)
                if not grid.fits(v, target):
                    continue
                moved = set(current)
                if source is not None:
                    moved.discard((source, v))
                moved.add((target, v))
                new_cost = total_cost(problem, moved)
                if new_cost < cost:
                    current, cost = moved, new_cost
                    rows[v] = kept | {target}
                    staffed[target] += 1
                    if source is not None:
                        staffed[source] -= 1
                    moves += 1
                    break
            _rebuild(grid, v, rows.get(v, set()))
    return frozenset(current), moves
