"""Shared by the queue-mode commands: the Redis connection and a plan's store.

Heavy imports happen inside the functions; nothing connects at import time.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import redis

    from workers.settings import Settings

EXIT_UNAVAILABLE = 1


def connect_or_exit() -> tuple[redis.Redis, Settings]:
    from workers.connection import RedisUnavailable, connect
    from workers.settings import get_settings

    settings = get_settings()
    try:
        return connect(settings), settings
    except RedisUnavailable as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_UNAVAILABLE)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def plan_store(plan: str) -> Any:
    from scheduler.errors import ConfigError, Problem
    from workers.store import PlanStore

    conn, settings = connect_or_exit()
    store = PlanStore(conn, settings.key_prefix, plan)
    if not store.exists():
        raise ConfigError([Problem("plan", plan, "no such plan (run `rota submit CONFIG`)")])
    return store
