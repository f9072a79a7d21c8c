"""Successions: a shift named ``first`` on day d forbids a shift named ``then`` on d + 1.

Rule (rules.forbidden_successions): per volunteer, for every day d, not both a shift
named ``first`` starting on d and a shift named ``then`` starting on d + 1 (any sites).
Encoding: pairwise clauses when few, else a day literal u = OR(first shifts on d) and
one clause per ``then`` shift.
"""

from __future__ import annotations

from typing import Any

from solver.variables import ModelContext

_PAIRWISE_MAX = 16


def add_successions(ctx: ModelContext) -> int:
    """Forbid each listed succession for every volunteer and day; return clause count."""
    rules = ctx.problem.config.rules.forbidden_successions
    if not rules:
        return 0
    occ = ctx.problem.occurrences
    m = ctx.model
    added = 0
    then_of: dict[str, set[str]] = {}
    for rule in rules:
        then_of.setdefault(rule.first, set()).add(rule.then)
    for v in range(len(ctx.vol_vars)):
        days = ctx.by_day(v)
        if ctx.problem.limits[v].max_shifts_per_day == 1:
            added += _successions_as_cliques(ctx, days, then_of)
            continue
        for d, pairs in days.items():
            nxt = days.get(d + 1)
            if not nxt:
                continue
            for rule in rules:
                firsts: list[Any] = [var for o, var in pairs if occ[o].shift == rule.first]
                thens: list[Any] = [var for o, var in nxt if occ[o].shift == rule.then]
                if not firsts or not thens:
                    continue
                if len(firsts) * len(thens) <= _PAIRWISE_MAX:
                    for a in firsts:
                        for b in thens:
                            m.AddBoolOr([a.Not(), b.Not()])
                            added += 1
                    continue
                u = m.NewBoolVar(f"succ[{v},{d},{rule.first}]")
                for a in firsts:
                    m.AddImplication(a, u)
                for b in thens:
                    m.AddBoolOr([u.Not(), b.Not()])
                    added += 1
    ctx.count("successions", added)
    return added


def _successions_as_cliques(
    ctx: ModelContext, days: dict[int, list[tuple[int, Any]]], then_of: dict[str, set[str]]
) -> int:
    """Same rule for a volunteer with at most one shift per day (added by the NRP work).

    A day's shifts are then mutually exclusive, so "no ``first`` on d with a ``then`` on
    d + 1" is one AtMostOne over the ``first`` shifts of d and all the shifts on d + 1
    it forbids: one (LP-tight) clique per (day, first) instead of one clause per pair.
    """
    occ = ctx.problem.occurrences
    added = 0
    for d, pairs in days.items():
        nxt = days.get(d + 1)
        if not nxt:
            continue
        by_name: dict[str, list[Any]] = {}
        for o, var in nxt:
            by_name.setdefault(occ[o].shift, []).append(var)
        firsts: dict[str, list[Any]] = {}
        for o, var in pairs:
            if occ[o].shift in then_of:
                firsts.setdefault(occ[o].shift, []).append(var)
        for name, vars_ in firsts.items():
            thens = [var for then in then_of[name] for var in by_name.get(then, ())]
            if thens:
                ctx.model.AddAtMostOne(vars_ + thens)
                added += 1
    return added
