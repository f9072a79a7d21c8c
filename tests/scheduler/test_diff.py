"""scheduler.diff: added/removed per volunteer, coverage change per site."""

from __future__ import annotations

import datetime as dt

from scheduler.diff import diff_rosters
from scheduler.roster import Assignment, Roster, Shortfall, Status

TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2020, 1, day, hour, tzinfo=TZ)


def a(vol: str, site: str, day: int, hour: int, shift: str = "day") -> Assignment:
    return Assignment(
        volunteer=vol, site=site, shift=shift, start=at(day, hour), end=at(day, hour + 8)
    )


def roster(version: int, assignments: list[Assignment], short: list[Shortfall] = ()) -> Roster:
    return Roster(
        plan="p",
        version=version,
        status=Status.optimal,
        assignments=tuple(assignments),
        shortfalls=tuple(short),
    )


def test_first_version_is_all_additions() -> None:
    new = roster(1, [a("v1", "s1", 29, 8), a("v2", "s1", 29, 8)])
    d = diff_rosters(None, new)
    assert (d.from_version, d.to_version, d.added, d.removed) == (None, 1, 2, 0)
    assert [v.volunteer for v in d.volunteers] == ["v1", "v2"]
    assert d.sites[0].assigned_before == 0 and d.sites[0].assigned_after == 2


def test_moves_and_coverage_changes() -> None:
    old = roster(
        1,
        [a("v1", "s1", 29, 8), a("v2", "s2", 29, 8)],
        [Shortfall(site="s2", shift="day", start=at(29, 8), missing=1)],
    )
    new = roster(2, [a("v1", "s1", 29, 8), a("v2", "s2", 30, 8), a("v3", "s2", 29, 8)])
    d = diff_rosters(old, new)
    assert (d.added, d.removed, d.changed) == (2, 1, 3)
    by_vol = {v.volunteer: v for v in d.volunteers}
    assert set(by_vol) == {"v2", "v3"}, "unchanged volunteers are not listed"
    assert [r.start for r in by_vol["v2"].removed] == [at(29, 8).isoformat()]
    assert [r.start for r in by_vol["v2"].added] == [at(30, 8).isoformat()]
    assert by_vol["v3"].removed == ()
    assert [s.site for s in d.sites] == ["s2"], "s1's coverage did not change"
    s2 = d.sites[0]
    assert (s2.assigned_before, s2.assigned_after, s2.missing_before, s2.missing_after) == (
        1,
        2,
        1,
        0,
    )
    assert [(c.start, c.before, c.after) for c in s2.shifts] == [
        (at(29, 8).isoformat(), 1, 1),
        (at(30, 8).isoformat(), 0, 1),
    ]
    assert [(c.missing_before, c.missing_after) for c in s2.shifts] == [(1, 0), (0, 0)]


def test_identical_rosters_have_no_diff() -> None:
    old = roster(1, [a("v1", "s1", 29, 8)])
    d = diff_rosters(old, roster(2, [a("v1", "s1", 29, 8)]))
    assert d.changed == 0 and d.volunteers == () and d.sites == ()
