"""``rota bench surge``: event-driven re-planning on Redis + RQ, measured.

Builds a plan of ``--volunteers`` people from CONFIG (its volunteer recipe resized, needs
scaled by ``--need-scale``, ``--days`` of horizon), publishes version 1 in-process, starts
one ``rota worker`` subprocess and then, one at a time, sends ``--surges`` random surges
and ``--dropouts`` volunteer dropouts, measuring event accepted -> version including it
published (p50/p95) and the assignments each re-plan changed against the fewest needed
(assignments that could not stay + person-shifts newly covered). Finally it measures
event intake: ``--events`` events accepted back to back (stored durably, idempotent,
coalesced), then checks every one is stored. Keys use a fresh prefix, deleted afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml


def _scaled_config(config: Path, out: Path, volunteers: int, days: int, scale: float) -> Path:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["horizon"]["days"] = days
    for site in data["sites"]:
        site["need"] = round(site.get("need", 0) * scale)
        if site.get("need_by_shift"):
            site["need_by_shift"] = {k: round(v * scale) for k, v in site["need_by_shift"].items()}
    vols = data["volunteers"]
    vols["generate"]["count"] = volunteers
    vols["csv"] = str(out / "volunteers.csv")
    path = out / config.name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def _wait_published(store: Any, event_id: str, job_id: str | None, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = store.event_done_in(event_id)
        if done is not None:
            return done
        st = store.status()
        if job_id and st.get("last_job") == job_id and st.get("last_result") == "failed":
            return None
        time.sleep(0.01)
    return None


@click.command("surge")
@click.argument(
    "config", type=click.Path(path_type=Path), default=Path("configs/shanghai-station.yaml")
)
@click.option("--volunteers", default=2000, show_default=True)
@click.option("--days", default=7, show_default=True)
@click.option("--need-scale", default=5.0, show_default=True, help="multiply site needs")
@click.option("--surges", default=20, show_default=True)
@click.option("--dropouts", default=5, show_default=True, help="volunteer dropouts, after")
@click.option("--events", "n_events", default=5000, show_default=True, help="intake test size")
@click.option("--time-limit", default=3.0, show_default=True, help="re-plan solver limit, s")
@click.option("--initial-time-limit", default=60.0, show_default=True)
@click.option("--seed", default=1, show_default=True)
def surge(
    config: Path,
    volunteers: int,
    days: int,
    need_scale: float,
    surges: int,
    dropouts: int,
    n_events: int,
    time_limit: float,
    initial_time_limit: float,
    seed: int,
) -> None:
    """Surge re-planning latency, changes vs minimum, and event intake rate (needs Redis)."""
    from rota.cli.bench_nrp import machine
    from rota.cli.queue_common import connect_or_exit
    from scheduler.loading import load_plan
    from workers.candidates import compile_problem
    from workers.enqueue import submit_plan
    from workers.events import accept_event
    from workers.jobs import run_replan
    from workers.settings import get_settings
    from workers.store import PlanStore

    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="rota-bench-surge-"))
    plan = load_plan(_scaled_config(config, tmp, volunteers, days, need_scale))
    cfg = plan.config
    tag = uuid.uuid4().hex[:8]
    start_local = dt.datetime.combine(cfg.horizon.start, dt.time())
    env = {
        "ROTA_KEY_PREFIX": f"bench-{tag}",
        "ROTA_QUEUE": f"bench-{tag}",
        "ROTA_TIME_LIMIT": str(time_limit),
        "ROTA_RETRIES": "0",
    }
    os.environ.update(env, ROTA_NOW=_aware(start_local, cfg.timezone))
    conn, settings = connect_or_exit()
    store = PlanStore(conn, settings.key_prefix, cfg.plan)
    worker = None
    try:
        problem = compile_problem(plan)
        click.echo(
            f"plan {cfg.plan}: {len(plan.volunteers)} volunteers, {len(cfg.sites)} sites, "
            f"{days} days, {len(problem.occurrences)} shifts needing "
            f"{sum(o.need for o in problem.occurrences)} person-shifts, "
            f"{problem.n_pairs} eligible pairs",
            err=True,
        )
        submit_plan(conn, settings, plan, replan=False)
        t0 = time.monotonic()
        first = run_replan(
            conn, get_settings(time_limit=initial_time_limit), cfg.plan, job="bench-initial"
        )
        v1 = store.roster()
        if not first["published"] or v1 is None:
            raise click.ClickException(f"initial plan failed: {first}")
        click.echo(
            f"version 1: {len(v1.assignments)} assignments, {v1.total_missing} missing, "
            f"{time.monotonic() - t0:.1f} s",
            err=True,
        )
        worker = subprocess.Popen(
            [sys.executable, "-c", "from rota.cli import main; main()", "worker", "--no-scheduler"],
            env={**os.environ},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        results = {"surge": _Result(), "dropout": _Result()}
        kinds = ["surge"] * surges + ["dropout"] * dropouts
        for i, kind in enumerate(kinds):
            data = _event(kind, rng, cfg, days, store)
            res = results[kind]
            t0 = time.monotonic()
            acc = accept_event(conn, settings, cfg.plan, data, event_id=f"{kind}-{tag}-{i}")
            version = _wait_published(store, acc.event_id, acc.job_id, 20 * time_limit + 60)
            if version is None:
                res.failed += 1
                click.echo(f"{kind} {i}: no new version ({store.status().get('last_error')})")
                continue
            res.latencies.append(time.monotonic() - t0)
            roster = store.roster(version)
            stats = roster.stats["replan"] if roster else {}
            res.changed.append(stats.get("changed", 0))
            res.minimum.append(stats.get("min_changes", 0))
            click.echo(
                f"{kind} {i}: {data}: version {version} in {res.latencies[-1]:.2f} s, changed "
                f"{stats.get('changed')} (min {stats.get('min_changes')}, "
                f"{stats.get('method')})",
                err=True,
            )
        worker.terminate()
        worker.wait(30)
        worker = None
        # intake: a queue nobody serves, so only acceptance is measured
        intake = get_settings(queue=f"bench-{tag}-intake")
        before = store.n_events()
        ids = [f"intake-{tag}-{i}" for i in range(n_events)]
        vols = [v.id for v in plan.volunteers]
        payloads = []
        for _ in range(n_events):
            day = cfg.horizon.start + dt.timedelta(days=rng.randrange(days))
            payloads.append(
                {
                    "kind": "unavailable",
                    "volunteer": rng.choice(vols),
                    "from": f"{day}T08:00",
                    "to": f"{day}T12:00",
                }
            )
        t0 = time.monotonic()
        for eid, data in zip(ids, payloads, strict=True):
            accept_event(conn, intake, cfg.plan, data, event_id=eid)
        seconds = time.monotonic() - t0
        stored = store.n_events() - before
        present = sum(1 for ok in _exists(store, ids) if ok)
        _report(
            machine(), cfg.plan, len(plan.volunteers), days, results, n_events, seconds,
            stored, present, time_limit,
        )  # fmt: skip
    finally:
        if worker is not None:
            worker.kill()
            worker.wait(10)
        _cleanup(conn, settings.key_prefix, f"bench-{tag}")


def _aware(local: dt.datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return local.replace(tzinfo=ZoneInfo(tz)).isoformat()


def _exists(store: Any, ids: list[str]) -> list[bool]:
    pipe = store.conn.pipeline(transaction=False)
    for eid in ids:
        pipe.hexists(store.keys.events, eid)
    return [bool(x) for x in pipe.execute()]


def _cleanup(conn: Any, prefix: str, queue: str) -> None:
    for pattern in (f"{prefix}:*", f"rq:*{queue}*", f"rq:job:{prefix}-*", f"rq:results:{prefix}-*"):
        keys = list(conn.scan_iter(match=pattern, count=1000))
        if keys:
            conn.delete(*keys)


@dataclass
class _Result:
    latencies: list[float] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    minimum: list[int] = field(default_factory=list)
    failed: int = 0


def _event(kind: str, rng: random.Random, cfg: Any, days: int, store: Any) -> dict[str, Any]:
    """A random surge (one site, one day, +1..3) or a dropout of someone working later."""
    day = cfg.horizon.start + dt.timedelta(days=rng.randrange(1, days))
    if kind == "surge":
        return {
            "kind": "surge",
            "site": rng.choice(cfg.sites).id,
            "from": f"{day}T00:00",
            "to": f"{day + dt.timedelta(days=1)}T00:00",
            "add": rng.randint(1, 3),
        }
    roster = store.roster()
    later = [a for a in roster.assignments if a.start.date() >= day]
    pick = rng.choice(later)  # someone on a shift from that day on: it must be refilled
    first = pick.start.date()
    return {
        "kind": "dropout",
        "volunteer": pick.volunteer,
        "from": f"{first}T00:00",
        "to": f"{first + dt.timedelta(days=2)}T00:00",
    }


def _report(
    machine: str, plan: str, volunteers: int, days: int, results: dict[str, _Result],
    n_events: int, seconds: float, stored: int, present: int, time_limit: float,
) -> None:  # fmt: skip
    click.echo(f"## rota bench surge ({machine})\n")
    click.echo(f"plan {plan}: {volunteers} volunteers, {days} days; re-plan limit {time_limit} s\n")
    click.echo("| measure | result | target |\n|---|---|---|")
    for kind, r in results.items():
        n = len(r.latencies) + r.failed
        if not n:
            continue
        lat = r.latencies
        click.echo(f"| {kind}s published | {len(lat)} / {n} | all |")
        if lat:
            click.echo(
                f"| {kind}: event accepted -> version published | p50 "
                f"{statistics.median(lat):.2f} s, p95 {_pct(lat, 0.95):.2f} s, max "
                f"{max(lat):.2f} s | p95 <= 5 s |"
            )
            ratios = [c / m for c, m in zip(r.changed, r.minimum, strict=True) if m]
            worst = f", worst event {max(ratios):.2f}x" if ratios else ""
            click.echo(
                f"| {kind}: assignments changed vs fewest needed | {sum(r.changed)} / "
                f"{sum(r.minimum)} = {sum(r.changed) / max(1, sum(r.minimum)):.2f}x{worst} "
                "| <= 1.5x |"
            )
    click.echo(
        f"| event intake | {n_events / seconds:,.0f} events/s ({n_events} in {seconds:.2f} s), "
        f"{stored} stored, {present} present, lost {n_events - present} | >= 1,000/s, none lost |"
    )
