"""Versioned immutable rosters: check-and-set publish, no lost update, no overwrite."""

from __future__ import annotations

import threading

import redis

from scheduler.roster import Roster
from tests.workers.conftest import published, submitted
from workers.events import accept_event
from workers.jobs import run_replan
from workers.settings import Settings
from workers.store import PlanStore, VersionMeta

SURGE = {"kind": "surge", "site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}


def _meta(version: int) -> VersionMeta:
    return VersionMeta(version=version, events_through=0, config_rev=1, published_at="t")


def assert_versions_contiguous(store: PlanStore) -> int:
    current = store.current_version()
    for v in range(1, current + 1):
        roster = store.roster(v)
        assert roster is not None, f"version {v} missing"
        assert roster.version == v, f"version {v} holds a roster numbered {roster.version}"
    assert not store.conn.exists(store.keys.roster(current + 1)), "a version beyond current"
    assert store.conn.hlen(store.keys.versions) == current
    return current


def test_stale_publish_is_rejected(conn: redis.Redis, settings: Settings) -> None:
    store, v1 = published(conn, settings)
    assert store.current_version() == 1
    newer = v1.model_copy(update={"version": 2, "objective": 1})
    assert store.publish(1, newer, _meta(2), [], []) == (True, 2)
    stale = v1.model_copy(update={"version": 2, "objective": 999})
    assert store.publish(1, stale, _meta(2), [], []) == (False, 2)
    kept = store.roster(2)
    assert kept is not None and kept.objective == 1
    assert_versions_contiguous(store)


def test_concurrent_publishes_from_the_same_version_one_wins(
    conn: redis.Redis, settings: Settings
) -> None:
    store, v1 = published(conn, settings)
    outcomes: list[tuple[bool, int]] = []
    barrier = threading.Barrier(8)
    entries_before = conn.xlen(store.keys.changes)

    def publish(i: int) -> None:
        own = PlanStore(redis.Redis.from_url(settings.redis_url), settings.key_prefix, "tiny")
        candidate: Roster = v1.model_copy(update={"version": 2, "objective": i})
        barrier.wait()
        outcomes.append(own.publish(1, candidate, _meta(2), [], [("version", "{}")]))

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == [(False, 2)] * 7 + [(True, 2)]
    assert assert_versions_contiguous(store) == 2
    assert conn.xlen(store.keys.changes) == entries_before + 1  # only the winner notified


def test_racing_replans_lose_no_update(conn: redis.Redis, settings: Settings) -> None:
    """Two re-plans run at once on different events: both events end up in the current
    roster, versions stay contiguous and nothing is overwritten."""
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    accept_event(conn, settings, "tiny", {**SURGE, "add": 1}, "a")
    results: list[dict] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def replan(event: str | None) -> None:
        try:
            own = redis.Redis.from_url(settings.redis_url)
            if event:
                ev = {**SURGE, "from": "2020-01-30T00:00", "to": "2020-01-31T00:00", "add": 1}
                accept_event(own, settings, "tiny", ev, event)
            barrier.wait()
            results.append(run_replan(own, settings, "tiny", job=f"race-{event}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=replan, args=(e,)) for e in (None, "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    current = assert_versions_contiguous(store)
    assert 2 <= current <= 3
    assert sum(r["published"] for r in results) == current - 1
    roster = store.roster()
    assert roster is not None
    # both surges are in the current roster: need 2 on all six shifts
    assert len(roster.assignments) == 12 and not roster.shortfalls
    assert store.event_done_in("a") is not None and store.event_done_in("b") is not None
