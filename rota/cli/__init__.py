"""The ``rota`` command line. Subcommands live in sibling modules; heavy imports are deferred
into the command bodies, so ``rota --help`` stays fast and nothing connects at import time."""

from __future__ import annotations

import click

from rota.cli import bench, generate, plan, plan_city, queue
from rota.cli.common import RotaGroup


@click.group(
    cls=RotaGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="rota")
def cli() -> None:
    """rota: plan volunteer shifts and checkpoints from a demand config.

    \b
    Embedded (no Redis):  rota validate CONFIG;  rota plan CONFIG --out DIR
    Queue mode (Redis):   rota worker;  rota submit CONFIG;  rota event ...;  rota roster ...
    Exit codes: 0 done, 2 invalid input (nothing written), 3 no roster.
    """


cli.add_command(plan.validate)
cli.add_command(plan.plan)
cli.add_command(plan_city.plan_city)
cli.add_command(generate.generate)
cli.add_command(bench.bench)
for _command in queue.COMMANDS:
    cli.add_command(_command)


def main() -> None:
    cli()
