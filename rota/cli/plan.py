"""``rota validate`` and ``rota plan``: the embedded path (no Redis)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
def validate(config: Path) -> None:
    """Check CONFIG and print a summary; exit 2 with one line per problem if it is invalid."""
    from scheduler.errors import Problem
    from scheduler.loading import load_plan
    from scheduler.problem import compile_plan

    warnings: list[Problem] = []
    plan_ = load_plan(config, with_warnings=warnings)
    for w in warnings:
        click.echo(str(w), err=True)
    problem = compile_plan(plan_)
    cfg = plan_.config
    demand = sum(o.need for o in problem.occurrences)
    click.echo(
        f"{cfg.plan}: {len(cfg.sites)} sites, {len(plan_.volunteers)} volunteers, "
        f"{cfg.horizon.days} days from {cfg.horizon.start}, {len(problem.occurrences)} shift "
        f"occurrences needing {demand} person-shifts, {problem.n_pairs} eligible pairs"
    )


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="directory for roster.json, CSVs, calendars, report",
)
@click.option("--time-limit", type=float, default=30.0, show_default=True, help="seconds")
@click.option("--workers", type=int, default=2, show_default=True, help="CP-SAT search workers")
@click.option("--seed", type=int, default=1, show_default=True)
def plan(config: Path, out_dir: Path, time_limit: float, workers: int, seed: int) -> None:
    """Solve CONFIG in-process and write the roster and its exports to --out."""
    raise click.ClickException("rota plan: being built (issue 2)")
