"""Weekends: at most ``max_weekends`` worked weekends per volunteer.

Rule: a weekend is a local Saturday + the following Sunday; a horizon edge may cut it
to one day, which still counts as one weekend. It is worked if a shift starts on its
Saturday or Sunday. Encoding: one Boolean per (volunteer, weekend) implied by the
day-worked literals of its days (an upper bound suffices for a cap), then a sum.
"""

from __future__ import annotations

import datetime as dt

from solver.variables import Lit, ModelContext


def weekend_days(start: dt.date, days: int) -> list[list[int]]:
    """Horizon day indices grouped by weekend (Saturday date), in order."""
    groups: dict[dt.date, list[int]] = {}
    for d in range(days):
        date = start + dt.timedelta(days=d)
        if date.weekday() == 5:
            groups.setdefault(date, []).append(d)
        elif date.weekday() == 6:
            groups.setdefault(date - dt.timedelta(days=1), []).append(d)
    return [groups[k] for k in sorted(groups)]


def add_weekends(ctx: ModelContext) -> int:
    """Add the worked-weekend cap per volunteer where it can bind; return the count."""
    horizon = ctx.problem.config.horizon
    groups = weekend_days(horizon.start, horizon.days)
    added = 0
    for v, pairs in enumerate(ctx.vol_vars):
        cap = ctx.problem.limits[v].max_weekends
        if cap is None or not pairs:
            continue
        worked: list[Lit] = []
        for group in groups:
            lits = [ctx.worked(v, d) for d in group]
            lits = [lit for lit in lits if lit is not False]
            if not lits:
                continue
            if len(lits) == 1:
                worked.append(lits[0])
            else:
                we = ctx.model.NewBoolVar(f"weekend[{v},{group[0]}]")
                for lit in lits:
                    ctx.model.AddImplication(lit, we)  # type: ignore[arg-type]
                worked.append(we)
        if len(worked) <= cap:
            continue
        if cap == 0:
            for lit in worked:
                ctx.model.Add(lit == 0)  # type: ignore[arg-type]
        else:
            ctx.model.Add(sum(worked) <= cap)  # type: ignore[arg-type]
        added += 1
    ctx.count("weekends", added)
    return added
