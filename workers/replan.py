"""Re-planning with stability: events folded into the plan, the published roster kept where
it can be.

* :func:`apply_events` folds accepted events into the submitted plan, in acceptance order:
  surge/need/site-open/site-close become ``demand_changes`` appended after the config's own
  (so they apply last, in order); site-open also adds an ``open`` window to a site that
  has explicit ones; dropout/unavailable add an ``unavailable`` window to the volunteer.
  An event acts from ``now`` on: its window is cut to start no earlier, so the past (and
  the need of shifts already started) is not rewritten.
* :func:`stability` maps the published roster onto the new problem by
  (site, shift, start) and volunteer id and decides what must stay: occurrences that
  started before ``now`` are frozen (staffed exactly by their previous, still eligible,
  pairs); previous pairs of shifts starting before ``now + freeze`` are fixed (nobody is
  moved off a shift about to start, but replacements may be added). Previous pairs that
  became ineligible (a dropout, a closure) are dropped, with the reason.
* :func:`solve_params` passes the rest to the solver: ``previous`` (each change costs
  ``weights.change``), the optional ``max_changes`` cap and the previous roster as hint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.models import DemandChange, Plan, Window
from scheduler.problem import Problem, ineligibility
from scheduler.roster import Roster
from solver.types import Pair, Progress, SolveParams
from workers.events import Dropout, Need, SiteClose, SiteOpen, Surge, Unavailable, record_event


def apply_events(
    plan: Plan, records: Iterable[dict[str, Any]], now: dt.datetime | None = None
) -> Plan:
    """The plan with the events applied (acceptance order), from ``now`` (aware) on when
    given: earlier parts of their windows are left out."""
    cfg = plan.config
    since = None if now is None else now.astimezone(ZoneInfo(cfg.timezone)).replace(tzinfo=None)
    changes = list(cfg.demand_changes)
    sites = {s.id: s for s in cfg.sites}
    unavailable: dict[str, list[Window]] = {}
    for rec in records:
        ev = record_event(rec)
        start = ev.start if since is None else max(ev.start, since)
        if start >= ev.end:
            continue  # the whole window lies in the past
        window = {"start": start, "end": ev.end}
        if isinstance(ev, Surge):
            changes.append(DemandChange(site=ev.site, add=ev.add, shift=ev.shift, **window))
        elif isinstance(ev, Need):
            changes.append(DemandChange(site=ev.site, set=ev.set, shift=ev.shift, **window))
        elif isinstance(ev, SiteClose):
            changes.append(DemandChange(site=ev.site, set=0, shift=ev.shift, **window))
        elif isinstance(ev, SiteOpen):
            site = sites[ev.site]
            if site.open:
                opened = (*site.open, Window(**window))
                sites[ev.site] = site.model_copy(update={"open": opened})
            if ev.need is not None:
                changes.append(DemandChange(site=ev.site, set=ev.need, shift=ev.shift, **window))
        elif isinstance(ev, Dropout | Unavailable):
            unavailable.setdefault(ev.volunteer, []).append(Window(**window))
    config = cfg.model_copy(
        update={
            "demand_changes": tuple(changes),
            "sites": tuple(sites[s.id] for s in cfg.sites),
        }
    )
    volunteers = tuple(
        v.model_copy(update={"unavailable": (*v.unavailable, *unavailable[v.id])})
        if v.id in unavailable
        else v
        for v in plan.volunteers
    )
    return Plan(config=config, volunteers=volunteers, source=plan.source)


@dataclass(frozen=True)
class Stability:
    previous: frozenset[Pair]  # published pairs still eligible in the new problem
    fixed: frozenset[Pair]
    frozen: frozenset[int]
    dropped: tuple[dict[str, str], ...]  # published assignments that cannot stay, and why


def roster_pairs(problem: Problem, roster: Roster) -> tuple[set[Pair], list[dict[str, str]]]:
    """Pairs of a published roster in ``problem``; assignments that no longer fit, with why."""
    occ_index, vol_index = problem.occurrence_index, problem.volunteer_index
    eligible = [set(e) for e in problem.eligible]
    pairs: set[Pair] = set()
    dropped: list[dict[str, str]] = []
    for a in roster.assignments:
        o, v = occ_index.get(a.key), vol_index.get(a.volunteer)
        base = {"volunteer": a.volunteer, "site": a.site, "shift": a.shift}
        base["start"] = a.start.isoformat()
        if o is None or v is None:
            why = "shift no longer exists" if o is None else "volunteer no longer in the plan"
            dropped.append({**base, "reason": why})
        elif v not in eligible[o]:
            dropped.append({**base, "reason": ineligibility(problem, v, o) or "not eligible"})
        else:
            pairs.add((o, v))
    return pairs, dropped


def stability(
    problem: Problem, roster: Roster | None, now: dt.datetime, freeze: dt.timedelta
) -> Stability:
    if roster is None:
        return Stability(frozenset(), frozenset(), frozenset(), ())
    pairs, dropped = roster_pairs(problem, roster)
    occs = problem.occurrences
    started = {o.index for o in occs if o.start <= now}
    cutoff = now + freeze
    fixed = {(o, v) for o, v in pairs if occs[o].start < cutoff}
    if problem.config.weights.over_cover is None:
        # never staff above need (hard): keep at most `need` of the fixed pairs per shift
        by_occ: dict[int, list[Pair]] = {}
        for p in sorted(fixed, key=lambda p: problem.volunteers[p[1]].id):
            by_occ.setdefault(p[0], []).append(p)
        fixed = set()
        for o, ps in by_occ.items():
            keep = ps[: occs[o].need]
            fixed.update(keep)
            for p in ps[occs[o].need :]:
                a = {"volunteer": problem.volunteers[p[1]].id, "site": occs[o].site}
                a |= {"shift": occs[o].shift, "start": occs[o].start.isoformat()}
                dropped.append({**a, "reason": "need reduced below the people on shift"})
                pairs.discard(p)  # a forced removal, counted once (in ``dropped``)
    return Stability(frozenset(pairs), frozenset(fixed), frozenset(started), tuple(dropped))


def solve_params(
    stab: Stability,
    *,
    time_limit: float,
    workers: int,
    max_changes: int | None,
    on_progress: Callable[[Progress], None] | None = None,
) -> SolveParams:
    has_previous = bool(stab.previous) or bool(stab.dropped)
    return SolveParams(
        time_limit=time_limit,
        workers=workers,
        on_progress=on_progress,
        hint=stab.previous,
        fixed=stab.fixed,
        frozen_occurrences=stab.frozen,
        previous=stab.previous if has_previous else None,
        max_changes=max_changes if has_previous else None,
    )


def missing_people(problem: Problem, pairs: Iterable[Pair]) -> int:
    """Uncovered person-shifts of ``pairs`` (each occurrence counts at most its need)."""
    count = [0] * len(problem.occurrences)
    for o, _ in set(pairs):
        count[o] += 1
    return sum(max(0, occ.need - count[occ.index]) for occ in problem.occurrences)


def change_stats(
    problem: Problem, stab: Stability, new_roster: Roster, events: list[dict[str, Any]]
) -> dict[str, Any]:
    """How many assignments changed against the published roster, and why."""
    new_pairs, _ = roster_pairs(problem, new_roster)
    added = new_pairs - stab.previous
    removed = stab.previous - new_pairs
    before = missing_people(problem, stab.previous)
    after = new_roster.total_missing
    restored = max(0, before - after)
    forced = len(stab.dropped)
    changed = len(added) + len(removed) + forced
    return {
        "changed": changed,
        "added": len(added),
        "removed": len(removed) + forced,
        "removed_forced": forced,
        "dropped": list(stab.dropped[:50]),
        "missing_before": before,
        "missing_after": after,
        "coverage_restored": restored,
        "min_changes": forced + restored,
        "fixed": len(stab.fixed),
        "frozen_occurrences": len(stab.frozen),
        "events": [{"id": e["id"], "kind": e["kind"]} for e in events],
        "why": _why(events, forced, restored, len(added) + len(removed) - restored),
    }


def _why(events: list[dict[str, Any]], forced: int, restored: int, rebalanced: int) -> str:
    kinds = sorted({e["kind"] for e in events})
    parts = []
    if kinds:
        parts.append(f"events: {', '.join(kinds)} ({len(events)})")
    if forced:
        parts.append(f"{forced} assignment(s) could not stay (unavailable or need reduced)")
    if restored:
        parts.append(f"{restored} more person-shift(s) covered")
    if rebalanced > 0:
        parts.append(f"{rebalanced} other change(s) where they lower the cost")
    return "; ".join(parts) or "no change"


def with_replan_stats(roster: Roster, stats: dict[str, Any]) -> Roster:
    return roster.model_copy(update={"stats": {**roster.stats, "replan": stats}})
