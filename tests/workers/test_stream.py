"""Change notifications on the plan's stream, read with consumer groups."""

from __future__ import annotations

import redis

from tests.workers.conftest import published, run_burst, submitted
from workers.events import accept_event
from workers.keys import PlanKeys
from workers.settings import Settings
from workers.stream import follow

DROP = {"kind": "dropout", "from": "2020-01-29T00:00", "to": "2020-01-31T00:00"}


def read_all(conn: redis.Redis, keys: PlanKeys, group: str, consumer: str, ack: bool = True):
    out = []
    for eid, entry, done in follow(conn, keys, group, consumer, block_ms=100):
        out.append((eid, entry))
        if ack:
            done()
    return out


def test_notifications_name_volunteers_sites_and_causes(
    conn: redis.Redis, settings: Settings
) -> None:
    store, v1 = published(conn, settings)
    victim = v1.assignments[0].volunteer
    lost = {a.key for a in v1.assignments if a.volunteer == victim}
    keys = store.keys
    read_all(conn, keys, "sms", "a")  # version 1's entries
    accept_event(conn, settings, "tiny", {**DROP, "volunteer": victim}, "sick-1")
    run_burst(conn, settings)
    entries = [e for _, e in read_all(conn, keys, "sms", "a")]
    assert {e["version"] for e in entries} == {2}
    summary = [e["data"] for e in entries if e["type"] == "version"]
    assert len(summary) == 1
    assert summary[0]["events"] == [{"id": "sick-1", "kind": "dropout"}]
    assert summary[0]["from_version"] == 1 and summary[0]["to_version"] == 2
    per_vol = {e["data"]["volunteer"]: e["data"] for e in entries if e["type"] == "volunteer"}
    removed = {(r["site"], r["shift"], r["start"]) for r in per_vol[victim]["removed"]}
    assert removed == lost and not per_vol[victim]["added"]
    added = [(r["site"], r["shift"], r["start"]) for v in per_vol.values() for r in v["added"]]
    assert sorted(added) == sorted(lost), "each lost shift refilled by someone else"
    assert all(e["type"] != "site" for e in entries), "coverage unchanged: no site entry"


def test_groups_get_every_entry_once_and_unacked_ones_again(
    conn: redis.Redis, settings: Settings
) -> None:
    submitted(conn, settings)
    keys = PlanKeys(settings.key_prefix, "tiny")
    total = conn.xlen(keys.changes)
    assert total >= 2
    first = read_all(conn, keys, "sms", "c1", ack=False)  # crashes before acking
    assert len(first) == total
    assert read_all(conn, keys, "sms", "c2") == [], "a group hands each entry out once"
    again = read_all(conn, keys, "sms", "c1")  # restarts: gets its pending entries again
    assert [e for e, _ in again] == [e for e, _ in first]
    assert read_all(conn, keys, "sms", "c1") == []
    assert len(read_all(conn, keys, "calendar", "x")) == total, "another group sees all"
    site_entries = [e for _, e in first if e["type"] == "site"]
    assert site_entries and site_entries[0]["data"]["missing_after"] == 0
