"""``rota generate``: reproducible volunteer files and city-scale configs from a seed."""

from __future__ import annotations

import click


@click.group()
def generate() -> None:
    """Generate volunteer CSVs and configs reproducibly from a seed."""
