"""Effective limits computed once per distinct set of columns equal those computed one
volunteer at a time (the solver's ``limits_of`` and the checker's own ``all_vol_limits``)."""

from __future__ import annotations

from scheduler.checker_model import all_vol_limits, vol_limits
from scheduler.limits import limits_for, limits_of
from scheduler.loading import plan_from_dict
from tests.conftest import tiny_config

_PEOPLE = [
    {"id": "v1"},
    {"id": "v2", "max_hours_per_week": 20},
    {"id": "v3", "max_hours_per_week": 20},
    {"id": "v4", "max_hours_total": 30, "min_hours_total": 8},
    {"id": "v5", "max_consecutive_days": 2, "min_consecutive_days": 1},
    {"id": "v6", "min_consecutive_days_off": 2, "max_weekends": 1},
    {"id": "v7", "max_shifts": "night=0;day=1"},
    {"id": "v8", "max_shifts": "day=1;night=0"},  # same caps, other order
    {"id": "v9", "max_shifts": "night=0;day=1"},
    {"id": "v10"},
]


def test_limits_per_distinct_columns_equal_limits_per_volunteer() -> None:
    plan = plan_from_dict(
        tiny_config(
            volunteers={"people": _PEOPLE},
            rules={"max_hours_per_week": 40, "max_shifts": {"night": 1}, "min_rest_hours": 8},
        )
    )
    rules, vols = plan.config.rules, plan.volunteers
    shared = limits_of(vols, rules)
    assert shared == tuple(limits_for(v, rules) for v in vols)
    assert [list(lim.max_shifts) for lim in shared] == [
        list(limits_for(v, rules).max_shifts) for v in vols
    ]
    assert shared[1] is shared[2] and shared[0] is shared[9] and shared[1] is not shared[3]
    checked = all_vol_limits(rules, vols)
    assert checked == [vol_limits(rules, v) for v in vols]
    assert checked[6] is checked[8] and checked[0] is checked[9]
