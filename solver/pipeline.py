"""From a compiled problem to a checked roster: hint, solve, build, check.

``plan_roster`` is the one path every front end (``rota plan``, the RQ jobs) takes to
produce a roster, so none of them can publish a roster the independent checker has not
passed. The heavy modules are imported when called, not at import time.

When the caller gives no hint, the greedy roster (the coordinator's hand method) is the
hint. In plain planning (no fixed, frozen or previous pairs, no change cap) it is also a
safety net: if CP-SAT ends with no roster in its time limit (``unknown``) or with one that
costs more, and the greedy roster passes the independent checker, the greedy roster is
published (status ``feasible``, ``stats.roster_source = "greedy"``; the CP-SAT bound is
kept). So a short time limit never gives a coordinator less than the hand method.
On large models a short share of the time is kept for :func:`solver.fill.fill`, which
staffs, at no extra cost, the shifts the solve left short where the greedy roster did not.
Where shifts stay short, single moves of one volunteer onto a short shift of higher
priority (:mod:`solver.moves`) take what the search left, when they lower the cost.
"""

from __future__ import annotations

import dataclasses
import time

from scheduler.checker import RosterInvalid
from scheduler.cost import weighted_shortfall
from scheduler.problem import Problem
from scheduler.roster import Roster, Status
from solver.types import Pair, Solution, SolveParams

COST_EPSILON = 1e-6
MOVES = True
SWAPS = True
MIN_SWAP_SECONDS = 0.2
MIN_SEARCH_SECONDS = 0.1
MOVES_SECONDS = 0.3
MOVES_SHARE = 0.02
"""Single moves onto short shifts after the search (:mod:`solver.moves`), for at most
MOVES_SECONDS and this share of the time limit (QA's 70 %-cover config: 5 moves in 0.07 s,
626 482 -> 621 816)."""
SWAPS_SECONDS = 0.6
SWAPS_SHARE = 0.02
"""On plain plans searched by CP-SAT, min(SWAPS_SECONDS, this share of the time limit) is
kept back for swaps and replacements after the search (:mod:`solver.swaps`)."""
FILL_MIN_PAIRS = 8_000
FILL_SHARE = 0.06
"""On models above FILL_MIN_PAIRS pairs, this share of the time limit is kept back for
:func:`solver.fill.fill` (staffing the search left short where greedy did not)..."""
FILL_MIN_SECONDS = 0.5
"""...which gets at least this long when the solve overran its share."""
GUARD_SECONDS = (1.5, 0.1)
"""On plain plans min(1.5 s, this share of the time limit) is kept back for the guard
(:mod:`solver.guard`: no more weighted shortfall than greedy's) in case it is needed
(:func:`_guard_seconds`); when it is not, the polish gets the time."""


def _guard_seconds(limit: float, floor: float, filled: bool) -> float:
    """Seconds kept back for the guard: none where the fill's share is kept and greedy's
    roster leaves nothing short (``floor`` 0; the search may still leave a gap when cut
    short, but the fill is there for that; S1, S2, S4, S6, S8)."""
    if filled and floor == 0:
        return 0.0
    return min(GUARD_SECONDS[0], GUARD_SECONDS[1] * limit)


def with_hint(problem: Problem, params: SolveParams) -> SolveParams:
    """``params`` with the greedy roster as the hint when it has none."""
    if params.hint:
        return params
    from scheduler.greedy import greedy

    return dataclasses.replace(params, hint=frozenset(greedy(problem)))


def is_plain(params: SolveParams) -> bool:
    """No re-planning constraints: any roster that passes the checker is admissible."""
    return (
        not params.fixed
        and not params.frozen_occurrences
        and params.previous is None
        and params.max_changes is None
    )


def rows_apply(problem: Problem, params: SolveParams) -> bool:
    """Whether the row methods (column generation, best-response sweeps, LNS on
    volunteers' rows: :func:`solver.lns.solve_lns`) fit: a plain plan whose rules all
    bear on one volunteer's sequence of days (one shift a day, successions, caps, totals,
    runs, weekends; no skills) and whose costs couple volunteers only through cover (no
    fairness, no team term)."""
    from solver import colgen

    return is_plain(params) and colgen.applicable(problem)


def solve_by_rows(problem: Problem, params: SolveParams) -> Solution:
    """:func:`solver.lns.solve_lns`, reporting its final roster as progress."""
    from solver.lns import solve_lns
    from solver.types import Progress

    solution = solve_lns(problem, params)
    if params.on_progress is not None and solution.objective is not None:
        bound = solution.bound if solution.bound is not None else 0
        params.on_progress(Progress(solution.seconds, solution.objective, bound))
    return solution


CHEAPEST_FIRST = "greedy, cheapest first"


def hand_rosters(
    problem: Problem, greedy_pairs: frozenset[Pair]
) -> list[tuple[float, str, frozenset[Pair]]]:
    """(cost, source, pairs), cheapest first: the hand method's roster and, where it
    leaves no more weighted shortfall (uncovered and missing skills), the same method
    taking each shift's cheapest volunteers first (travel, preference): Jing'an 1 936
    against 7 942 (S1's and S8's leave skills short, Lianyungang's shifts)."""
    from scheduler.cost import cost_breakdown, number, shortfall_cost
    from scheduler.greedy import greedy
    from solver.candidates import pair_cost

    rated = []
    for source, pairs in (
        ("greedy", greedy_pairs),
        (CHEAPEST_FIRST, greedy(problem, pair_cost(problem))),
    ):
        terms = cost_breakdown(problem, pairs)
        rated.append((number(sum(terms.values())), shortfall_cost(terms), source, pairs))
    hand_short = rated[0][1]
    return sorted(
        (cost, source, pairs) for cost, short, source, pairs in rated if short <= hand_short
    )


def greedy_fallback(
    problem: Problem,
    solution: Solution,
    hand: list[tuple[float, str, frozenset[Pair]]],
    version: int,
) -> Solution | None:
    """The cheapest of the ``hand`` rosters (:func:`hand_rosters`) as a Solution when it
    beats ``solution`` and passes the checker (``stats.roster_source`` names which)."""
    if solution.status in (Status.optimal, Status.infeasible):
        return None
    from scheduler.build import build_roster
    from scheduler.checker import check_roster

    beaten = solution.objective if solution.status.has_roster else None
    for cost, source, found in hand:
        if beaten is not None and cost >= beaten - COST_EPSILON:
            return None
        pairs = tuple(sorted(found))
        candidate = build_roster(
            problem, status=Status.feasible, objective=cost, bound=None, pairs=pairs,
            version=version,
        )  # fmt: skip
        if not check_roster(problem, candidate).ok:
            continue
        bound = solution.bound if solution.bound is not None and solution.bound <= cost else None
        stats = {
            **solution.stats,
            "roster_source": source,
            "cp_sat_result": solution.status.value,
            "cp_sat_objective": solution.objective,
        }
        return dataclasses.replace(
            solution,
            status=Status.feasible,
            objective=cost,
            bound=bound,
            assignments=pairs,
            stats=stats,
            explanation=None,
        )
    return None


def _with_moves(problem: Problem, params: SolveParams, solution: Solution) -> Solution:
    """The solution improved by single moves onto short shifts (:mod:`solver.moves`),
    within MOVES_SECONDS, when any lowers the cost (unchecked: :func:`plan_roster` checks
    it and falls back to ``solution`` if it fails)."""
    from solver.moves import improve_by_moves

    seconds = min(MOVES_SECONDS, MOVES_SHARE * params.time_limit)
    pairs, moves = improve_by_moves(problem, solution.assignments, time.monotonic() + seconds)
    if not moves:
        return solution
    return _improved(solution, problem, pairs, {"moves": moves})


def _improved(
    solution: Solution, problem: Problem, pairs: frozenset[Pair], stats: dict[str, int]
) -> Solution:
    """``solution`` holding ``pairs`` instead, with their exact cost."""
    from scheduler.cost import total_cost

    objective = total_cost(problem, pairs)
    bound = solution.bound if solution.bound is None else min(solution.bound, objective)
    status = Status.optimal if bound is not None and objective <= bound else solution.status
    return dataclasses.replace(
        solution, status=status, objective=objective, bound=bound,
        assignments=tuple(sorted(pairs)), stats={**solution.stats, **stats},
    )  # fmt: skip


POLISH = True
POLISH_MIN_SECONDS = 1.0
"""Time left after the search, fill and swaps (the fill's share goes unused when the
search left no gap to fill) goes to a last restricted search from the roster, when at
least this long."""


def _polished(
    problem: Problem,
    params: SolveParams,
    solution: Solution,
    end: float,
    max_short: float | None = None,
) -> Solution:
    """``solution`` improved by a restricted CP-SAT search hinted with it (the cheapest
    candidates of each shift and its own pairs: :func:`solver.candidates.candidate_pairs`
    keeps every hinted pair) until ``end``, when that lowers the cost (and leaves a
    weighted shortfall of at most ``max_short``: :mod:`solver.guard`)."""
    from solver.solve import warm_fits, warm_start

    left = end - time.monotonic()
    if left < POLISH_MIN_SECONDS or not warm_fits(problem, end):  # the build must fit too
        return solution
    hinted = dataclasses.replace(params, hint=frozenset(solution.assignments), on_progress=None)
    found, _ = warm_start(problem, hinted, left - 0.1, deadline=end - 0.1)
    if (
        found is None
        or found.objective is None
        or found.objective >= solution.objective - COST_EPSILON
        or (max_short is not None and weighted_shortfall(problem, found.assignments) > max_short)
    ):
        return dataclasses.replace(solution, stats={**solution.stats, "polish": 0})
    return _improved(solution, problem, frozenset(found.assignments), {"polish": 1})


def _swap_seconds(problem: Problem, params: SolveParams) -> float:
    """Seconds kept back for swaps after the search: 0 where they do not apply."""
    from solver import swaps

    if not (SWAPS and is_plain(params) and swaps.applicable(problem)):
        return 0.0
    return min(SWAPS_SECONDS, SWAPS_SHARE * params.time_limit)


def with_swaps(
    problem: Problem, solution: Solution, deadline: float, key: str = "swaps"
) -> Solution:
    """The solution improved by swaps and replacements (:mod:`solver.swaps`) until none
    is left or ``deadline``, when any lowers the cost (unchecked, as
    :func:`_with_moves`); how many were made is ``stats[key]``."""
    from solver.swaps import improve_by_swaps

    pairs, made = improve_by_swaps(problem, solution.assignments, deadline)
    if not made:
        return dataclasses.replace(solution, stats={**solution.stats, key: 0})
    return _improved(solution, problem, pairs, {key: made})


def plan_roster(
    problem: Problem, params: SolveParams, *, version: int = 1
) -> tuple[Roster, Solution]:
    """Solve ``problem`` and return the roster (checked) and the solution it was built from.

    A roster with status ``optimal``/``feasible`` holds the assignments; ``infeasible``
    and ``unknown`` hold none and carry an explanation. Every roster passes
    ``scheduler.checker.assert_valid`` (given the previous pairs when re-planning) before
    it is returned. One that fails it is a bug, never a user error: plain planning then
    publishes the cheapest hand roster that passes (:func:`_rescued`, the rejection named
    in ``stats.rejected_roster``); re-planning raises RosterInvalid.
    """
    from solver.solve import full_model_fits, solve

    t0 = time.monotonic()
    hinted_by_greedy = not params.hint
    params = with_hint(problem, params)
    fallback = hinted_by_greedy and is_plain(params)
    hand: list[tuple[float, str, frozenset[Pair]]] = []
    fill_seconds = swap_seconds = guard_seconds = 0.0
    floor = None  # greedy's weighted shortfall: no roster may leave more (solver.guard)
    by_rows = rows_apply(problem, params)
    if fallback:
        if problem.n_pairs > FILL_MIN_PAIRS and not by_rows:
            fill_seconds = FILL_SHARE * params.time_limit
        floor = weighted_shortfall(problem, params.hint)
        guard_seconds = _guard_seconds(params.time_limit, floor, bool(fill_seconds))
    if by_rows:
        limit = max(MIN_SEARCH_SECONDS, params.time_limit - guard_seconds)
        solution = solve_by_rows(problem, dataclasses.replace(params, time_limit=limit))
    else:
        swap_seconds = _swap_seconds(problem, params)
        searched_params = params
        if fallback and not full_model_fits(problem, params.time_limit):
            # only a restricted model will be solved: start it from the cheapest hand
            # roster, made first so that the search gets exactly the time it leaves
            hand = hand_rosters(problem, params.hint)
            searched_params = dataclasses.replace(params, hint=hand[0][2])
        kept = fill_seconds + swap_seconds + guard_seconds
        limit = t0 + params.time_limit - time.monotonic() - kept
        searched_params = dataclasses.replace(
            searched_params, time_limit=max(MIN_SEARCH_SECONDS, limit)
        )
        solution = solve(problem, searched_params)
    if fallback:
        hand = hand or hand_rosters(problem, params.hint)
        solution = greedy_fallback(problem, solution, hand, version) or solution
    if fill_seconds and solution.status.has_roster:
        from solver.fill import fill

        left = t0 + params.time_limit - guard_seconds - time.monotonic()
        left = max(FILL_MIN_SECONDS, left - swap_seconds)
        solution = fill(problem, params, solution, params.hint, left) or solution
    searched = solution
    if MOVES and is_plain(params) and solution.status.has_roster:
        solution = _with_moves(problem, params, solution)
    if swap_seconds and solution.status is Status.feasible:
        left = max(MIN_SWAP_SECONDS, t0 + params.time_limit - guard_seconds - time.monotonic())
        solution = with_swaps(problem, solution, time.monotonic() + left)
    if floor is not None:
        from solver.guard import hold_to_hand

        solution = hold_to_hand(problem, params, solution, hand, floor, t0 + params.time_limit)
    if POLISH and is_plain(params) and solution.status is Status.feasible:
        solution = _polished(problem, params, solution, t0 + params.time_limit, floor)
    try:
        return _checked(problem, params, solution, version), solution
    except RosterInvalid as err:
        rejected = err
    if solution is not searched:
        # a move the rule grid let through broke a rule: publish the search's roster
        try:
            return _checked(problem, params, searched, version), searched
        except RosterInvalid as err:
            rejected = err
    # the search's own roster broke a rule (a bug): the hand method's, if it passes
    rescued = _rescued(problem, params, searched, version, rejected, hand)
    if rescued is None:
        raise rejected
    return rescued


def _rescued(
    problem: Problem, params: SolveParams, searched: Solution, version: int,
    err: RosterInvalid, hand: list[tuple[float, str, frozenset[Pair]]],
) -> tuple[Roster, Solution] | None:  # fmt: skip
    """Where the solver's roster failed the independent check (a bug, never a user
    error), the cheapest hand roster that passes it (``hand``, when plan_roster made
    them), so a plan is not lost; its stats name the rejection (``rejected_roster``,
    which ``rota plan`` prints). None when re-planning (the hand method keeps no fixed
    or previous pairs) or none passes."""
    if not is_plain(params):
        return None
    why = err.violations[0] if err.violations else str(err)
    for cost, source, pairs in hand or hand_rosters(problem, params.hint):
        stats = {"roster_source": source, "rejected_roster": why}
        solution = Solution(
            status=Status.feasible, objective=cost, bound=None,
            assignments=tuple(sorted(pairs)), seconds=searched.seconds, stats=stats,
        )  # fmt: skip
        try:
            return _checked(problem, params, solution, version), solution
        except RosterInvalid:
            continue
    return None


def _checked(problem: Problem, params: SolveParams, solution: Solution, version: int) -> Roster:
    """The roster of ``solution``, passed by the independent checker (RosterInvalid
    otherwise)."""
    from scheduler.build import build_roster
    from scheduler.checker import assert_valid

    stats = {
        "roster_source": "cp-sat",
        **solution.stats,
        "seconds": round(solution.seconds, 3),
    }
    explanation = solution.explanation
    if explanation is None and solution.status is Status.unknown:
        explanation = (
            f"the time limit ({params.time_limit:g} s) ran out before any roster was found"
        )
    bound = solution.bound
    if bound is None and solution.status.has_roster and solution.objective is not None:
        from scheduler.cost import number
        from solver.bound_floor import floor_bound

        bound = number(min(floor_bound(problem), solution.objective))
        stats["bound_source"] = "unavoidable shortfall"
    status = solution.status
    objective = solution.objective
    proven = bound is not None and objective is not None and objective <= bound + COST_EPSILON
    if status is Status.feasible and proven:  # the bound proves it optimal
        status = Status.optimal
    roster = build_roster(
        problem,
        status=status,
        objective=solution.objective,
        bound=bound,
        pairs=solution.assignments if solution.status.has_roster else (),
        version=version,
        explanation=explanation,
        stats=stats,
    )
    assert_valid(problem, roster, previous=previous_keys(problem, params))
    return roster


def previous_keys(
    problem: Problem, params: SolveParams
) -> frozenset[tuple[str, str, str, str]] | None:
    """The published pairs as the checker names them: (volunteer, site, shift, ISO start)."""
    if params.previous is None:
        return None
    occs, vols = problem.occurrences, problem.volunteers
    return frozenset(
        (vols[v].id, occs[o].site, occs[o].shift, occs[o].start.isoformat())
        for o, v in params.previous
    )
