"""Distributed city planning: one RQ job per part, then a merge + repair job depending on them.

``enqueue_city`` splits the plan (:func:`solver.decompose.prepare`) and enqueues, on one
queue with the JSON serializer (no pickle):

* ``solver.decompose_solve.solve_part(payload)`` per part; the payload is the sub-plan as JSON;
* ``workers.fanout.merge_job(...)`` with ``depends_on`` all of them: it reads the whole
  plan from ``{prefix}:city:{run}:plan`` and the parts' results from their jobs, runs
  :func:`solver.decompose.finish` (merge, repair, bound, build, check) and stores the
  roster JSON at ``{prefix}:city:{run}:roster`` (its return value is a small summary),
  then deletes the part jobs and the stored plan.

``plan_city_distributed`` does both and waits; a failed part job fails the run with
that job's id and error. Any ``rota worker --queue QUEUE`` serves the jobs.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from scheduler.gc_pause import no_cyclic_gc
from scheduler.models import Plan
from scheduler.roster import Roster
from solver.decompose import CityOptions, CityResult, finish, plan_json, prepare

if TYPE_CHECKING:
    from rq import Queue

KEY_TTL = 24 * 3600
PART_TIMEOUT = 1800
"""RQ timeout of a part job when no part time limit is given (parts take seconds)."""
SOLVE_PART = "solver.decompose_solve.solve_part"
MERGE = "workers.fanout.merge_job"


class CityRunFailed(RuntimeError):
    """A part or the merge job failed, or the run did not finish in time."""


@dataclass(frozen=True)
class CityRun:
    run: str
    part_jobs: tuple[str, ...]
    merge_job: str
    plan_key: str
    roster_key: str


def _queue(conn: redis.Redis, name: str) -> Queue:
    from rq import Queue
    from rq.serializers import JSONSerializer

    return Queue(name, connection=conn, serializer=JSONSerializer)


def enqueue_city(
    plan: Plan,
    options: CityOptions,
    *,
    connection: redis.Redis,
    queue: str,
    prefix: str = "rota",
) -> CityRun:
    """Enqueue the parts and the merge job of ``plan``; returns their ids and keys."""
    run = uuid.uuid4().hex[:12]
    split, payloads, stats = prepare(plan, options)
    stats.update(mode="distributed", rq_queue=queue)
    base = f"{prefix}:city:{run}"
    plan_key, roster_key = f"{base}:plan", f"{base}:roster"
    connection.set(plan_key, json.dumps(plan_json(plan)), ex=KEY_TTL)
    q = _queue(connection, queue)
    given = options.part_time_limit
    part_timeout = int(4 * given + 300) if given is not None else PART_TIMEOUT
    jobs = [
        q.enqueue(
            SOLVE_PART,
            payload,
            job_id=f"city-{run}-{payload['part']}",
            job_timeout=part_timeout,
            result_ttl=KEY_TTL,
            failure_ttl=KEY_TTL,
        )
        for payload in payloads
    ]
    merge = q.enqueue(
        MERGE,
        plan_key,
        [j.id for j in jobs],
        [list(p.sites) for p in split.parts],
        dataclasses.asdict(options),
        stats,
        roster_key,
        job_id=f"city-{run}-merge",
        depends_on=jobs or None,
        job_timeout=int(max(600, options.time_limit)),
        result_ttl=KEY_TTL,
        failure_ttl=KEY_TTL,
    )
    return CityRun(run, tuple(j.id for j in jobs), merge.id, plan_key, roster_key)


def merge_job(
    plan_key: str,
    part_jobs: list[str],
    regions: list[list[str]],
    options: dict[str, Any],
    stats: dict[str, Any],
    roster_key: str,
) -> dict[str, Any]:
    """RQ job: merge the parts' results, repair, check; store the roster JSON."""
    from rq import get_current_job
    from rq.job import Job
    from rq.serializers import JSONSerializer

    job = get_current_job()
    if job is None:
        raise RuntimeError("merge_job runs inside an RQ worker")
    conn = job.connection
    raw = conn.get(plan_key)
    if raw is None:
        raise CityRunFailed(f"the plan at {plan_key} has expired or was never stored")
    plan = Plan.model_validate_json(raw)
    t0 = time.monotonic()
    results = [
        Job.fetch(jid, connection=conn, serializer=JSONSerializer).return_value()
        for jid in part_jobs
    ]
    stats["fetch_seconds"] = round(time.monotonic() - t0, 3)
    stats["part_seconds_sum"] = round(sum(r["seconds"] for r in results), 3)
    with no_cyclic_gc():
        result = finish(plan, results, regions, CityOptions(**options), stats)
    conn.set(roster_key, result.roster.to_json(), ex=KEY_TTL)
    for jid in part_jobs:  # their results live on in the roster; free Redis
        Job.fetch(jid, connection=conn, serializer=JSONSerializer).delete()
    conn.delete(plan_key)
    return {
        "roster_key": roster_key,
        "assignments": len(result.roster.assignments),
        "coverage": result.stats["coverage"],
        "coverage_bound": result.stats["coverage_bound"],
    }


def wait_for(run: CityRun, connection: redis.Redis, *, timeout: float, poll: float = 0.5) -> Roster:
    """Wait for the merge job; the roster, or CityRunFailed naming the failed job."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus
    from rq.serializers import JSONSerializer

    deadline = time.monotonic() + timeout
    while True:
        merge = Job.fetch(run.merge_job, connection=connection, serializer=JSONSerializer)
        status = merge.get_status()
        if status == JobStatus.FINISHED:
            raw = connection.get(run.roster_key)
            if raw is None:
                raise CityRunFailed(f"merge job {run.merge_job} finished but stored no roster")
            return Roster.model_validate_json(raw)
        if status == JobStatus.FAILED:
            raise CityRunFailed(f"merge job {run.merge_job} failed: {_last_line(merge)}")
        for jid in run.part_jobs:
            try:
                part = Job.fetch(jid, connection=connection, serializer=JSONSerializer)
            except NoSuchJobError:  # the merge job consumed and deleted it meanwhile
                continue
            if part.get_status() == JobStatus.FAILED:
                raise CityRunFailed(f"part job {jid} failed: {_last_line(part)}")
        if time.monotonic() > deadline:
            raise CityRunFailed(
                f"city run {run.run} not finished after {timeout:g} s "
                f"(merge job {run.merge_job}: {status}); are `rota worker` processes running?"
            )
        time.sleep(poll)


def _last_line(job: Any) -> str:
    info = job.latest_result()
    text = getattr(info, "exc_string", None) or ""
    return text.strip().splitlines()[-1] if text.strip() else "no error text"


def plan_city_distributed(
    plan: Plan,
    options: CityOptions,
    *,
    connection: redis.Redis,
    queue: str,
    prefix: str = "rota",
    timeout: float | None = None,
) -> CityResult:
    """Enqueue, wait, and return the checked roster (same contract as local mode)."""
    t0 = time.monotonic()
    run = enqueue_city(plan, options, connection=connection, queue=queue, prefix=prefix)
    roster = wait_for(run, connection, timeout=timeout or 3 * options.time_limit + 600)
    stats = {**roster.stats, "seconds": round(time.monotonic() - t0, 3), "run": run.run}
    roster = roster.model_copy(update={"stats": stats})
    return CityResult(roster=roster, pairs=frozenset(), stats=stats)  # pairs: local mode only
