"""Queue-mode commands (Redis + RQ): worker, submit, event, roster, status, nightly.

Settings come from ``ROTA_*`` environment variables (``ROTA_REDIS_URL``, ``ROTA_QUEUE``,
``ROTA_KEY_PREFIX``, ...; see ``workers/settings.py``). Heavy imports happen inside the
commands; nothing connects at import time.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from rota.cli.queue_common import EXIT_UNAVAILABLE, connect_or_exit, echo_json, plan_store
from rota.cli.queue_events import (
    dropout,
    event,
    need,
    site_close,
    site_open,
    surge,
    unavailable,
)
from rota.cli.queue_roster import diff, export, follow, roster, show

__all__ = [
    "COMMANDS",
    "EXIT_UNAVAILABLE",
    "diff",
    "dropout",
    "event",
    "export",
    "follow",
    "need",
    "nightly",
    "roster",
    "show",
    "site_close",
    "site_open",
    "status",
    "submit",
    "surge",
    "unavailable",
    "worker",
]


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

    conn, settings = connect_or_exit()
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
    conn, settings = connect_or_exit()
    rev, job_id = submit_plan(conn, settings, plan, replan=not no_plan)
    msg = f"submitted {plan.config.plan} (config revision {rev})"
    if job_id:
        msg += f"; re-plan queued as job {job_id}"
    click.echo(msg)


@click.command()
@click.argument("plan")
@click.option("--json", "as_json", is_flag=True)
def status(plan: str, as_json: bool) -> None:
    """Current version, pending events and re-plan, last result or failure, job progress."""
    from workers.status import plan_status

    store = plan_store(plan)
    from workers.settings import get_settings

    info = plan_status(store, get_settings())
    if as_json:
        echo_json(info)
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

    store = plan_store(plan)
    from workers.settings import get_settings

    job_id, new, when = schedule(store, get_settings(), date_, immediately=now_)
    state = "scheduled" if new else "already scheduled"
    click.echo(f"nightly {plan} {state}: job {job_id} at {when.isoformat()}")


COMMANDS: list[click.Command] = [worker, submit, event, roster, status, nightly]
