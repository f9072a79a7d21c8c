"""Crashes: a worker killed with SIGKILL mid-solve, Redis killed and restarted (AOF)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from tests.workers.conftest import run_burst, submitted
from workers.enqueue import make_queue
from workers.events import accept_event
from workers.settings import Settings, get_settings
from workers.store import PlanStore

ROOT = Path(__file__).resolve().parents[2]
DAY29 = {"kind": "surge", "site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}


def wait_for(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.mark.parametrize("kill", ["worker-and-horse", "worker-only"])
def test_worker_killed_mid_solve_is_retried_and_publishes_once(
    conn: redis.Redis, settings: Settings, kill: str
) -> None:
    """kill -9 mid-solve; the job is retried and exactly one new version appears. With
    ``worker-only`` the orphaned work horse (RQ puts it in its own process group) finishes
    its solve after the retry published: its check-and-set publish must change nothing."""
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    accepted = accept_event(conn, settings, "tiny", {**DAY29, "add": 1}, "k1")
    env = {
        **os.environ,
        "ROTA_PLANNER": "tests.workers.planners:slow",
        "ROTA_TEST_SLEEP": "60" if kill == "worker-and-horse" else "3",
        "ROTA_REPLAN_MODE": "solve",
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-c", "from rota.cli import main; main()", "worker", "--burst"]
    proc = subprocess.Popen(
        [*cmd, "--no-scheduler"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    solving = f"{settings.key_prefix}:test:solving"
    horse = 0
    try:
        wait_for(lambda: conn.llen(solving) == 1, 60, "the worker to start solving")
        horse = int(conn.lindex(solving, 0))
        assert horse != proc.pid, "the solve runs in RQ's forked work horse"
        # the worker first: killed second, it could see its horse die and requeue the job
        os.killpg(proc.pid, signal.SIGKILL)  # the worker that supervised the solve ...
        proc.wait(10)
        if kill == "worker-and-horse":
            os.kill(horse, signal.SIGKILL)  # ... and the solving process
        if kill == "worker-and-horse":
            wait_for(lambda: not _alive(horse), 10, "the work horse to die")
        assert store.current_version() == 1
        queue = make_queue(conn, settings.queue)
        job = Job.fetch(accepted.job_id, connection=conn, serializer=JSONSerializer)
        assert job.get_status().value == "started"  # abandoned
        # what a live worker's maintenance does once the dead one's heartbeat expired
        StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 3600)
        job.refresh()
        assert job.get_status().value in ("queued", "scheduled") and job.retries_left == 2
        wait_for(lambda: queue.count == 1, 5, "the retried job to be queued")
        run_burst(conn, settings)  # healthy in-process worker, real planner
        assert job.get_status(refresh=True).value == "finished"
        assert store.current_version() == 2 and store.event_done_in("k1") == 2
        if kill == "worker-only":
            wait_for(lambda: not _alive(horse), 30, "the orphaned work horse to finish")
        assert store.current_version() == 2 and not conn.exists(store.keys.roster(3))
        assert store.roster(2).version == 2
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        if horse and _alive(horse):
            os.kill(horse, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"  # a zombie is dead
    except FileNotFoundError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, data: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)

    def up() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    wait_for(up, 15, f"redis-server on port {port}")
    return proc


@pytest.fixture
def aof_redis(tmp_path: Path) -> Iterator[tuple[int, Path, list[subprocess.Popen]]]:
    port, procs = free_port(), []
    procs.append(start_redis(port, tmp_path))
    yield port, tmp_path, procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(10)


def test_redis_killed_between_acceptance_and_publishing_loses_no_event(
    conn: redis.Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    aof_redis: tuple[int, Path, list[subprocess.Popen]],
) -> None:
    port, data, procs = aof_redis
    monkeypatch.setenv("ROTA_REDIS_URL", f"redis://127.0.0.1:{port}/0")
    monkeypatch.setenv("ROTA_WAIT_AOF", "1")
    s = get_settings()
    aof = redis.Redis(port=port)
    submitted(aof, s)
    ids = [
        accept_event(aof, s, "tiny", {**DAY29, "add": 1, "shift": sh}).event_id
        for sh in ("night", "day", "evening")
    ]
    procs[0].send_signal(signal.SIGKILL)  # no shutdown, no final save
    procs[0].wait(10)
    procs.append(start_redis(port, data))
    aof = redis.Redis(port=port)
    store = PlanStore(aof, s.key_prefix, "tiny")
    assert store.current_version() == 1 and store.n_events() == 3
    run_burst(aof, s)
    roster = store.roster()
    assert roster is not None and roster.version == 2
    assert [store.event_done_in(i) for i in ids] == [2, 2, 2]
    assert len([a for a in roster.assignments if a.start.day == 29]) == 6
