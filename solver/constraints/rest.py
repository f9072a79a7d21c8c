"""Rest: a volunteer's shifts never overlap and are at least ``min_rest`` apart.

Rule: for two shifts a, b of one volunteer with a.start <= b.start,
b.start - a.end >= min_rest minutes (min_rest 0 when unset: overlap is still forbidden).

Encoding: conflicts form an interval-like graph, so they are covered by cliques. Sweep
the volunteer's distinct start times t; the *active* set at t holds the shifts with
start <= t < end + rest. Any two shifts in it conflict (the later one starts before the
earlier one's end + rest), and every conflicting pair (a, b) lies in the set at
t = b.start. One AtMostOne per maximal active set (a set contained in the next one
is dropped) replaces the quadratic pairwise clauses and propagates as strongly.
"""

from __future__ import annotations

from solver.variables import ModelContext


def _minute(ts: float) -> int:
    return int(ts // 60)


def add_rest(ctx: ModelContext) -> int:
    """Add one AtMostOne per maximal clique of conflicting shifts; return the count."""
    occ = ctx.problem.occurrences
    start = [_minute(o.start.timestamp()) for o in occ]
    end = [_minute(o.end.timestamp()) for o in occ]
    added = 0
    for v, pairs in enumerate(ctx.vol_vars):
        if len(pairs) < 2:
            continue
        rest = ctx.problem.limits[v].min_rest_minutes or 0
        cliques: list[list[int]] = []  # indices into pairs
        times = sorted({start[o] for o, _ in pairs})
        lo = 0  # pairs are sorted by start; shifts before `lo` are over (for good)
        for t in times:
            while lo < len(pairs) and end[pairs[lo][0]] + rest <= t:
                lo += 1
            active = []
            for i in range(lo, len(pairs)):
                o = pairs[i][0]
                if start[o] > t:
                    break
                if t < end[o] + rest:
                    active.append(i)
            if cliques and set(cliques[-1]) <= set(active):
                cliques.pop()
            cliques.append(active)
        for clique in cliques:
            if len(clique) >= 2:
                ctx.model.AddAtMostOne([pairs[i][1] for i in clique])
                added += 1
    ctx.count("rest", added)
    return added
