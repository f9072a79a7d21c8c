"""Shared CLI plumbing: exit codes and the one place input errors become messages."""

from __future__ import annotations

from typing import Any

import click

from scheduler.errors import ConfigError

EXIT_OK = 0
EXIT_INVALID = 2
EXIT_NO_ROSTER = 3


def report_invalid(err: ConfigError) -> None:
    """One line per problem on stderr: file[:line]: field path: what is wrong."""
    for problem in err.problems:
        click.echo(str(problem), err=True)


class RotaGroup(click.Group):
    """A click group that turns a ConfigError from any subcommand into exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:
            report_invalid(err)
            ctx.exit(EXIT_INVALID)
