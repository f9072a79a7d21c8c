"""Queue-mode commands (Redis + RQ): worker, submit, event, roster, status, nightly.

Settings come from ``ROTA_*`` environment variables (``ROTA_REDIS_URL``, ``ROTA_QUEUE``,
``ROTA_KEY_PREFIX``, ...; see ``workers/settings.py``). Heavy imports happen inside the
commands; nothing connects at import time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rota.cli.common import EXIT_INVALID

if TYPE_CHECKING:
    import redis

    from workers.settings import Settings

EXIT_UNAVAILABLE = 1


def _connect() -> tuple[redis.Redis, Settings]:
    from workers.connection import RedisUnavailable, connect
    from workers.settings import get_settings

    settings = get_settings()
    try:
        return connect(settings), settings
    except RedisUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNAVAILABLE)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.command()
@click.option("--queue", "queues", multiple=True, help="queue(s) to serve (default ROTA_QUEUE)")
@click.option("--burst", is_flag=True, help="exit when the queues are empty")
@click.option(
    "--with-scheduler/--no-scheduler",
    default=True,
    show_default=True,
    help="also move scheduled jobs (nightly runs) onto their queue when due",
)
def worker(queues: tuple[str, ...], burst: bool, with_scheduler: bool) -> None:
    """Run an RQ worker for re-plan and nightly jobs (JSON serializer, no pickle)."""
    from rq import Worker
    from rq.serializers import JSONSerializer

    from workers.enqueue import make_queue

    conn, settings = _connect()
    names = list(queues) or list(dict.fromkeys([settings.queue, settings.effective_nightly_queue]))
    w = Worker([make_queue(conn, n) for n in names], connection=conn, serializer=JSONSerializer)
    w.work(burst=burst, with_scheduler=with_scheduler)


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--no-plan", is_flag=True, help="store the config without queueing a re-plan")
def submit(config: Path, no_plan: bool) -> None:
    """Validate CONFIG and store it as its plan's current config; queue a re-plan.

    Invalid input: one line per problem on stderr and exit 2, nothing stored or queued.
    """
    from scheduler.loading import load_plan
    from workers.enqueue import submit_plan

    plan = load_plan(config)
    conn, settings = _connect()
    rev, job_id = submit_plan(conn, settings, plan, replan=not no_plan)
    msg = f"submitted {plan.config.plan} (config revision {rev})"
    if job_id:
        msg += f"; re-plan queued as job {job_id}"
    click.echo(msg)


# ---- events ------------------------------------------------------------------------


def _accept(plan: str, data: dict[str, Any], event_id: str | None) -> None:
    from workers.events import accept_event

    conn, settings = _connect()
    res = accept_event(conn, settings, plan, data, event_id)
    if res.duplicate and res.done_in:
        state = f"duplicate, already in version {res.done_in}"
    elif res.duplicate:
        state = "duplicate, pending"
    else:
        state = "accepted"
    click.echo(f"event {res.event_id} {state} (seq {res.seq}); re-plan job {res.job_id or '-'}")


def _window(f: Any) -> Any:
    f = click.option("--id", "event_id", help="idempotency id (default: hash of the content)")(f)
    f = click.option("--to", "end", required=True, help="local YYYY-MM-DDTHH:MM (exclusive)")(f)
    f = click.option("--from", "start", required=True, help="local YYYY-MM-DDTHH:MM")(f)
    return click.argument("plan")(f)


def _data(kind: str, start: str, end: str, **fields: Any) -> dict[str, Any]:
    return {
        "kind": kind,
        "from": start,
        "to": end,
        **{k: v for k, v in fields.items() if v is not None},
    }


@click.group()
def event() -> None:
    """Send a run-time event to a plan (stored durably, then folded into the next re-plan).

    Times are local to the plan's timezone. A bad event exits 2 and nothing is queued.
    The same event sent twice (same --id, or same content) has one effect.
    """


@event.command()
@_window
@click.option("--site", required=True)
@click.option("--add", type=int, required=True, help="more people per shift (negative: fewer)")
@click.option("--shift", help="only this shift name")
def surge(
    plan: str, start: str, end: str, event_id: str | None, site: str, add: int, shift: str | None
) -> None:
    """A crowd surge: ADD more people on SITE's shifts starting in [from, to)."""
    _accept(plan, _data("surge", start, end, site=site, add=add, shift=shift), event_id)


@event.command()
@_window
@click.option("--volunteer", required=True)
def dropout(plan: str, start: str, end: str, event_id: str | None, volunteer: str) -> None:
    """A volunteer drops out over [from, to): their shifts there are refilled."""
    _accept(plan, _data("dropout", start, end, volunteer=volunteer), event_id)


@event.command()
@_window
@click.option("--volunteer", required=True)
def unavailable(plan: str, start: str, end: str, event_id: str | None, volunteer: str) -> None:
    """A volunteer is unavailable over [from, to)."""
    _accept(plan, _data("unavailable", start, end, volunteer=volunteer), event_id)


@event.command("site-open")
@_window
@click.option("--site", required=True)
@click.option("--need", type=int, help="people per shift while open (default: the site's need)")
@click.option("--shift", help="only this shift name")
def site_open(
    plan: str,
    start: str,
    end: str,
    event_id: str | None,
    site: str,
    need: int | None,
    shift: str | None,
) -> None:
    """A site opens (or reopens) over [from, to)."""
    _accept(plan, _data("site-open", start, end, site=site, need=need, shift=shift), event_id)


@event.command("site-close")
@_window
@click.option("--site", required=True)
@click.option("--shift", help="only this shift name")
def site_close(
    plan: str, start: str, end: str, event_id: str | None, site: str, shift: str | None
) -> None:
    """A site closes over [from, to): its need there becomes 0."""
    _accept(plan, _data("site-close", start, end, site=site, shift=shift), event_id)


@event.command()
@_window
@click.option("--site", required=True)
@click.option("--set", "set_", type=int, required=True, help="people per shift")
@click.option("--shift", help="only this shift name")
def need(
    plan: str, start: str, end: str, event_id: str | None, site: str, set_: int, shift: str | None
) -> None:
    """Set SITE's need (per shift) over [from, to)."""
    _accept(plan, _data("need", start, end, site=site, set=set_, shift=shift), event_id)


# ---- rosters ---------------------------------------------------------------------


def _store(plan: str) -> Any:
    from scheduler.errors import ConfigError, Problem
    from workers.store import PlanStore

    conn, settings = _connect()
    store = PlanStore(conn, settings.key_prefix, plan)
    if not store.exists():
        raise ConfigError([Problem("plan", plan, "no such plan (run `rota submit CONFIG`)")])
    return store


def _roster_or_exit(store: Any, version: int | None) -> Any:
    roster = store.roster(version)
    if roster is None:
        which = f"version {version}" if version else "no published version yet"
        click.echo(f"{store.plan_id}: {which} not found", err=True)
        sys.exit(EXIT_INVALID)
    return roster


@click.group()
def roster() -> None:
    """Published rosters: show, diff, export, follow changes."""


@roster.command()
@click.argument("plan")
@click.option("--version", type=int, help="default: the current version")
@click.option("--json", "as_json", is_flag=True)
def show(plan: str, version: int | None, as_json: bool) -> None:
    """Show a published roster (the current one by default)."""
    r = _roster_or_exit(_store(plan), version)
    if as_json:
        click.echo(r.to_json())
        return
    click.echo(
        f"{r.plan} version {r.version}: {r.status.value}, objective {r.objective}, "
        f"{len(r.assignments)} assignments, {r.total_missing} person-shifts uncovered"
    )
    rp = r.stats.get("replan")
    if rp:
        click.echo(f"  changed {rp['changed']} vs version {rp['previous_version']}: {rp['why']}")
    for a in r.assignments:
        click.echo(f"  {a.start:%Y-%m-%d %H:%M} {a.site:<16} {a.shift:<10} {a.volunteer}")
    for s in r.shortfalls:
        click.echo(f"  SHORT {s.start:%Y-%m-%d %H:%M} {s.site} {s.shift}: {s.missing} ({s.reason})")


@roster.command()
@click.argument("plan")
@click.argument("old", type=int)
@click.argument("new", type=int, required=False)
@click.option("--json", "as_json", is_flag=True)
def diff(plan: str, old: int, new: int | None, as_json: bool) -> None:
    """What changed from version OLD to NEW (default: the current version)."""
    from scheduler.diff import diff_rosters

    store = _store(plan)
    d = diff_rosters(_roster_or_exit(store, old), _roster_or_exit(store, new))
    if as_json:
        click.echo(d.model_dump_json(indent=2))
        return
    click.echo(f"{plan}: version {d.from_version} -> {d.to_version}: +{d.added} -{d.removed}")
    for vc in d.volunteers:
        for ref in vc.added:
            click.echo(f"  + {vc.volunteer:<12} {ref.site} {ref.shift} {ref.start}")
        for ref in vc.removed:
            click.echo(f"  - {vc.volunteer:<12} {ref.site} {ref.shift} {ref.start}")
    for sc in d.sites:
        click.echo(
            f"  site {sc.site}: assigned {sc.assigned_before} -> {sc.assigned_after}, "
            f"missing {sc.missing_before} -> {sc.missing_after}"
        )


@roster.command()
@click.argument("plan")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True)
@click.option("--version", type=int, help="default: the current version")
def export(plan: str, out: Path, version: int | None) -> None:
    """Write a published roster to OUT/roster.json (the contract's format)."""
    r = _roster_or_exit(_store(plan), version)
    out.mkdir(parents=True, exist_ok=True)
    r.write(out / "roster.json")
    click.echo(f"wrote {out / 'roster.json'} (version {r.version})")


@roster.command()
@click.argument("plan")
@click.option("--group", required=True, help="consumer group, e.g. sms")
@click.option("--consumer", default="cli", show_default=True)
@click.option("--once", is_flag=True, help="stop when nothing new arrives within --block")
@click.option("--block", "block_ms", default=5000, show_default=True, help="milliseconds")
def follow(plan: str, group: str, consumer: str, once: bool, block_ms: int) -> None:
    """Print change notifications as JSON lines, acknowledging each (consumer group)."""
    from workers.stream import follow as follow_stream

    store = _store(plan)
    while True:
        for eid, entry, ack in follow_stream(
            store.conn, store.keys, group, consumer, block_ms=block_ms
        ):
            click.echo(json.dumps({"id": eid, **entry}, ensure_ascii=False))
            ack()
        if once:
            return


@click.command()
@click.argument("plan")
@click.option("--json", "as_json", is_flag=True)
def status(plan: str, as_json: bool) -> None:
    """Current version, pending events and re-plan, last result or failure, job progress."""
    from workers.status import plan_status

    store = _store(plan)
    from workers.settings import get_settings

    info = plan_status(store, get_settings())
    if as_json:
        _echo_json(info)
        return
    for k, v in info.items():
        click.echo(f"{k}: {json.dumps(v, default=str) if isinstance(v, dict | list) else v}")


@click.command()
@click.argument("plan")
@click.option("--date", "date_", help="local date of the run (default: the next one due)")
@click.option("--now", "now_", is_flag=True, help="enqueue now (for cron) instead of at the time")
def nightly(plan: str, date_: str | None, now_: bool) -> None:
    """Schedule PLAN's nightly re-plan (once per date, however many workers or cron lines).

    Needs a worker started with the scheduler (the default of `rota worker`). With cron:
    `0 2 * * * ROTA_REDIS_URL=... rota nightly PLAN --now`.
    """
    from workers.nightly import schedule

    store = _store(plan)
    from workers.settings import get_settings

    job_id, new, when = schedule(store, get_settings(), date_, immediately=now_)
    state = "scheduled" if new else "already scheduled"
    click.echo(f"nightly {plan} {state}: job {job_id} at {when.isoformat()}")


COMMANDS: list[click.Command] = [worker, submit, event, roster, status, nightly]
