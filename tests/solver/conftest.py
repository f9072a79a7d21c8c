"""Fixtures shared by the solver tests."""

from __future__ import annotations

import pytest

import solver.solve as solve_module


@pytest.fixture
def guided_always(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every model takes the LP-guided path, however small (:mod:`solver.guided`)."""
    monkeypatch.setattr(solve_module, "WARM_START_MIN_PAIRS", 0)
