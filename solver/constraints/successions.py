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
    for v in range(len(ctx.vol_vars)):
        days = ctx.by_day(v)
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
