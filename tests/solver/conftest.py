"""Fixtures shared by the solver tests."""

from __future__ import annotations

import pytest

import solver.solve as solve_module
from scheduler.nrp import NrpInstance, load_nrp
from scheduler.problem import Problem, compile_plan
from tests.solver.support import INSTANCE2


@pytest.fixture
def guided_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every model takes the LP-guided path, however small (:mod:`solver.guided`)."""
    monkeypatch.setattr(solve_module, "WARM_START_MIN_PAIRS", 0)


@pytest.fixture(scope="module")
def instance2() -> tuple[NrpInstance, Problem]:
    """Curtois & Qu Instance2 as parsed and as compiled: (instance, problem)."""
    inst, plan = load_nrp(INSTANCE2)
    return inst, compile_plan(plan)
