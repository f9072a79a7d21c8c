"""City-scale planning, step 1: the options of a run and the parts it is cut into.

:func:`prepare` expands the plan, cuts it with :func:`solver.split.split_plan` and turns
every part that has volunteers into a JSON payload (:func:`part_payload`): the sub-plan
(:func:`sub_plan`) plus how to solve it. The same payload goes to a local process pool
(:func:`solver.decompose_solve.run_local`) or to an RQ job (``workers.fanout``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from scheduler.expand import expand
from scheduler.models import Plan, VolunteerSource
from solver.split import Part, Split, split_plan

Pair = tuple[int, int]  # (occurrence index, volunteer index)
DEFAULT_TARGET_PAIRS = 150_000
BUILD_SECONDS = 7e-5
"""CP-SAT model building per eligible pair (measured: 3.7 s for a 54k-pair Huai'an part)."""
SEARCH_SECONDS = 6.0
"""CP-SAT search time of a part on top of building its model (when not given)."""
POLISH_SHARE = 0.5
"""In ``auto`` mode, parts are polished with CP-SAT until this share of the budget is used."""


@dataclass(frozen=True)
class CityOptions:
    time_limit: float = 600.0
    """Budget of the whole run, seconds: sets the polishing window (``auto``) and the RQ
    merge job's timeout; the parts' own CP-SAT limits come from ``part_time_limit``."""
    part_time_limit: float | None = None
    """CP-SAT seconds per part (model building included); default: the estimated build
    time of the part's model (``BUILD_SECONDS`` per pair) plus ``SEARCH_SECONDS``."""
    processes: int | None = None
    """Local worker processes; default: the machine's cores."""
    seed: int = 1
    target_pairs: float = DEFAULT_TARGET_PAIRS
    """Cut parts until occurrences x expected volunteers is at most this."""
    solver: str = "gap-only"
    """How parts are solved: ``cp-sat`` (greedy hint, then CP-SAT), ``greedy`` (the hand
    method only), ``gap-only`` (CP-SAT only where the greedy misses the part's supply
    bound) or ``auto`` (``gap-only``, plus CP-SAT polishing of the other parts while the
    polishing window, the first ``POLISH_SHARE`` of the budget, lasts). ``gap-only`` is the
    default: on Huai'an parts (~100k pairs) CP-SAT from the greedy hint improved the cost
    by 0.65% in 60 s and not at all in 15 s, while the greedy already reaches the coverage
    bound; CP-SAT's time goes where coverage can still improve."""
    check: bool = True
    lns_seconds: float = 60.0
    """Budget of the small CP-SAT re-solves of sites still short after the greedy repair."""
    deadline: float | None = None
    """Wall clock (``time.time()``) by which the run should have written its roster, or
    None. The optional phases (the parts' CP-SAT, the repair, the LNS re-solves, the bound's
    LPs) stop or are skipped so that the fixed work after them
    (:func:`finish_reserve`) still fits; the roster stays valid whatever they got."""


FINISH_SECONDS = (6e-5, 1.5e-4)
"""Seconds of the fixed work after the optional phases (compiling the whole plan, cost,
roster, checker, roster.json) per person-shift of need and per volunteer."""


def finish_reserve(plan: Plan, need: int) -> float:
    """Estimated seconds of the fixed work after the optional phases (``FINISH_SECONDS``)."""
    per_need, per_volunteer = FINISH_SECONDS
    return per_need * need + per_volunteer * len(plan.volunteers)


def optional_until(options: CityOptions, reserve: float) -> float | None:
    """Wall clock by which the optional phases must end (None without a deadline)."""
    return None if options.deadline is None else options.deadline - reserve


def sub_plan(plan: Plan, part: Part) -> Plan:
    """The plan restricted to a part's sites and volunteers (demand changes/requests too)."""
    cfg = plan.config
    keep = set(part.sites)
    vols = tuple(plan.volunteers[i] for i in part.volunteers)
    ids = {v.id for v in vols}
    config = cfg.model_copy(
        update={
            "plan": cfg.plan,
            "sites": tuple(s for s in cfg.sites if s.id in keep),
            "demand_changes": tuple(c for c in cfg.demand_changes if c.site in keep),
            "requests": tuple(
                r for r in cfg.requests if r.volunteer in ids and (r.site is None or r.site in keep)
            ),
            "volunteers": VolunteerSource(),
        }
    )
    return Plan(config=config, volunteers=vols, source=f"{plan.source}#{part.id}")


def plan_json(plan: Plan) -> dict[str, Any]:
    """A plan as JSON-ready data (``Plan.model_validate`` reads it back unchanged)."""
    return plan.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def part_payload(plan: Plan, part: Part, time_limit: float | None, seed: int, solver: str) -> dict:
    """The JSON job of one part: its sub-plan and how to solve it (see ``CityOptions``)."""
    return {
        "part": part.id,
        "plan": plan_json(sub_plan(plan, part)),
        "time_limit": time_limit,
        "seed": seed,
        "solver": solver,
    }


def prepare(plan: Plan, options: CityOptions) -> tuple[Split, list[dict], dict]:
    """Expand, split and build the part payloads (shared by local and RQ modes)."""
    t0 = time.monotonic()
    occurrences = expand(plan.config)
    split = split_plan(plan, occurrences, target_pairs=options.target_pairs, seed=options.seed)
    limit = options.part_time_limit
    mode = options.solver
    until = time.time() + POLISH_SHARE * options.time_limit - (time.monotonic() - t0)
    reserve = finish_reserve(plan, sum(o.need for o in occurrences))
    cp_sat_until = optional_until(options, reserve)
    payloads = [
        {
            **part_payload(plan, part, limit, options.seed, mode),
            "polish_until": until,
            "cp_sat_until": cp_sat_until,
        }
        for part in split.parts
        if part.volunteers
    ]
    stats = {
        "parts": len(split.parts),
        "parts_solved": len(payloads),
        "spare_volunteers": len(split.spare),
        "part_time_limit": limit,
        "part_solver": mode,
        "finish_reserve": round(reserve, 3),
        "split_seconds": round(time.monotonic() - t0, 3),
    }
    return split, payloads, stats
