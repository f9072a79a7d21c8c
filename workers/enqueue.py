"""Putting jobs on RQ queues: JSON serializer, explicit timeouts, retries, unique ids.

Job functions are referenced by their dotted path, so nothing here imports the solver.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from scheduler.models import Plan
from workers.keys import nightly_job_id, replan_job_id
from workers.settings import Settings
from workers.store import Intake, PlanStore

REPLAN_FUNC = "workers.jobs.replan_job"
NIGHTLY_FUNC = "workers.jobs.nightly_job"


def make_queue(conn: redis.Redis, name: str) -> Queue:
    return Queue(name, connection=conn, serializer=JSONSerializer)


def _retry(settings: Settings) -> Retry | None:
    if settings.retries <= 0:
        return None
    return Retry(max=settings.retries, interval=list(settings.retry_intervals))


def job_key_prefix(settings: Settings, plan_id: str) -> str:
    """RQ's key of re-plan job generation N is this prefix followed by N."""
    return Job.key_for(replan_job_id(settings.key_prefix, plan_id, 0))[:-1]


def request_replan(
    conn: redis.Redis, settings: Settings, store: PlanStore, event_id: str | None = None,
    record: dict | None = None, config_rev: int | None = None,
) -> tuple[Intake | None, str | None]:  # fmt: skip
    """Store an event (if given) and make sure one re-plan job is pending; (intake, job id).

    Whoever finds the pending generation without its RQ job (the caller that created the
    flag, or any later one if that caller died before enqueueing) enqueues it, with a
    unique id derived from the generation: however many race, one job. (None, None) when
    ``config_rev`` is given and the plan was re-submitted meanwhile (nothing stored).
    """
    intake = store.intake(event_id, record, job_key_prefix(settings, store.plan_id), config_rev)
    if intake is None or intake.gen <= 0:
        return intake, None
    job_id = replan_job_id(settings.key_prefix, store.plan_id, intake.gen)
    if intake.missing:
        with contextlib.suppress(DuplicateJobError):
            make_queue(conn, settings.queue).enqueue(
                REPLAN_FUNC,
                settings.key_prefix,
                store.plan_id,
                intake.gen,
                job_id=job_id,
                unique=True,
                job_timeout=settings.effective_job_timeout,
                retry=_retry(settings),
                result_ttl=86_400,
                failure_ttl=7 * 86_400,
                description=f"re-plan {store.plan_id} (generation {intake.gen})",
            )
    return intake, job_id


def schedule_nightly(
    conn: redis.Redis, settings: Settings, plan_id: str, when: dt.datetime, date: str
) -> tuple[str, bool]:
    """Schedule the nightly run of ``plan_id`` for ``date`` at ``when`` (aware).

    The job id is unique per plan and date, so several schedulers, cron lines or workers
    still run it once. Returns (job id, newly scheduled).
    """
    job_id = nightly_job_id(settings.key_prefix, plan_id, date)
    queue = make_queue(conn, settings.effective_nightly_queue)
    kwargs = dict(
        job_id=job_id,
        unique=True,
        job_timeout=settings.effective_job_timeout,
        retry=_retry(settings),
        result_ttl=7 * 86_400,
        failure_ttl=7 * 86_400,
        description=f"nightly re-plan {plan_id} for {date}",
    )
    try:
        if when <= dt.datetime.now(dt.UTC):
            queue.enqueue(NIGHTLY_FUNC, settings.key_prefix, plan_id, date, **kwargs)
        else:
            queue.enqueue_at(when, NIGHTLY_FUNC, settings.key_prefix, plan_id, date, **kwargs)
    except DuplicateJobError:
        return job_id, False
    return job_id, True


def submit_plan(
    conn: redis.Redis, settings: Settings, plan: Plan, *, replan: bool = True
) -> tuple[int, str | None]:
    """Store a validated plan as its current config and queue a re-plan; (config_rev, job id)."""
    store = PlanStore(conn, settings.key_prefix, plan.config.plan)
    rev = store.save_plan(plan)
    if not replan:
        return rev, None
    return rev, request_replan(conn, settings, store)[1]
