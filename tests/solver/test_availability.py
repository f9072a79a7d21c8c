"""availability: ineligible pairs never appear (pruned); fixing one is infeasible, explained."""

from __future__ import annotations

from scheduler.roster import Status
from solver.solve import solve
from solver.types import SolveParams
from tests.solver.support import pair, problem, run

UNAVAILABLE_DAY1 = {"id": "v1", "unavailable": "2020-01-30T00:00/2020-01-31T00:00"}


def test_unavailable_and_night_refusers_never_assigned() -> None:
    p = problem(
        volunteers={"people": [UNAVAILABLE_DAY1, {"id": "v2", "night_ok": False}, {"id": "v3"}]},
    )
    sol = run(p)
    for o, v in sol.assignments:
        occ, vid = p.occurrences[o], p.volunteers[v].id
        assert not (vid == "v1" and occ.day == 1)
        assert not (vid == "v2" and occ.night)


def test_fixing_an_unavailable_pair_is_infeasible_and_explained() -> None:
    p = problem(volunteers={"people": [UNAVAILABLE_DAY1, {"id": "v2"}]})
    fixed = frozenset({pair(p, "exit-se", "day", "2020-01-30", "v1")})
    sol = solve(p, SolveParams(time_limit=5, workers=1, fixed=fixed))
    assert sol.status is Status.infeasible
    assert sol.assignments == ()
    assert sol.explanation and "v1" in sol.explanation and "unavailable" in sol.explanation
