"""Queue-mode commands (Redis + RQ): worker, submit, event, roster, status, nightly."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
