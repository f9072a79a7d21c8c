"""Pure parts of re-planning: events folded into a plan, stability sets, the fast repair."""

from __future__ import annotations

import datetime as dt
import itertools

from scheduler.build import build_roster
from scheduler.checker import check_roster
from scheduler.problem import compile_plan
from tests.workers.conftest import tiny_plan
from workers.repair import repair, repaired_roster
from workers.replan import apply_events, stability

W29 = {"from": "2020-01-29T00:00:00", "to": "2020-01-30T00:00:00"}


def needs(plan) -> dict[tuple[int, str], int]:
    return {(o.date.day, o.shift): o.need for o in compile_plan(plan).occurrences}


def test_events_fold_in_acceptance_order() -> None:
    plan = tiny_plan()
    events = [
        {"id": "1", "kind": "surge", "site": "exit-se", "add": 2, **W29},
        {"id": "2", "kind": "need", "site": "exit-se", "shift": "night", "set": 1, **W29},
        {"id": "3", "kind": "site-close", "site": "exit-se", "shift": "evening", **W29},
        {"id": "4", "kind": "dropout", "volunteer": "v2", **W29},
    ]
    folded = apply_events(plan, events)
    n = needs(folded)
    assert (n[29, "night"], n[29, "day"], n[29, "evening"]) == (1, 3, 0)
    assert (n[30, "night"], n[30, "day"], n[30, "evening"]) == (1, 1, 1)
    assert folded.config.demand_changes[-3].add == 2  # appended after the config's own
    v2 = next(v for v in folded.volunteers if v.id == "v2")
    assert len(v2.unavailable) == 1 and v2.unavailable[0].start == dt.datetime(2020, 1, 29)
    assert plan.config.demand_changes == (), "the submitted plan is not modified"


def test_site_open_adds_an_open_window_and_need() -> None:
    site = {"id": "exit-se", "pattern": "three-8h", "need": 1}
    site["open"] = {"from": "2020-01-30T00:00", "to": "2020-01-31T00:00"}
    plan = tiny_plan(sites=[site])
    assert 29 not in {d for d, _ in needs(plan)}
    ev = {"id": "o", "kind": "site-open", "site": "exit-se", "need": 2, **W29}
    n = needs(apply_events(plan, [ev]))
    assert n[29, "day"] == 2 and n[30, "day"] == 1


def test_stability_freezes_started_and_fixes_the_freeze_window() -> None:
    plan = tiny_plan()
    problem = compile_plan(plan)
    pairs = [(o.index, o.index % 4) for o in problem.occurrences]
    roster = build_roster(problem, status="feasible", objective=0, bound=None, pairs=pairs)
    folded = compile_plan(apply_events(plan, [{"id": "d", "kind": "dropout", "volunteer": "v1",
                                                 **W29}]))  # fmt: skip
    now = dt.datetime(2020, 1, 29, 9, tzinfo=folded.tz)  # night and day started
    stab = stability(folded, roster, now, dt.timedelta(hours=8))  # evening in the window
    started = {o.index for o in folded.occurrences if o.start <= now}
    assert stab.frozen == started == {0, 1}
    assert stab.fixed == {p for p in stab.previous if p[0] in (0, 1, 2)}
    assert [d["volunteer"] for d in stab.dropped] == ["v1"]
    assert stab.dropped[0]["reason"] == "marked unavailable then"


def test_repair_fills_gaps_only_where_every_rule_holds() -> None:
    rules = {"min_rest_hours": 8, "max_hours_per_day": 8, "max_consecutive_days": 1}
    plan = tiny_plan(rules=rules, horizon={"start": "2020-01-29", "days": 3})
    problem = compile_plan(plan)
    # published: v1 on the 29th's day shift, v2 on the 30th's night shift
    day29 = next(o.index for o in problem.occurrences if (o.date.day, o.shift) == (29, "day"))
    night30 = next(o.index for o in problem.occurrences if (o.date.day, o.shift) == (30, "night"))
    previous = frozenset({(day29, 0), (night30, 1)})
    pairs, trimmed = repair(problem, previous, frozenset(), frozenset())
    assert trimmed == 0 and previous <= pairs
    by_vol: dict[int, list] = {}
    for o, v in pairs:
        by_vol.setdefault(v, []).append(problem.occurrences[o])
    for shifts in by_vol.values():
        days = sorted(o.date for o in shifts)
        assert len(days) == len(set(days)), "8 h a day: one shift per day"
        assert all((b - a).days > 1 for a, b in itertools.pairwise(days)), "1 day run"
    roster = build_roster(problem, status="feasible", objective=0, bound=None, pairs=pairs)
    report = check_roster(problem, roster)
    assert not [v for v in report.violations if "objective" not in v], report.violations
    # four volunteers, one shift each at most every other day: 4 x 2 = 8 of 9 at best
    assert len(pairs) >= 6


def test_repaired_roster_respects_the_change_cap_and_trims_reduced_need() -> None:
    plan = tiny_plan(sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2}])
    problem = compile_plan(plan)
    previous = frozenset({(0, 0), (0, 1), (1, 2)})
    closed = compile_plan(apply_events(plan, [{"id": "c", "kind": "need", "site": "exit-se",
                                               "set": 1, **W29}]))  # fmt: skip
    pairs, trimmed = repair(closed, previous, frozenset({(0, 1)}), frozenset())
    assert trimmed == 1 and (0, 1) in pairs and (0, 0) not in pairs, "non-fixed go first"
    capped = repaired_roster(problem, previous, frozenset(), frozenset(), max_changes=2,
                             version=2)  # fmt: skip
    assert capped is not None and len(capped.assignments) == 3 + 2
