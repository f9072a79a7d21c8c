"""``rota generate``: reproducible volunteer files and city-scale configs from a seed."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def generate() -> None:
    """Generate volunteer CSVs and configs reproducibly from a seed."""


@generate.command("volunteers")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV to write (default: the config's volunteers.csv, relative to the config)",
)
@click.option("--count", type=int, default=None, help="override the recipe's size")
def volunteers(config: Path, out: Path | None, count: int | None) -> None:
    """Write the volunteer CSV of CONFIG's `volunteers.generate` recipe (same seed, same bytes)."""
    from scheduler.errors import ConfigError, Problem
    from scheduler.generate import write_generated
    from scheduler.loading import parse_config, read_yaml

    data, line_of = read_yaml(config)
    cfg = parse_config(data, str(config), line_of)
    src = cfg.volunteers
    if src.generate is None:
        raise ConfigError(
            [
                Problem(
                    str(config),
                    "volunteers.generate",
                    "no `generate` recipe: nothing to generate",
                    line_of(("volunteers",)),
                )
            ]
        )
    if out is None:
        if not src.csv:
            raise ConfigError(
                [Problem(str(config), "volunteers.csv", "give --out or volunteers.csv")]
            )
        out = Path(src.csv) if Path(src.csv).is_absolute() else config.parent / src.csv
    path = write_generated(cfg, out, count=count)
    rows = sum(1 for _ in path.open(encoding="utf-8")) - 1
    click.echo(f"{path}: {rows} volunteers")


@generate.command("city")
@click.option("--kind", type=click.Choice(["expo", "huaian"]), required=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), required=True, help="directory")
@click.option(
    "--volunteers",
    type=click.IntRange(min=1),
    default=None,
    help="scale sites and people to this many volunteers (default: full size)",
)
def city(kind: str, seed: int, out_dir: Path, volunteers: int | None) -> None:
    """Write a city-scale config (DIR/<plan>.yaml) and its volunteers (DIR/generated/)."""
    import time

    from scheduler.generate_city import write_city

    t0 = time.perf_counter()
    cfg_path, csv_path = write_city(kind, seed, out_dir, volunteers=volunteers)
    rows = sum(1 for _ in csv_path.open(encoding="utf-8")) - 1
    click.echo(f"{cfg_path}\n{csv_path}: {rows} volunteers ({time.perf_counter() - t0:.1f} s)")
