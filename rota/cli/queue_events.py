"""Queue-mode ``rota event ...``: run-time events sent to a plan (surge, dropout, ...)."""

from __future__ import annotations

from typing import Any

import click

from rota.cli.queue_common import connect_or_exit


def _accept(plan: str, data: dict[str, Any], event_id: str | None) -> None:
    from workers.events import NotOnDisk, accept_event

    conn, settings = connect_or_exit()
    try:
        res = accept_event(conn, settings, plan, data, event_id)
    except NotOnDisk as exc:
        click.echo(f"error: the event is stored and queued, but {exc}", err=True)
        raise SystemExit(1) from None
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
    The same event sent twice has one effect: the same --id, or without --id the same
    content (its default id is a hash of it). An --id already used for a different event
    is an error (exit 2).
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
