"""The nightly roster run: one full re-plan per plan and local date.

Two ways to trigger it, both running once per date even with several workers or
schedulers (the job id is unique per plan and date, enqueued with ``unique=True``):

* RQ scheduling: ``rota nightly PLAN`` schedules the run at ``ROTA_NIGHTLY_AT`` local
  time (``enqueue_at``); a worker started with the scheduler (``rota worker``, the
  default) enqueues it when due, and each run schedules the next one (the next night
  still ahead), so one ``rota nightly PLAN`` keeps it going.
* cron: ``0 2 * * * ROTA_REDIS_URL=redis://... rota nightly PLAN --now``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from workers.enqueue import schedule_nightly
from workers.settings import Settings
from workers.store import PlanStore


def run_time(tz: ZoneInfo, at: dt.time, now: dt.datetime, date: dt.date | None) -> dt.datetime:
    """When the nightly run of ``date`` happens (the next one due when ``date`` is None)."""
    local_now = now.astimezone(tz)
    if date is None:
        date = local_now.date()
        if dt.datetime.combine(date, at, tz) <= local_now:
            date += dt.timedelta(days=1)
    return dt.datetime.combine(date, at, tz)


def schedule(
    store: PlanStore, settings: Settings, date: str | None, *, immediately: bool = False
) -> tuple[str, bool, dt.datetime]:
    """Schedule (or, ``immediately``, enqueue) the nightly run; (job id, new, when)."""
    plan = store.load_plan()
    tz = ZoneInfo(plan.config.timezone)
    now = dt.datetime.now(dt.UTC)
    day = dt.date.fromisoformat(date) if date else None
    if immediately:
        when = now
        day = day or now.astimezone(tz).date()
    else:
        when = run_time(tz, settings.nightly_at, now, day)
        day = when.date()
    job_id, new = schedule_nightly(store.conn, settings, store.plan_id, when, day.isoformat())
    return job_id, new, when


def schedule_next(store: PlanStore, settings: Settings, done: str) -> tuple[str, bool, dt.datetime]:
    """After the run of date ``done``: schedule the next night that is still ahead."""
    tz = ZoneInfo(store.load_plan().config.timezone)
    now = dt.datetime.now(dt.UTC)
    when = run_time(tz, settings.nightly_at, now, dt.date.fromisoformat(done) + dt.timedelta(1))
    if when <= now:
        when = run_time(tz, settings.nightly_at, now, None)
    job_id, new = schedule_nightly(
        store.conn, settings, store.plan_id, when, when.date().isoformat()
    )
    return job_id, new, when
