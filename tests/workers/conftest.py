"""Fixtures for queue-mode tests: the real Redis at 127.0.0.1:6379, a unique key prefix
and RQ queue per test (cleaned up after), in-process burst workers.

A test FAILS (never skips) when Redis is unreachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from scheduler.loading import plan_from_dict
from scheduler.models import Plan
from scheduler.roster import Roster
from tests.conftest import tiny_config
from workers.enqueue import make_queue, submit_plan
from workers.settings import Settings, get_settings
from workers.store import PlanStore

REDIS_URL = os.environ.get("ROTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def cleanup(conn: redis.Redis, prefix: str, queue: str) -> None:
    job_prefix = prefix.replace(":", "_").replace(".", "_")
    patterns = [
        f"{prefix}:*",
        f"rq:*{queue}*",
        f"rq:job:{job_prefix}-*",
        f"rq:results:{job_prefix}-*",
    ]
    patterns += [f"rq:execution:{job_prefix}-*", f"rq:executions:{job_prefix}-*"]
    for pattern in patterns:
        batch = list(conn.scan_iter(match=pattern, count=1000))
        if batch:
            conn.delete(*batch)


@pytest.fixture
def conn() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is unreachable at {REDIS_URL} ({exc}): queue-mode tests need a real Redis; "
            "start one with `redis-server` (or set ROTA_TEST_REDIS_URL)",
            pytrace=False,
        )
    yield client
    client.close()


@pytest.fixture
def settings(conn: redis.Redis, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    tag = uuid.uuid4().hex[:10]
    env = {
        "ROTA_REDIS_URL": REDIS_URL,
        "ROTA_KEY_PREFIX": f"rotatest-{tag}",
        "ROTA_QUEUE": f"rotatest-{tag}",
        "ROTA_TIME_LIMIT": "2",
        "ROTA_SOLVER_WORKERS": "1",
        "ROTA_NOW": "2020-01-28T00:00:00+08:00",
        "ROTA_RETRY_INTERVALS": "[0]",
        "ROTA_PLANNER": "tests.workers.planners:real",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    s = get_settings()
    yield s
    cleanup(conn, s.key_prefix, s.queue)


def run_burst(conn: redis.Redis, settings: Settings) -> None:
    """Run every queued job in this process, then return."""
    queue = make_queue(conn, settings.queue)
    SimpleWorker([queue], connection=conn, serializer=JSONSerializer).work(burst=True)


def tiny_plan(**overrides: object) -> Plan:
    return plan_from_dict(tiny_config(**overrides))


def submitted(conn: redis.Redis, settings: Settings, plan: Plan | None = None) -> Plan:
    """Submit a plan and run its first re-plan (version 1)."""
    plan = plan or tiny_plan()
    submit_plan(conn, settings, plan)
    run_burst(conn, settings)
    return plan


def published(conn: redis.Redis, settings: Settings) -> tuple[PlanStore, Roster]:
    """Submit the tiny plan and run its first re-plan: its store and the version 1 roster."""
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    v1 = store.roster()
    assert v1 is not None, "the first re-plan published no roster"
    return store, v1
