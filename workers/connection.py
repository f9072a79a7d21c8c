"""The one place a Redis client is built: explicitly, from settings, never at import."""

from __future__ import annotations

import redis

from workers.settings import Settings


class RedisUnavailable(RuntimeError):
    """Redis could not be reached; the message names the URL (without its password)."""


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user + ':' if user else ''}***@{host}"


def connect(settings: Settings, *, check: bool = True) -> redis.Redis:
    """A client for ``settings.redis_url`` (redis://, rediss://, unix://; passwords work).

    Bytes in and out (RQ needs them); with ``check`` the server is pinged first so a
    wrong URL fails here with a clear message rather than deep inside a command.
    """
    client = redis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=5, health_check_interval=30
    )
    if check:
        try:
            client.ping()
        except redis.RedisError as exc:
            raise RedisUnavailable(
                f"cannot reach Redis at {safe_url(settings.redis_url)}: {exc}"
            ) from None
    return client
