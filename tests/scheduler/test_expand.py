"""Shift expansion: occurrences, need, night flags, DST-safe times, day and week indices."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from scheduler.expand import Occurrence, expand
from scheduler.loading import plan_from_dict
from tests.conftest import tiny_config

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")


def _occs(**overrides: Any) -> tuple[Occurrence, ...]:
    return expand(plan_from_dict(tiny_config(**overrides)).config)


def _pattern(*shifts: dict[str, Any]) -> dict[str, Any]:
    return {"p": list(shifts)}


def _site(**kw: Any) -> list[dict[str, Any]]:
    return [{"id": "s", "pattern": "p", "need": 1, **kw}]


def test_three_shifts_two_days_in_time_order() -> None:
    occs = _occs()
    assert [(o.date.day, o.shift) for o in occs] == [
        (29, "night"),
        (29, "day"),
        (29, "evening"),
        (30, "night"),
        (30, "day"),
        (30, "evening"),
    ]
    assert [o.index for o in occs] == list(range(6))
    first = occs[0]
    assert first.start == dt.datetime(2020, 1, 29, 0, 0, tzinfo=SHANGHAI)
    assert first.start.isoformat() == "2020-01-29T00:00:00+08:00"
    assert first.key == ("exit-se", "night", "2020-01-29T00:00:00+08:00")
    assert all(o.minutes == 480 for o in occs)


def test_shift_crossing_midnight_belongs_to_its_start_date() -> None:
    occs = _occs(
        shift_patterns=_pattern(
            {"name": "day", "start": "08:00", "hours": 12},
            {"name": "night", "start": "20:00", "hours": 12},
        ),
        sites=_site(),
    )
    night = [o for o in occs if o.shift == "night"]
    assert [o.date for o in night] == [dt.date(2020, 1, 29), dt.date(2020, 1, 30)]
    assert night[0].end == dt.datetime(2020, 1, 30, 8, tzinfo=SHANGHAI)
    assert [o.day for o in night] == [0, 1]
    # the last night runs past the horizon's end: it still exists (it starts inside)
    assert night[-1].end.date() == dt.date(2020, 1, 31)
    assert night[0].night and not next(o for o in occs if o.shift == "day").night


def test_night_detection_flag_or_covering_early_hours() -> None:
    occs = _occs(
        shift_patterns=_pattern(
            {"name": "early", "start": "04:00", "hours": 4},  # covers 04:00-05:00
            {"name": "dawn", "start": "05:00", "hours": 4},  # starts as night ends
            {"name": "late", "start": "20:00", "hours": 4},  # ends exactly at 00:00
            {"name": "flagged", "start": "12:00", "hours": 4, "night": True},
            {"name": "overnight", "start": "23:00", "hours": 2},  # covers 00:00-01:00
        ),
        sites=_site(),
        horizon={"start": "2020-01-29", "days": 1},
    )
    nights = {o.shift: o.night for o in occs}
    assert nights == {
        "early": True,
        "dawn": False,
        "late": False,
        "flagged": True,
        "overnight": True,
    }


def test_need_by_shift_and_require_in_full_where_people_are_needed() -> None:
    occs = _occs(
        sites=[
            {
                "id": "s",
                "pattern": "three-8h",
                "need": 3,
                "need_by_shift": {"night": 1},
                "require": {"medical": 2, "driver": 0},
            }
        ],
        demand_changes=[
            {"site": "s", "from": "2020-01-29T16:00", "to": "2020-01-30T00:00", "set": 0}
        ],
        horizon={"start": "2020-01-29", "days": 1},
    )
    assert {o.shift: o.need for o in occs} == {"night": 1, "day": 3, "evening": 0}
    # the contract: "at least N of those on it hold the skill", also above a small need
    # and on a closed occurrence (need 0: no one on it, so every holder is missing)
    assert {o.shift: o.require for o in occs} == {
        "night": (("medical", 2),),
        "day": (("medical", 2),),
        "evening": (("medical", 2),),
    }


def test_demand_changes_apply_in_file_order_with_clamping() -> None:
    window = {"from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}
    changes = [
        {"site": "exit-se", **window, "add": -5},  # 2 - 5 -> 0 (never below 0)
        {"site": "exit-se", **window, "add": 3},  # 0 + 3 -> 3
        {"site": "exit-se", "from": "2020-01-29T08:00", "to": "2020-01-29T16:00", "set": 1},
        {"site": "exit-se", "from": "2020-01-30T00:00", "to": "2020-01-31T00:00", "set": 0},
        {"site": "exit-se", "from": "2020-01-30T00:00", "to": "2020-01-31T00:00", "add": 4},
        {"site": "exit-se", **window, "shift": "evening", "add": 10},
    ]
    occs = _occs(
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2}], demand_changes=changes
    )
    needs = {(o.date.day, o.shift): o.need for o in occs}
    assert needs == {
        (29, "night"): 3,
        (29, "day"): 1,  # the set to 1 comes after the adds: it wins
        (29, "evening"): 13,  # the shift-only change applies to evenings alone
        (30, "night"): 4,  # set 0, then add 4 (file order)
        (30, "day"): 4,
        (30, "evening"): 4,
    }


def test_demand_change_window_is_half_open() -> None:
    occs = _occs(
        demand_changes=[
            {"site": "exit-se", "from": "2020-01-29T08:00", "to": "2020-01-29T16:00", "add": 1}
        ]
    )
    changed = [(o.date.day, o.shift) for o in occs if o.need == 2]
    assert changed == [(29, "day")]  # 16:00 (the evening start) is outside [08:00, 16:00)


def test_open_window_single_and_list() -> None:
    single = _occs(
        sites=[
            {
                "id": "exit-se",
                "pattern": "three-8h",
                "need": 1,
                "open": {"from": "2020-01-29T08:00", "to": "2020-01-30T08:00"},
            }
        ]
    )
    assert [(o.date.day, o.shift) for o in single] == [
        (29, "day"),
        (29, "evening"),
        (30, "night"),
    ]
    several = _occs(
        sites=[
            {
                "id": "exit-se",
                "pattern": "three-8h",
                "need": 1,
                "open": [
                    {"from": "2020-01-29T00:00", "to": "2020-01-29T01:00"},
                    {"from": "2020-01-30T15:00", "to": "2020-02-10T00:00"},
                ],
            }
        ]
    )
    assert [(o.date.day, o.shift) for o in several] == [(29, "night"), (30, "evening")]


def test_day_and_week_indices() -> None:
    occs = _occs(
        horizon={"start": "2020-01-29", "days": 15},
        shift_patterns=_pattern({"name": "day", "start": "09:00", "hours": 8}),
        sites=_site(),
    )
    assert [o.day for o in occs] == list(range(15))
    assert [o.week for o in occs] == [0] * 7 + [1] * 7 + [2]
    assert occs[7].date == dt.date(2020, 2, 5)


def test_order_is_start_then_site_then_shift() -> None:
    occs = _occs(
        shift_patterns=_pattern(
            {"name": "b", "start": "08:00", "hours": 4},
            {"name": "a", "start": "08:00", "hours": 8},
        ),
        sites=[
            {"id": "z", "pattern": "p", "need": 1},
            {"id": "y", "pattern": "p", "need": 1},
        ],
        horizon={"start": "2020-01-29", "days": 1},
    )
    assert [(o.site, o.shift) for o in occs] == [("z", "b"), ("z", "a"), ("y", "b"), ("y", "a")]


def test_dst_spring_forward_keeps_real_hours_and_offsets() -> None:
    occs = _occs(
        timezone="Europe/Berlin",
        horizon={"start": "2024-03-30", "days": 2},  # clocks go 02:00 -> 03:00 on 31 March
        shift_patterns=_pattern(
            {"name": "night", "start": "00:00", "hours": 8},
            {"name": "gap", "start": "02:30", "hours": 1},
            {"name": "day", "start": "08:00", "hours": 8},
        ),
        sites=_site(),
    )
    by = {(o.date.day, o.shift): o for o in occs}
    night = by[(31, "night")]
    assert night.start.isoformat() == "2024-03-31T00:00:00+01:00"
    assert night.end.isoformat() == "2024-03-31T09:00:00+02:00"  # 8 real hours
    assert night.end.timestamp() - night.start.timestamp() == 8 * 3600
    assert night.minutes == 480
    assert by[(31, "day")].start.isoformat() == "2024-03-31T08:00:00+02:00"
    assert by[(30, "day")].start.isoformat() == "2024-03-30T08:00:00+01:00"
    # 02:30 does not exist on 31 March: the shift starts at the same instant as 03:30 CEST
    assert by[(31, "gap")].start.isoformat() == "2024-03-31T03:30:00+02:00"
    assert by[(31, "gap")].date == dt.date(2024, 3, 31)
    for o in occs:
        assert o.end.timestamp() - o.start.timestamp() == o.minutes * 60
        assert o.start.tzinfo == BERLIN


def test_dst_fall_back_keeps_real_hours() -> None:
    occs = _occs(
        timezone="Europe/Berlin",
        horizon={"start": "2024-10-27", "days": 1},  # clocks go 03:00 -> 02:00
        sites=[{"id": "s", "pattern": "three-8h", "need": 1}],
    )
    night = occs[0]
    assert night.start.isoformat() == "2024-10-27T00:00:00+02:00"
    assert night.end.isoformat() == "2024-10-27T07:00:00+01:00"
    assert night.end.timestamp() - night.start.timestamp() == 8 * 3600
    assert occs[1].start.isoformat() == "2024-10-27T08:00:00+01:00"


def test_night_is_read_from_instants_where_clocks_jump_at_midnight() -> None:
    # America/Santiago skips 00:00-01:00 on 8 Sep 2024: a 23:00 shift of one real hour
    # ends at 01:00, but no instant of it reads between 00:00 and 05:00 local; one of two
    # hours does, and the expansion and the checker agree on both
    from scheduler.checker_model import expand_config

    config = plan_from_dict(
        tiny_config(
            timezone="America/Santiago",
            horizon={"start": "2024-09-07", "days": 1},
            shift_patterns=_pattern(
                {"name": "late", "start": "23:00", "hours": 1},
                {"name": "later", "start": "23:00", "hours": 2},
            ),
            sites=_site(),
        )
    ).config
    night = {o.shift: o.night for o in expand(config)}
    assert night == {"late": False, "later": True}
    assert {o.shift: o.night for o in expand_config(config)} == night
