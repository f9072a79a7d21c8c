"""Shared fixtures: tiny configs built in memory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from scheduler.loading import plan_from_dict
from scheduler.models import Plan


def tiny_config(**overrides: Any) -> dict[str, Any]:
    """A one-site, two-day, three-shift config; override any top-level field."""
    cfg: dict[str, Any] = {
        "plan": "tiny",
        "timezone": "Asia/Shanghai",
        "horizon": {"start": "2020-01-29", "days": 2},
        "shift_patterns": {
            "three-8h": [
                {"name": "night", "start": "00:00", "hours": 8},
                {"name": "day", "start": "08:00", "hours": 8},
                {"name": "evening", "start": "16:00", "hours": 8},
            ]
        },
        "sites": [{"id": "exit-se", "pattern": "three-8h", "need": 1}],
        "volunteers": {"people": [{"id": f"v{i}"} for i in range(1, 5)]},
    }
    cfg.update(overrides)
    return cfg


@pytest.fixture
def make_plan():
    def _make(**overrides: Any) -> Plan:
        return plan_from_dict(tiny_config(**overrides))

    return _make


def nrp_data() -> Path:
    """The shared Curtois & Qu benchmark folder (``shared/benchmarks/nrp``): beside the
    checkout (``../shared``), or at ``$ROTA_NRP_DATA``, or the workplace's ``/work/shared``.
    Tests that need it skip, saying so, only when none exists."""
    candidates = [Path(os.environ["ROTA_NRP_DATA"])] if os.environ.get("ROTA_NRP_DATA") else []
    candidates += [p / "shared" / "benchmarks" / "nrp" for p in Path(__file__).resolve().parents]
    candidates.append(Path("/work/shared/benchmarks/nrp"))
    for path in candidates:
        if (path / "instances" / "Instance1.txt").exists():
            return path
    return candidates[-1]
