"""Events: validation (nothing stored or queued when bad), idempotency, coalescing."""

from __future__ import annotations

import threading

import pytest
import redis

from scheduler.errors import ConfigError
from tests.workers.conftest import run_burst, submitted, tiny_plan
from workers.enqueue import job_key_prefix, submit_plan
from workers.events import accept_event
from workers.keys import PlanKeys
from workers.settings import Settings
from workers.store import PlanStore

SURGE = {"kind": "surge", "site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}


def queue_len(conn: redis.Redis, settings: Settings) -> int:
    return int(conn.llen(f"rq:queue:{settings.queue}"))


@pytest.mark.parametrize(
    ("data", "path", "text"),
    [
        ({"kind": "flood", "site": "exit-se"}, "", "kind"),
        ({**SURGE, "add": 1, "site": "nowhere"}, "site", "unknown site 'nowhere'"),
        ({**SURGE, "add": 1, "shift": "brunch"}, "shift", "has no shift 'brunch'"),
        ({**SURGE, "add": 0}, "add", "non-zero"),
        ({**SURGE, "add": 1, "to": "2020-01-28T00:00"}, "", "after `from`"),
        (
            {**SURGE, "add": 1, "from": "2020-03-01T00:00", "to": "2020-03-02T00:00"},
            "from",
            "outside",
        ),
        ({**SURGE, "add": 1, "colour": "red"}, "colour", "unknown field"),
        ({**SURGE}, "add", "required"),
        (
            {"kind": "dropout", "volunteer": "ghost", **{k: SURGE[k] for k in ("from", "to")}},
            "volunteer",
            "unknown volunteer 'ghost'",
        ),
        ({**SURGE, "add": 1, "from": "29/01/2020"}, "from", "unparseable"),
    ],
)
def test_bad_event_is_rejected_and_nothing_is_stored_or_queued(
    conn: redis.Redis, settings: Settings, data: dict, path: str, text: str
) -> None:
    submitted(conn, settings)
    keys = PlanKeys(settings.key_prefix, "tiny")
    before = (conn.hlen(keys.events), queue_len(conn, settings), conn.get(keys.queued))
    with pytest.raises(ConfigError) as info:
        accept_event(conn, settings, "tiny", data)
    messages = [f"{p.path}: {p.message}" for p in info.value.problems]
    assert any(path in m and text in m for m in messages), messages
    assert (conn.hlen(keys.events), queue_len(conn, settings), conn.get(keys.queued)) == before


def test_event_for_unknown_plan_is_rejected(conn: redis.Redis, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="has not been submitted"):
        accept_event(conn, settings, "nope", {**SURGE, "add": 1})
    assert queue_len(conn, settings) == 0


def test_same_event_twice_has_one_effect(conn: redis.Redis, settings: Settings) -> None:
    submitted(conn, settings)
    first = accept_event(conn, settings, "tiny", {**SURGE, "add": 1})
    again = accept_event(conn, settings, "tiny", {**SURGE, "add": 1})
    assert (first.duplicate, again.duplicate) == (False, True)
    assert first.event_id == again.event_id and first.seq == again.seq == 1
    run_burst(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    assert store.current_version() == 2
    roster = store.roster()
    assert roster is not None
    # need 1 + 1 on the three shifts of the 29th: six people on that day, not nine
    on_29 = [a for a in roster.assignments if a.start.day == 29]
    assert len(on_29) == 6
    late = accept_event(conn, settings, "tiny", {**SURGE, "add": 1})
    assert late.duplicate and late.done_in == 2 and late.job_id is None
    run_burst(conn, settings)
    assert store.current_version() == 2


def test_explicit_id_wins_over_content(conn: redis.Redis, settings: Settings) -> None:
    submitted(conn, settings)
    a = accept_event(conn, settings, "tiny", {**SURGE, "add": 1}, event_id="sms-1")
    b = accept_event(conn, settings, "tiny", {**SURGE, "add": 1}, event_id="sms-1")
    c = accept_event(conn, settings, "tiny", {**SURGE, "add": 1}, event_id="sms-2")
    assert (a.duplicate, b.duplicate, c.duplicate) == (False, True, False)
    # an id already used for different content is an error, and the first stays
    with pytest.raises(ConfigError, match="already used for a different event"):
        accept_event(conn, settings, "tiny", {**SURGE, "add": 2}, event_id="sms-1")
    store = PlanStore(conn, settings.key_prefix, "tiny")
    assert store.n_events() == 2 and store.event("sms-1")["add"] == 1


def test_concurrent_duplicates_store_once_and_queue_one_job(
    conn: redis.Redis, settings: Settings
) -> None:
    submitted(conn, settings)
    results, errors = [], []

    def send() -> None:
        try:
            own = redis.Redis.from_url(settings.redis_url)
            results.append(accept_event(own, settings, "tiny", {**SURGE, "add": 1}, "dup"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(not r.duplicate for r in results) == 1
    store = PlanStore(conn, settings.key_prefix, "tiny")
    assert store.n_events() == 1
    assert queue_len(conn, settings) == 1
    run_burst(conn, settings)
    assert store.current_version() == 2 and store.event_done_in("dup") == 2


def test_events_while_pending_coalesce_into_one_replan(
    conn: redis.Redis, settings: Settings
) -> None:
    submitted(conn, settings)
    jobs = set()
    for i in range(5):
        ev = {**SURGE, "add": 1, "to": f"2020-01-29T{8 * (i % 3) + 1:02d}:00"}
        jobs.add(accept_event(conn, settings, "tiny", ev, event_id=f"e{i}").job_id)
    assert len(jobs) == 1 and queue_len(conn, settings) == 1
    store = PlanStore(conn, settings.key_prefix, "tiny")
    assert all(store.event_done_in(f"e{i}") is None for i in range(5))
    run_burst(conn, settings)
    assert store.current_version() == 2
    assert [store.event_done_in(f"e{i}") for i in range(5)] == [2] * 5
    assert store.status()["last_result"] == "published"


def test_redelivery_heals_a_lost_enqueue(conn: redis.Redis, settings: Settings) -> None:
    """A client that died after storing the event but before enqueueing: re-sending the
    event (same id) queues the missing job, still only once."""
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    record = {"id": "lost", **SURGE, "add": 1, "accepted_at": "2020-01-01T00:00:00+00:00"}
    # stored + flag set, then the client died before enqueueing the job
    intake = store.intake("lost", record, job_key_prefix(settings, "tiny"))
    assert intake.missing and queue_len(conn, settings) == 0
    again = accept_event(conn, settings, "tiny", {**SURGE, "add": 1}, "lost")
    assert again.duplicate and again.job_id is not None
    assert queue_len(conn, settings) == 1
    run_burst(conn, settings)
    assert store.event_done_in("lost") == 2


def test_events_are_validated_against_the_current_config(
    conn: redis.Redis, settings: Settings
) -> None:
    """Validation uses a cached plan per config revision; the intake script refuses a
    stale revision, so a re-submitted config always decides."""
    plan = submitted(conn, settings)
    accept_event(conn, settings, "tiny", {**SURGE, "add": 1})  # caches revision 1
    two_sites = [*plan.config.model_dump(by_alias=True)["sites"]]
    two_sites.append({"id": "exit-nw", "pattern": "three-8h", "need": 1})
    submit_plan(conn, settings, tiny_plan(sites=two_sites), replan=False)
    nw = {**SURGE, "site": "exit-nw", "add": 1}
    assert not accept_event(conn, settings, "tiny", nw, "nw-1").duplicate  # revision 2
    submit_plan(conn, settings, plan, replan=False)  # revision 3: exit-nw gone again
    with pytest.raises(ConfigError, match="unknown site 'exit-nw'"):
        accept_event(conn, settings, "tiny", nw, "nw-2")
    assert PlanStore(conn, settings.key_prefix, "tiny").event("nw-2") is None
