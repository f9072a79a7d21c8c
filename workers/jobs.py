"""RQ job functions. Arguments and results are ids and JSON only (JSONSerializer).

``replan_job(prefix, plan_id, gen)`` is the one path to a new version: it reads a
consistent snapshot (plan, published roster, accepted events), folds the events in,
repairs or solves with stability (:mod:`workers.candidates`, :mod:`workers.replan`) and
publishes with check-and-set. A re-plan that yields no roster, or one worse on coverage
than keeping the current roster, publishes nothing and records why in the plan's status
(``rota status``). Exceptions (Redis down, a killed solver) are recorded there too and
propagate so RQ retries the job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import redis
from rq import get_current_job

from scheduler.cost import total_cost
from scheduler.diff import diff_rosters
from scheduler.problem import Problem
from workers.candidates import Attempt, candidate, compile_problem, solve_attempt
from workers.connection import connect
from workers.replan import apply_events, change_stats, roster_pairs, stability, with_replan_stats
from workers.settings import Settings, get_settings
from workers.store import PlanStore, Snapshot, VersionMeta
from workers.stream import notifications

MAX_RACES = 5


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
    """Re-plan ``plan_id`` from the stored state and publish; returns a JSON summary.

    In ``repair`` mode a repaired roster that still has gaps is followed by a solver run
    from it, published as a further version only if it costs less (change cost included).
    """
    store = PlanStore(conn, settings.key_prefix, plan_id)
    for _attempt in range(MAX_RACES):
        snap = store.snapshot()
        if not _needs_work(snap, force):
            store.set_status(last_job=job, last_result="up to date", version=snap.version)
            return {"published": False, "version": snap.version, "reason": "up to date"}
        done_through = snap.meta.events_through if snap.meta else 0
        new_events = list(snap.events[done_through:])
        clock = settings.clock()
        problem = compile_problem(apply_events(snap.plan, snap.events, clock))  # from now on
        now = clock.astimezone(problem.tz)
        freeze = dt.timedelta(hours=settings.freeze_hours)
        stab = stability(problem, snap.roster, now, freeze)
        attempt = candidate(problem, snap, stab, settings, force)
        out = _publish(store, settings, snap, problem, stab, attempt, new_events, job, now)
        if out is None:
            continue  # another job published first: start again from its version
        if not out["published"] or out.get("method") != "repair" or not out.get("missing"):
            return out
        # the repair left gaps: let the solver try from it (a further version if better)
        snap2 = store.snapshot()
        if snap2.version != out["version"] or _needs_work(snap2, False):
            return out  # newer events: their re-plan takes over
        left = None if settings.max_changes is None else settings.max_changes - out["changed"]
        if left is not None and left <= 0:
            return out  # the change cap is spent on this re-plan
        stab2 = stability(problem, snap2.roster, now, freeze)
        capped = settings.model_copy(update={"max_changes": left})
        better = solve_attempt(problem, stab2, capped, snap2.version + 1)
        prev_cost = total_cost(problem, stab2.previous, stab2.previous)
        if (
            better.roster is None
            or total_cost(problem, roster_pairs(problem, better.roster)[0], stab2.previous)
            >= prev_cost
        ):
            return out
        improved = _publish(store, settings, snap2, problem, stab2, better, [], job, now)
        return {**out, "improved": improved}
    raise RuntimeError(f"lost the publish race {MAX_RACES} times for plan {plan_id!r}")


def _publish(
    store: PlanStore,
    settings: Settings,
    snap: Snapshot,
    problem: Problem,
    stab: Any,
    attempt: Attempt,
    new_events: list[dict[str, Any]],
    job: str,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """Publish the attempt with check-and-set; None on a lost race, else a summary."""
    roster = attempt.roster
    if roster is None:
        return _failed(store, job, snap, attempt.failure or "no roster", attempt.seconds)
    stats = change_stats(problem, stab, roster, new_events) if snap.roster else {}
    if snap.roster is not None and roster.total_missing > stats["missing_before"]:
        why = (
            f"re-plan is worse on coverage ({roster.total_missing} person-shifts missing "
            f"vs {stats['missing_before']} keeping the current roster)"
        )
        return _failed(store, job, snap, why, attempt.seconds)
    method = roster.stats.get("method", "solve")
    stats |= {
        "previous_version": snap.version or None,
        "method": method,
        "solve_seconds": attempt.seconds,
    }
    roster = with_replan_stats(roster, stats)
    diff = diff_rosters(snap.roster, roster)
    unchanged_input = snap.meta is not None and snap.meta.config_rev == snap.config_rev
    if snap.roster is not None and not new_events and unchanged_input and diff.changed == 0:
        store.set_status(last_job=job, last_result="no change", version=snap.version)
        return {"published": False, "version": snap.version, "reason": "no change"}
    meta = VersionMeta(
        version=snap.version + 1,
        events_through=len(snap.event_ids),
        config_rev=snap.config_rev,
        published_at=dt.datetime.now(dt.UTC).isoformat(),
        job=job or None,
        planned_at=now.isoformat(),
    )
    ok, version = store.publish(
        snap.version,
        roster,
        meta,
        list(snap.event_ids[len(snap.event_ids) - len(new_events) :]) if new_events else [],
        notifications(diff, new_events),
        maxlen=settings.stream_maxlen,
    )
    if not ok:
        return None
    store.set_status(
        last_job=job,
        last_result="published",
        version=version,
        last_error=None,
        changed=stats.get("changed"),
        solve_seconds=attempt.seconds,
    )
    return {
        "published": True,
        "version": version,
        "changed": stats.get("changed"),
        "method": method,
        "missing": roster.total_missing,
    }


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
    store = PlanStore(conn, prefix, plan_id)
    store.claim(gen)
    job = get_current_job()
    job_id = job.id if job else ""
    return _visible(store, job_id, lambda: run_replan(conn, settings, plan_id, job=job_id))


def _visible(store: PlanStore, job: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run; the job is shown as running in ``rota status`` meanwhile, and an exception
    (RQ retries the job) is also recorded there."""
    if job:
        store.set_status(running_job=job)
    try:
        return run()
    except Exception as exc:
        with contextlib.suppress(redis.RedisError):
            store.set_status(
                last_job=job,
                last_result="error",
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                last_error_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
        raise


def nightly_job(prefix: str, plan_id: str, date: str) -> dict[str, Any]:
    """RQ entry point of the nightly run: a full solve (a new version if anything changed),
    then the next night is scheduled."""
    settings = get_settings(key_prefix=prefix)
    job = get_current_job()
    conn = _conn(settings)
    store = PlanStore(conn, prefix, plan_id)
    job_id = job.id if job else ""
    out = _visible(
        store, job_id, lambda: run_replan(conn, settings, plan_id, force=True, job=job_id)
    )
    from workers.nightly import schedule_next

    next_id, _, when = schedule_next(store, settings, date)
    return {**out, "date": date, "next": next_id, "next_at": when.isoformat()}
