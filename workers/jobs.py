"""RQ job functions. Arguments and results are ids and JSON only (JSONSerializer).

``replan_job(prefix, plan_id, gen)`` is the one path to a new version: it reads a
consistent snapshot (plan, published roster, accepted events), folds the events in,
solves with stability (see :mod:`workers.replan`), and publishes with check-and-set. A
re-plan that yields no roster, or one worse on coverage than keeping the current roster,
publishes nothing and records why in the plan's status (``rota status``). Exceptions
(Redis down, a killed solver) propagate so RQ retries the job.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections.abc import Callable
from typing import Any

import redis
from rq import get_current_job

from scheduler.diff import diff_rosters
from scheduler.problem import Problem
from scheduler.roster import Roster
from solver.types import Progress, Solution, SolveParams
from workers.connection import connect
from workers.replan import apply_events, change_stats, solve_params, stability, with_replan_stats
from workers.settings import Settings, get_settings
from workers.store import PlanStore, Snapshot, VersionMeta
from workers.stream import notifications

Planner = Callable[..., tuple[Roster, Solution]]
MAX_RACES = 5


def load_planner(path: str) -> Planner:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def compile_problem(plan: Any) -> Problem:
    try:
        from scheduler.fast_compile import compile_plan_fast
    except ImportError:  # pragma: no cover - the plain compiler gives the same problem
        from scheduler.problem import compile_plan

        return compile_plan(plan)
    return compile_plan_fast(plan)


def _progress_recorder() -> Callable[[Progress], None] | None:
    """Objective and bound over time into job.meta['progress'] (throttled)."""
    job = get_current_job()
    if job is None:
        return None
    last = [0.0]
    trail: list[dict[str, float]] = []

    def record(p: Progress) -> None:
        trail.append({"t": round(p.seconds, 2), "objective": p.objective, "bound": p.bound})
        del trail[:-50]
        now = time.monotonic()
        if now - last[0] >= 0.5:
            last[0] = now
            job.meta["progress"] = list(trail)
            job.save_meta()

    return record


def _conn(settings: Settings) -> redis.Redis:
    job = get_current_job()
    return job.connection if job is not None else connect(settings)


def _needs_work(snap: Snapshot, force: bool) -> bool:
    if force or snap.meta is None:
        return True
    return snap.meta.events_through < len(snap.event_ids) or snap.meta.config_rev != snap.config_rev


def run_replan(
    conn: redis.Redis, settings: Settings, plan_id: str, *, force: bool = False, job: str = ""
) -> dict[str, Any]:
    """Re-plan ``plan_id`` from the stored state and publish; returns a JSON summary."""
    store = PlanStore(conn, settings.key_prefix, plan_id)
    planner = load_planner(settings.planner)
    for _attempt in range(MAX_RACES):
        snap = store.snapshot()
        if not _needs_work(snap, force):
            store.set_status(last_job=job, last_result="up to date", version=snap.version)
            return {"published": False, "version": snap.version, "reason": "up to date"}
        done_through = snap.meta.events_through if snap.meta else 0
        new_events = list(snap.events[done_through:])
        plan = apply_events(snap.plan, snap.events)
        problem = compile_problem(plan)
        now = settings.clock().astimezone(problem.tz)
        stab = stability(problem, snap.roster, now, dt.timedelta(hours=settings.freeze_hours))
        params: SolveParams = solve_params(
            stab,
            time_limit=settings.time_limit,
            workers=settings.solver_workers,
            max_changes=settings.max_changes,
            on_progress=_progress_recorder(),
        )
        t0 = time.monotonic()
        roster, _solution = planner(problem, params, version=snap.version + 1)
        seconds = round(time.monotonic() - t0, 3)
        if not roster.status.has_roster:
            why = f"no roster ({roster.status.value}): {roster.explanation or 'no explanation'}"
            return _failed(store, job, snap, why, seconds)
        stats = change_stats(problem, stab, roster, new_events) if snap.roster else {}
        if snap.roster is not None and roster.total_missing > stats["missing_before"]:
            why = (
                f"re-plan is worse on coverage ({roster.total_missing} person-shifts missing "
                f"vs {stats['missing_before']} keeping the current roster)"
            )
            return _failed(store, job, snap, why, seconds)
        stats |= {"previous_version": snap.version or None, "solve_seconds": seconds}
        roster = with_replan_stats(roster, stats)
        diff = diff_rosters(snap.roster, roster)
        meta = VersionMeta(
            version=snap.version + 1,
            events_through=len(snap.event_ids),
            config_rev=snap.config_rev,
            published_at=dt.datetime.now(dt.UTC).isoformat(),
            job=job or None,
        )
        ok, version = store.publish(
            snap.version,
            roster,
            meta,
            list(snap.event_ids[done_through:]),
            notifications(diff, new_events),
            maxlen=settings.stream_maxlen,
        )
        if ok:
            store.set_status(
                last_job=job,
                last_result="published",
                version=version,
                last_error=None,
                changed=stats.get("changed"),
                solve_seconds=seconds,
            )
            return {"published": True, "version": version, "changed": stats.get("changed")}
        # another job published first: start again from its version
    raise RuntimeError(f"lost the publish race {MAX_RACES} times for plan {plan_id!r}")


def _failed(store: PlanStore, job: str, snap: Snapshot, why: str, seconds: float) -> dict:
    store.set_status(
        last_job=job,
        last_result="failed",
        last_error=why,
        last_error_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        version=snap.version,
        solve_seconds=seconds,
    )
    return {"published": False, "version": snap.version, "reason": why}


def replan_job(prefix: str, plan_id: str, gen: int) -> dict[str, Any]:
    """RQ entry point: claim the pending flag of generation ``gen``, then re-plan.

    Events accepted after the claim set a new flag and get a new job, so every event is
    folded into a re-plan that starts after it was stored (coalescing: one pending job).
    """
    settings = get_settings(key_prefix=prefix)
    conn = _conn(settings)
    PlanStore(conn, prefix, plan_id).claim(gen)
    job = get_current_job()
    return run_replan(conn, settings, plan_id, job=job.id if job else "")


def nightly_job(prefix: str, plan_id: str, date: str) -> dict[str, Any]:
    """RQ entry point of the nightly run: a full re-plan (published even without events)."""
    settings = get_settings(key_prefix=prefix)
    job = get_current_job()
    out = run_replan(_conn(settings), settings, plan_id, force=True, job=job.id if job else "")
    return {**out, "date": date}
