"""``rota bench``: benchmark tables (scenarios, nrp, surge, scale)."""

from __future__ import annotations

import click

from rota.cli.bench_nrp import nrp
from rota.cli.bench_scale import scale
from rota.cli.bench_scenarios import scenarios
from rota.cli.bench_surge import surge


@click.group()
def bench() -> None:
    """Run benchmarks and print tables (the machine is noted in each)."""


bench.add_command(nrp)
bench.add_command(scenarios)
bench.add_command(surge)
bench.add_command(scale)
