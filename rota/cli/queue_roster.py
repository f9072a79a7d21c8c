"""Queue-mode ``rota roster ...``: show, diff, export and follow published rosters."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from rota.cli.common import EXIT_INVALID
from rota.cli.queue_common import plan_store


def _roster_or_exit(store: Any, version: int | None) -> Any:
    roster = store.roster(version)
    if roster is None:
        which = "no published version yet" if version is None else f"version {version} not found"
        click.echo(f"{store.plan_id}: {which}", err=True)
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
    r = _roster_or_exit(plan_store(plan), version)
    if as_json:
        click.echo(r.to_json())
        return
    click.echo(
        f"{r.plan} version {r.version}: {r.status.value}, objective {r.objective}, "
        f"{len(r.assignments)} assignments, {r.total_missing} person-shifts uncovered"
    )
    rp = r.stats.get("replan")
    if isinstance(rp, dict) and rp.get("previous_version"):  # version 1 has nothing before it
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

    store = plan_store(plan)
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
    """Write a published roster into OUT: the files of `rota plan --out` (roster.json,
    duty sheets, calendars, report), from the plan and events that version was made of.
    If the config was resubmitted since that version, roster.json only."""
    from scheduler.exports import write_exports

    store = plan_store(plan)
    r = _roster_or_exit(store, version)
    problem = _problem_of(store, r.version)
    if problem is None:
        out.mkdir(parents=True, exist_ok=True)
        r.write(out / "roster.json")
        click.echo(
            f"wrote {out / 'roster.json'} (version {r.version}; the config was resubmitted "
            "since, so no duty sheets, calendars or report)"
        )
        return
    written = write_exports(problem, r, out)
    click.echo(f"wrote {len(written)} files to {out} (version {r.version})")


def _problem_of(store: Any, version: int) -> Any:
    """The problem ``version`` was planned on (the stored config and the events it
    included, acting from its re-plan's clock); None if the config changed since."""
    import datetime as dt

    from workers.candidates import compile_problem
    from workers.replan import apply_events

    snap = store.snapshot()
    meta = store.meta(version)
    if meta is None or meta.config_rev != snap.config_rev:
        return None
    now = dt.datetime.fromisoformat(meta.planned_at) if meta.planned_at else None
    return compile_problem(apply_events(snap.plan, snap.events[: meta.events_through], now))


@roster.command()
@click.argument("plan")
@click.option("--group", required=True, help="consumer group, e.g. sms")
@click.option("--consumer", default="cli", show_default=True)
@click.option("--once", is_flag=True, help="stop when nothing new arrives within --block")
@click.option("--block", "block_ms", default=5000, show_default=True, help="milliseconds")
def follow(plan: str, group: str, consumer: str, once: bool, block_ms: int) -> None:
    """Print change notifications as JSON lines, acknowledging each (consumer group)."""
    from workers.stream import follow as follow_stream

    store = plan_store(plan)
    while True:
        for eid, entry, ack in follow_stream(
            store.conn, store.keys, group, consumer, block_ms=block_ms
        ):
            click.echo(json.dumps({"id": eid, **entry}, ensure_ascii=False))
            ack()
        if once:
            return
