"""Change notifications: a Redis Stream per plan, read with consumer groups.

Each published version appends (atomically with the publish, see
:meth:`workers.store.PlanStore.publish`) one ``version`` entry (summary: from/to version,
changed counts, causing events), one ``volunteer`` entry per volunteer whose shifts
changed (added/removed) and one ``site`` entry per site whose coverage changed. Every
entry has fields ``version``, ``type`` and ``data`` (JSON).

A consumer (an SMS gateway, a calendar feed) reads with a group so each entry is handled
once per group and unacknowledged ones are re-delivered::

    rota roster follow PLAN --group sms --consumer sms-1

or, from Python, :func:`follow`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import redis

from scheduler.diff import RosterDiff
from workers.keys import PlanKeys


def notifications(diff: RosterDiff, events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(type, JSON data) entries for one published version."""
    causes = [{"id": e["id"], "kind": e["kind"]} for e in events]
    summary = {
        "plan": diff.plan,
        "from_version": diff.from_version,
        "to_version": diff.to_version,
        "added": diff.added,
        "removed": diff.removed,
        "volunteers_changed": len(diff.volunteers),
        "sites_changed": len(diff.sites),
        "events": causes,
    }
    out = [("version", json.dumps(summary))]
    for vc in diff.volunteers:
        out.append(("volunteer", vc.model_dump_json()))
    for sc in diff.sites:
        out.append(("site", sc.model_dump_json()))
    return out


def _decode(fields: dict[bytes, bytes]) -> dict[str, Any]:
    f = {k.decode(): v.decode() for k, v in fields.items()}
    return {"version": int(f["version"]), "type": f["type"], "data": json.loads(f["data"])}


def ensure_group(conn: redis.Redis, keys: PlanKeys, group: str, start: str = "0") -> None:
    """Create the consumer group (from the stream's start by default) if it does not exist."""
    try:
        conn.xgroup_create(keys.changes, group, id=start, mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def follow(
    conn: redis.Redis,
    keys: PlanKeys,
    group: str,
    consumer: str,
    *,
    block_ms: int = 5000,
    count: int = 100,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[str, dict[str, Any], Callable[[], None]]]:
    """Yield (entry id, entry, ack) for the group: first this consumer's unacknowledged
    entries (re-delivery after a crash), then new ones; call ``ack()`` once handled."""
    ensure_group(conn, keys, group)
    cursor = "0"  # this consumer's pending entries first, then ">" (new ones)
    while not stop():
        block = None if cursor != ">" else block_ms
        resp = conn.xreadgroup(group, consumer, {keys.changes: cursor}, count=count, block=block)
        entries = resp[0][1] if resp else []
        if not entries:
            if cursor == ">":
                return
            cursor = ">"
            continue
        for entry_id, fields in entries:
            eid = entry_id.decode()

            def ack(eid: str = eid) -> None:
                conn.xack(keys.changes, group, eid)

            yield eid, _decode(fields), ack
            if cursor != ">":
                cursor = eid
