"""Plans, immutable roster versions and the check-and-set publish, in Redis.

Versions are contiguous from 1 and written once: :meth:`PlanStore.publish` runs one Lua
script that checks the current pointer still equals the version the re-plan started
from, writes the new roster under a fresh key (SET NX), moves the pointer, marks the
included events done and appends the change notifications to the plan's stream, all
atomically. A stale job gets ``published=False`` and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import redis
from redis.commands.core import Script

from scheduler.models import Plan
from scheduler.roster import Roster
from workers.keys import PlanKeys, plans_key

_PUBLISH = """
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
local expected = tonumber(ARGV[1])
if cur ~= expected then return {0, cur} end
local new = cur + 1
if not redis.call('SET', KEYS[5], ARGV[2], 'NX') then
  return redis.error_reply('roster version ' .. new .. ' already exists')
end
redis.call('SET', KEYS[1], new)
redis.call('HSET', KEYS[2], new, ARGV[3])
local n_ids = tonumber(ARGV[5])
for i = 1, n_ids do redis.call('HSETNX', KEYS[4], ARGV[5 + i], new) end
local i = 6 + n_ids
while i + 1 <= #ARGV do
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',
             'version', new, 'type', ARGV[i], 'data', ARGV[i + 1])
  i = i + 2
end
return {1, new}
"""

# KEYS: events, event_log, queued, jobgen, event_done, config_rev. ARGV: id ('' = none),
# record json, RQ job key prefix of this plan's re-plan jobs (generation appended), the
# config revision the event was validated against ('' = any; otherwise a mismatch stores
# nothing and returns {-1, 0, 0, 0}: validate again against the new config).
# Returns {is_new, seq, gen, missing}: missing = 1 when the pending generation has no RQ job
# yet (this call created the flag, or a client died between flag and enqueue).
_INTAKE = """
if ARGV[4] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[4] then return {-1, 0, 0, 0} end
local new, seq = 0, 0
if ARGV[1] ~= '' then
  new = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
  if new == 1 then
    seq = redis.call('RPUSH', KEYS[2], ARGV[1])
  else
    seq = (redis.call('LPOS', KEYS[2], ARGV[1]) or -1) + 1
    if redis.call('HEXISTS', KEYS[5], ARGV[1]) == 1 then return {0, seq, 0, 0} end
  end
end
local gen = redis.call('GET', KEYS[3])
if not gen then
  gen = redis.call('INCR', KEYS[4])
  redis.call('SET', KEYS[3], gen)
  return {new, seq, gen, 1}
end
return {new, seq, tonumber(gen), 1 - redis.call('EXISTS', ARGV[3] .. gen)}
"""

_CLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
"""


@dataclass(frozen=True)
class Intake:
    is_new: bool
    seq: int
    gen: int  # pending job generation (0: none needed, the event is already done)
    missing: bool  # the pending generation has no RQ job yet: enqueue it


@dataclass(frozen=True)
class VersionMeta:
    version: int
    events_through: int
    config_rev: int
    published_at: str
    job: str | None = None
    planned_at: str | None = None  # the re-plan's clock: its events act from then on


@dataclass(frozen=True)
class Snapshot:
    """What a re-plan starts from: read in one MULTI so it is consistent."""

    plan: Plan
    config_rev: int
    version: int  # 0 = nothing published yet
    roster: Roster | None
    meta: VersionMeta | None
    event_ids: tuple[str, ...]  # accepted so far, in order (seq = position + 1)
    events: tuple[dict[str, Any], ...]  # records, same order


_SCRIPTS: dict[str, Script] = {}


def _script(conn: redis.Redis, text: str) -> Any:
    """A script run by SHA (EVALSHA, loaded on first use), bound to ``conn``."""
    script = _SCRIPTS.get(text)
    if script is None:
        script = _SCRIPTS[text] = Script(None, text.encode())  # type: ignore[arg-type]
    return lambda keys, args: script(keys=keys, args=args, client=conn)


def _text(raw: bytes | str | None) -> str | None:
    if raw is None:
        return None
    return raw.decode() if isinstance(raw, bytes) else raw


class PlanStore:
    """One plan's keys on one connection."""

    def __init__(self, conn: redis.Redis, prefix: str, plan_id: str):
        self.conn = conn
        self.prefix = prefix
        self.plan_id = plan_id
        self.keys = PlanKeys(prefix, plan_id)

    # ---- configs -------------------------------------------------------------------
    def save_plan(self, plan: Plan) -> int:
        """Store a validated plan (volunteers resolved inline); returns the new config_rev."""
        data = plan.model_dump_json(by_alias=True)
        pipe = self.conn.pipeline()
        pipe.set(self.keys.config, data)
        pipe.incr(self.keys.config_rev)
        pipe.sadd(plans_key(self.prefix), self.plan_id)
        return int(pipe.execute()[1])

    def exists(self) -> bool:
        return bool(self.conn.exists(self.keys.config))

    def load_plan(self) -> Plan:
        raw = self.conn.get(self.keys.config)
        if raw is None:
            raise KeyError(f"plan {self.plan_id!r} has not been submitted")
        return Plan.model_validate_json(raw)

    # ---- versions ------------------------------------------------------------------
    def current_version(self) -> int:
        return int(self.conn.get(self.keys.current) or 0)

    def roster(self, version: int | None = None) -> Roster | None:
        """A published roster (the current one by default); None if there is none."""
        v = self.current_version() if version is None else version
        if v <= 0:
            return None
        raw = self.conn.get(self.keys.roster(v))
        return None if raw is None else Roster.model_validate_json(raw)

    def meta(self, version: int) -> VersionMeta | None:
        raw = self.conn.hget(self.keys.versions, version)
        return None if raw is None else VersionMeta(**json.loads(raw))

    def publish(
        self,
        expected: int,
        roster: Roster,
        meta: VersionMeta,
        done_event_ids: list[str],
        notifications: list[tuple[str, str]],
        maxlen: int = 100_000,
    ) -> tuple[bool, int]:
        """Publish ``roster`` as version ``expected + 1`` if the current is still ``expected``.

        Returns (published, version): the new version, or the current one on a conflict.
        """
        new = expected + 1
        if roster.version != new or meta.version != new:
            raise ValueError(f"roster/meta version must be {new}")
        args: list[Any] = [expected, roster.to_json(), json.dumps(meta.__dict__), maxlen]
        args += [len(done_event_ids), *done_event_ids]
        for kind, data in notifications:
            args += [kind, data]
        keys = [
            self.keys.current,
            self.keys.versions,
            self.keys.changes,
            self.keys.event_done,
            self.keys.roster(new),
        ]
        ok, version = _script(self.conn, _PUBLISH)(keys, args)
        return bool(ok), int(version)

    # ---- events and the pending flag ----------------------------------------------
    def intake(
        self,
        event_id: str | None,
        record: dict[str, Any] | None,
        job_key_prefix: str,
        config_rev: int | None = None,
    ) -> Intake | None:
        """Store an event (if given, idempotently) and make sure a re-plan is pending.

        None (nothing stored) when ``config_rev`` is given and no longer current.
        """
        k = self.keys
        keys = [k.events, k.event_log, k.queued, k.jobgen, k.event_done, k.config_rev]
        body = json.dumps(record, separators=(",", ":")) if record is not None else ""
        rev = "" if config_rev is None else str(config_rev)
        new, seq, gen, missing = _script(self.conn, _INTAKE)(
            keys, [event_id or "", body, job_key_prefix, rev]
        )
        if int(new) < 0:
            return None
        return Intake(bool(new), int(seq), int(gen), bool(missing))

    def claim(self, gen: int) -> bool:
        """A starting job clears the pending flag if it is still its own generation."""
        return bool(_script(self.conn, _CLAIM)([self.keys.queued], [str(gen)]))

    def pending_gen(self) -> int | None:
        raw = self.conn.get(self.keys.queued)
        return None if raw is None else int(raw)

    def event(self, event_id: str) -> dict[str, Any] | None:
        raw = self.conn.hget(self.keys.events, event_id)
        return None if raw is None else json.loads(raw)

    def event_done_in(self, event_id: str) -> int | None:
        raw = self.conn.hget(self.keys.event_done, event_id)
        return None if raw is None else int(raw)

    def n_events(self) -> int:
        return int(self.conn.llen(self.keys.event_log))

    def snapshot(self) -> Snapshot:
        k = self.keys
        pipe = self.conn.pipeline(transaction=True)
        pipe.get(k.config)
        pipe.get(k.config_rev)
        pipe.get(k.current)
        pipe.lrange(k.event_log, 0, -1)
        pipe.hgetall(k.events)
        raw_plan, rev, cur, log, events = pipe.execute()
        if raw_plan is None:
            raise KeyError(f"plan {self.plan_id!r} has not been submitted")
        version = int(cur or 0)
        ids = tuple(_text(i) or "" for i in log)
        recs = {_text(a): json.loads(b) for a, b in events.items()}
        return Snapshot(
            plan=Plan.model_validate_json(raw_plan),
            config_rev=int(rev or 0),
            version=version,
            roster=self.roster(version) if version else None,
            meta=self.meta(version) if version else None,
            event_ids=ids,
            events=tuple(recs[i] for i in ids),
        )

    # ---- status --------------------------------------------------------------------
    def set_status(self, **fields: Any) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        data = {k: json.dumps(v) for k, v in fields.items()}
        self.conn.hset(self.keys.status, mapping={**data, "updated_at": json.dumps(now)})

    def status(self) -> dict[str, Any]:
        raw = self.conn.hgetall(self.keys.status)
        return {_text(k): json.loads(v) for k, v in raw.items()}
