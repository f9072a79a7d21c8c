"""City fan-out over RQ on the real Redis (127.0.0.1:6379) with in-process burst workers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.serializers import JSONSerializer

from scheduler.checker import check_roster
from scheduler.loading import plan_from_dict
from scheduler.models import Plan
from scheduler.problem import compile_plan
from solver.decompose import CityOptions, plan_city
from tests.solver.test_decompose import small_city
from workers.fanout import CityRunFailed, enqueue_city, plan_city_distributed, wait_for

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def conn() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"these tests need the real Redis at {REDIS_URL}; it is not reachable: {exc}")
    yield client
    client.close()


@pytest.fixture
def names(conn: redis.Redis) -> Iterator[tuple[str, str]]:
    """A unique (key prefix, queue name); everything under them is deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    prefix, queue = f"test-fanout-{tag}", f"test-fanout-{tag}"
    yield prefix, queue
    q = Queue(queue, connection=conn, serializer=JSONSerializer)
    for registry in (q.finished_job_registry, q.failed_job_registry, q.deferred_job_registry):
        for jid in registry.get_job_ids():
            job = Job.fetch(jid, connection=conn, serializer=JSONSerializer)
            job.delete()
    q.delete(delete_jobs=True)
    for key in conn.scan_iter(f"{prefix}:*"):
        conn.delete(key)


@pytest.fixture(scope="module")
def city() -> Plan:
    return plan_from_dict(small_city())


def _work(conn: redis.Redis, queue: str) -> None:
    q = Queue(queue, connection=conn, serializer=JSONSerializer)
    SimpleWorker([q], connection=conn, serializer=JSONSerializer).work(burst=True)


OPTIONS = CityOptions(time_limit=20, part_time_limit=1, processes=1, target_pairs=2_500)


def test_fanout_gives_the_local_roster(conn, names, city: Plan) -> None:
    prefix, queue = names
    options = CityOptions(**{**OPTIONS.__dict__, "solver": "greedy"})
    run = enqueue_city(city, options, connection=conn, queue=queue, prefix=prefix)
    assert len(run.part_jobs) >= 3
    _work(conn, queue)
    roster = wait_for(run, conn, timeout=30)
    local = plan_city(city, options).roster
    assert roster.assignments == local.assignments
    assert roster.shortfalls == local.shortfalls
    assert roster.objective == local.objective
    assert roster.bound == local.bound
    assert roster.stats["mode"] == "distributed"
    report = check_roster(compile_plan(city), roster)
    assert report.ok, report.violations


def test_fanout_with_cp_sat_parts_passes_the_checker(conn, names, city: Plan) -> None:
    prefix, queue = names
    run = enqueue_city(city, OPTIONS, connection=conn, queue=queue, prefix=prefix)
    _work(conn, queue)
    roster = wait_for(run, conn, timeout=60)
    assert roster.status.value == "feasible"
    assert roster.assignments
    assert check_roster(compile_plan(city), roster).ok
    assert roster.stats["coverage"] <= roster.stats["coverage_bound"] + 1e-6
    assert sum(roster.stats["part_status"].values()) == len(run.part_jobs)


def test_a_failed_merge_is_reported_with_its_job(conn, names, city: Plan) -> None:
    prefix, queue = names
    run = enqueue_city(city, OPTIONS, connection=conn, queue=queue, prefix=prefix)
    conn.delete(run.plan_key)  # the merge job cannot find the plan any more
    _work(conn, queue)
    with pytest.raises(CityRunFailed, match=run.merge_job):
        wait_for(run, conn, timeout=30)


def test_nobody_serving_the_queue_times_out_with_a_hint(conn, names, city: Plan) -> None:
    prefix, queue = names
    options = CityOptions(**{**OPTIONS.__dict__, "solver": "greedy", "time_limit": 1})
    with pytest.raises(CityRunFailed, match="rota worker"):
        plan_city_distributed(
            city, options, connection=conn, queue=queue, prefix=prefix, timeout=1.0
        )


def test_wait_for_tolerates_parts_deleted_by_the_merge(conn, names) -> None:
    """The merge job deletes part jobs once it has read them: polling must not crash on that.

    Regression: a full-size run failed with NoSuchJobError while the merge was still running.
    """
    from workers.fanout import CityRun

    prefix, queue = names
    q = Queue(queue, connection=conn, serializer=JSONSerializer)
    merge = q.enqueue("os.getcwd", job_id=f"{prefix}-merge")  # queued, no worker: unfinished
    run = CityRun(
        run=prefix,
        part_jobs=(f"{prefix}-gone-1", f"{prefix}-gone-2"),  # never existed / already deleted
        merge_job=merge.id,
        plan_key=f"{prefix}:plan",
        roster_key=f"{prefix}:roster",
    )
    with pytest.raises(CityRunFailed, match="not finished"):
        wait_for(run, conn, timeout=0.2, poll=0.05)
