"""``rota plan-city``: city-scale plans (tens of thousands of volunteers), decomposed.

Same contract as ``rota plan``: ``DIR/roster.json`` (a Roster), exit 0 with a roster,
2 on invalid input (nothing written). Locally the parts run in a process pool; with
``--distributed`` they are RQ jobs served by ``rota worker --queue QUEUE`` processes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scheduler.gc_pause import no_cyclic_gc

if TYPE_CHECKING:
    from scheduler.loading import Parsed


@click.command("plan-city")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="directory for roster.json",
)
@click.option("--distributed", is_flag=True, help="solve the parts as RQ jobs (needs workers)")
@click.option("--processes", type=int, default=None, help="local processes [default: cores]")
@click.option("--time-limit", type=float, default=600.0, show_default=True, help="budget, seconds")
@click.option("--part-time-limit", type=float, default=None, help="CP-SAT seconds per part")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--solver",
    type=click.Choice(["gap-only", "auto", "cp-sat", "greedy"]),
    default="gap-only",
    show_default=True,
    help="parts: CP-SAT where the greedy falls short (gap-only), also polish while half the "
    "budget lasts (auto), always (cp-sat), never (greedy)",
)
@click.option(
    "--target-pairs",
    type=float,
    default=150_000,
    show_default=True,
    help="part size: occurrences x expected volunteers",
)
@click.option("--queue", default=None, help="RQ queue with --distributed [default: ROTA_QUEUE]")
def plan_city(
    config: Path,
    out_dir: Path,
    distributed: bool,
    processes: int | None,
    time_limit: float,
    part_time_limit: float | None,
    seed: int,
    solver: str,
    target_pairs: float,
    queue: str | None,
) -> None:
    """Plan a city-scale CONFIG by parts (zones), merge, repair and check; write --out.

    --time-limit bounds the whole run: the parts' CP-SAT, the cross-border repair and its
    re-solves and the bound's LPs get what loading, splitting and the parts' greedy
    leave, less the estimated time of the fixed work after them (compiling the whole
    plan, costing, checking, writing); they are cut short or skipped when it is spent.
    """
    if processes is not None and processes < 1:
        raise click.BadParameter("must be at least 1", param_hint="--processes")
    run_city(
        config,
        out_dir,
        started=time.time(),
        distributed=distributed,
        processes=processes,
        time_limit=time_limit,
        part_time_limit=part_time_limit,
        seed=seed,
        solver=solver,
        target_pairs=target_pairs,
        queue=queue,
    )


@no_cyclic_gc()
def run_city(
    config: Path,
    out_dir: Path,
    *,
    started: float,
    time_limit: float,
    seed: int = 1,
    distributed: bool = False,
    processes: int | None = None,
    part_time_limit: float | None = None,
    solver: str = "gap-only",
    target_pairs: float = 150_000,
    queue: str | None = None,
    parsed: Parsed | None = None,
) -> None:
    """``rota plan-city`` (also ``rota plan`` at city scale): the run began at ``started``
    (wall clock) and should end ``time_limit`` seconds after it. ``parsed``: the config's
    YAML as ``read_yaml`` returned it, if read already."""
    from scheduler.loading import load_plan
    from solver.decompose import CityOptions

    conn = settings = None
    if distributed:  # fail on an unreachable Redis before loading 150,000 volunteers
        from workers.connection import RedisUnavailable, connect
        from workers.settings import get_settings

        settings = get_settings(queue=queue)
        try:
            conn = connect(settings)
        except RedisUnavailable as exc:
            raise click.ClickException(str(exc)) from None
    t0 = time.monotonic()
    plan_ = load_plan(config, parsed=parsed)
    loaded = time.monotonic() - t0
    options = CityOptions(
        time_limit=time_limit,
        part_time_limit=part_time_limit,
        processes=processes,
        seed=seed,
        target_pairs=target_pairs,
        solver=solver,
        deadline=started + time_limit,
    )
    if conn is not None and settings is not None:
        from workers.fanout import CityRunFailed, plan_city_distributed

        try:
            result = plan_city_distributed(
                plan_, options, connection=conn, queue=settings.queue, prefix=settings.key_prefix
            )
        except CityRunFailed as exc:
            raise click.ClickException(str(exc)) from None
    else:
        from solver.decompose import plan_city as run

        result = run(plan_, options)
    out_dir.mkdir(parents=True, exist_ok=True)
    result.roster.write(out_dir / "roster.json")
    s = result.stats
    click.echo(
        f"{plan_.config.plan}: {len(result.roster.assignments)} assignments, "
        f"{len(result.roster.shortfalls)} shortfalls; weighted coverage {s['coverage']:g} of "
        f"bound {s['coverage_bound']:g} (gap {100 * s['gap']:.3f}%); {s['parts']} parts; "
        f"{s['seconds']:.1f} s (+ {loaded:.1f} s loading) -> {out_dir / 'roster.json'}"
    )
