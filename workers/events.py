"""Run-time events: validated models, idempotency ids and durable intake.

An event is accepted only after it is stored in Redis (hash + ordered log, one Lua
script) and a re-plan is pending for its plan; an event repeated with the same id
(``--id``, or by default a hash of its content) is stored once and has one effect.
Events fold into the plan as demand changes (surge, need, site-open, site-close) or
volunteer unavailable windows (dropout, unavailable): see :func:`workers.replan.apply_events`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import redis
from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic import model_validator as _after

from scheduler.errors import ConfigError, Problem, problems_from_validation
from scheduler.models import Frozen, Ident, NonNegInt, Plan, _naive_local
from workers.enqueue import request_replan
from workers.settings import Settings
from workers.store import PlanStore

EVENT_KINDS = ("surge", "dropout", "unavailable", "site-open", "site-close", "need")


class _Windowed(Frozen):
    """Common part: a half-open local interval [from, to) in the plan's timezone."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    start: dt.datetime = Field(alias="from")
    end: dt.datetime = Field(alias="to")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _local(cls, v: Any) -> Any:
        return _naive_local(v)

    @_after(mode="after")
    def _ordered(self) -> _Windowed:
        if self.end <= self.start:
            raise ValueError("`to` must be after `from`")
        return self


class Surge(_Windowed):
    """Crowd surge: ``add`` more people on every shift of ``site`` starting in [from, to)."""

    kind: Literal["surge"] = "surge"
    site: Ident
    add: int
    shift: Ident | None = None

    @field_validator("add")
    @classmethod
    def _nonzero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("a surge of 0 changes nothing: give a non-zero `add`")
        return v


class Dropout(_Windowed):
    """A volunteer drops out: unavailable over [from, to), their shifts there are refilled."""

    kind: Literal["dropout"] = "dropout"
    volunteer: Ident


class Unavailable(_Windowed):
    """A volunteer announces unavailability over [from, to)."""

    kind: Literal["unavailable"] = "unavailable"
    volunteer: Ident


class SiteOpen(_Windowed):
    """A site opens (or reopens) over [from, to), optionally with a need per shift."""

    kind: Literal["site-open"] = "site-open"
    site: Ident
    need: NonNegInt | None = None
    shift: Ident | None = None


class SiteClose(_Windowed):
    """A site closes over [from, to): its need there becomes 0."""

    kind: Literal["site-close"] = "site-close"
    site: Ident
    shift: Ident | None = None


class Need(_Windowed):
    """Set the need of ``site`` (one shift name, or all) over [from, to)."""

    kind: Literal["need"] = "need"
    site: Ident
    set: NonNegInt
    shift: Ident | None = None


Event = Annotated[
    Surge | Dropout | Unavailable | SiteOpen | SiteClose | Need, Field(discriminator="kind")
]
_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def event_payload(event: Event) -> dict[str, Any]:
    """The event's content as JSON-ready data (local times as ``YYYY-MM-DDTHH:MM:SS``)."""
    return event.model_dump(mode="json", by_alias=True, exclude_none=True)


def content_id(event: Event) -> str:
    """Default idempotency id: a hash of the event's content (same content = same event)."""
    canon = json.dumps(event_payload(event), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:20]


def parse_event(data: dict[str, Any], source: str = "event") -> Event:
    """Validate raw event data; ConfigError naming each bad field otherwise."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as err:
        raise ConfigError(problems_from_validation(err, source)) from None


_ids_cache: dict[int, tuple[Plan, frozenset[str]]] = {}


def _volunteer_ids(plan: Plan) -> frozenset[str]:
    """The plan's volunteer ids (cached per plan object: intake validates thousands/s)."""
    hit = _ids_cache.get(id(plan))
    if hit is None or hit[0] is not plan:
        if len(_ids_cache) > 16:
            _ids_cache.clear()
        hit = _ids_cache[id(plan)] = (plan, frozenset(v.id for v in plan.volunteers))
    return hit[1]


def check_event(event: Event, plan: Plan, source: str = "event") -> list[Problem]:
    """Cross-check an event against its plan: known site/volunteer/shift, inside the horizon."""
    cfg = plan.config
    out: list[Problem] = []
    sites = {s.id: s for s in cfg.sites}
    site_id = getattr(event, "site", None)
    if site_id is not None and site_id not in sites:
        out.append(Problem(source, "site", f"unknown site {site_id!r} in plan {cfg.plan!r}"))
    vol_id = getattr(event, "volunteer", None)
    if vol_id is not None and vol_id not in _volunteer_ids(plan):
        out.append(
            Problem(source, "volunteer", f"unknown volunteer {vol_id!r} in plan {cfg.plan!r}")
        )
    shift = getattr(event, "shift", None)
    if shift is not None and site_id in sites:
        names = {s.name for s in cfg.shift_patterns[sites[site_id].pattern]}
        if shift not in names:
            out.append(
                Problem(
                    source,
                    "shift",
                    f"site {site_id!r} has no shift {shift!r} (it has {', '.join(sorted(names))})",
                )
            )
    h0 = dt.datetime.combine(cfg.horizon.start, dt.time())
    h1 = dt.datetime.combine(cfg.horizon.end, dt.time())
    if event.end <= h0 or event.start >= h1:
        out.append(
            Problem(
                source,
                "from",
                f"[{event.start:%Y-%m-%dT%H:%M}, {event.end:%Y-%m-%dT%H:%M}) lies outside the "
                f"plan horizon [{h0:%Y-%m-%d}, {h1:%Y-%m-%d})",
            )
        )
    return out


def validate_event(data: dict[str, Any], plan: Plan, source: str = "event") -> Event:
    event = parse_event(data, source)
    problems = check_event(event, plan, source)
    if problems:
        raise ConfigError(problems)
    return event


def event_record(event: Event, event_id: str, accepted_at: dt.datetime) -> dict[str, Any]:
    """What is stored: id, content and acceptance time (UTC)."""
    return {"id": event_id, **event_payload(event), "accepted_at": accepted_at.isoformat()}


def record_event(record: dict[str, Any]) -> Event:
    """The event model back from a stored record."""
    data = {k: v for k, v in record.items() if k not in ("id", "accepted_at", "seq")}
    return _ADAPTER.validate_python(data)


# ---- durable, idempotent intake ------------------------------------------------------

_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_plan_cache: dict[tuple[str, str, str], tuple[int, Plan]] = {}


@dataclass(frozen=True)
class Accepted:
    event_id: str
    seq: int
    duplicate: bool
    done_in: int | None  # version that already includes it (duplicates only)
    job_id: str | None  # the pending re-plan that will include it


def _plan_for(store: PlanStore, source: str, fresh: bool) -> tuple[int, Plan]:
    """(config revision, plan) to validate against: cached per revision; ``fresh`` reads
    the revision first (the intake script rejects a stale one, so a cache hit is safe)."""
    kw = store.conn.connection_pool.connection_kwargs
    key = (f"{kw.get('host')}:{kw.get('port')}/{kw.get('db')}", store.prefix, store.plan_id)
    hit = _plan_cache.get(key)
    if hit is not None and not fresh:
        return hit
    rev = store.conn.get(store.keys.config_rev)
    if rev is None:
        problem = f"plan {store.plan_id!r} has not been submitted (run `rota submit CONFIG`)"
        raise ConfigError([Problem(source, "plan", problem)])
    if hit is not None and hit[0] == int(rev):
        return hit
    _plan_cache[key] = (int(rev), store.load_plan())
    return _plan_cache[key]


class NotOnDisk(RuntimeError):
    """Redis took the event but could not confirm it is on disk (``ROTA_WAIT_AOF``)."""


def confirm_on_disk(conn: redis.Redis) -> None:
    """Wait until Redis has the last write in its AOF on disk (WAITAOF, Redis >= 7.2).

    Older servers have no WAITAOF; there, ``appendonly yes`` + ``appendfsync always`` already
    fsync every write before replying, which is checked (once per connection) instead.
    """
    try:
        local, _ = conn.execute_command("WAITAOF", 1, 0, 5000)
    except redis.ResponseError as exc:
        if "unknown command" not in str(exc).lower():
            raise NotOnDisk(f"Redis refused WAITAOF: {exc}") from None
        if not getattr(conn, "_rota_fsync_always", False):
            cfg = {**conn.config_get("appendonly"), **conn.config_get("appendfsync")}
            if cfg.get("appendonly") != "yes" or cfg.get("appendfsync") != "always":
                raise NotOnDisk(
                    "ROTA_WAIT_AOF is set but this Redis has no WAITAOF and does not fsync "
                    f"every write (appendonly={cfg.get('appendonly')}, "
                    f"appendfsync={cfg.get('appendfsync')})"
                ) from None
            conn._rota_fsync_always = True  # type: ignore[attr-defined]
        return
    if int(local) < 1:
        raise NotOnDisk("Redis did not confirm the event on disk (WAITAOF)")


def accept_event(
    conn: redis.Redis,
    settings: Settings,
    plan_id: str,
    data: dict[str, Any],
    event_id: str | None = None,
    source: str = "event",
) -> Accepted:
    """Validate, store durably and make sure a re-plan is pending; then acknowledge.

    Raises ConfigError (nothing stored, nothing enqueued) for a bad event, or for an id
    already used for different content. The same id twice (also concurrently) is stored
    once; a re-delivery of an event that is not done yet re-checks that its re-plan job
    exists.
    """
    store = PlanStore(conn, settings.key_prefix, plan_id)
    for attempt in range(3):
        rev, plan = _plan_for(store, source, fresh=attempt > 0)
        try:
            event = validate_event(data, plan, source)
        except ConfigError:
            if attempt == 0:
                continue  # maybe valid against a newer config than the cached one
            raise
        eid = event_id or content_id(event)
        if not _ID_PATTERN.match(eid):
            problem = f"event id {eid!r}: use 1-128 of A-Z a-z 0-9 _ . : -"
            raise ConfigError([Problem(source, "id", problem)])
        record = event_record(event, eid, dt.datetime.now(dt.UTC))
        res, job_id = request_replan(conn, settings, store, eid, record, config_rev=rev)
        if res is not None:
            break
    else:
        raise RuntimeError(f"plan {plan_id!r} keeps being re-submitted: event not stored")
    if not res.is_new:
        stored = store.event(eid)
        if stored is not None and record_event(stored) != event:
            problem = (
                f"event id {eid!r} was already used for a different event "
                f"({stored.get('kind')}, accepted {stored.get('accepted_at')}); nothing stored"
            )
            raise ConfigError([Problem(source, "id", problem)])
    if settings.wait_aof:
        confirm_on_disk(conn)
    done = None if res.is_new else store.event_done_in(eid)
    return Accepted(eid, res.seq, not res.is_new, done, job_id)
