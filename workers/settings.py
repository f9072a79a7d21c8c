"""Queue-mode settings, read from ``ROTA_*`` environment variables (pydantic-settings).

Nothing connects here; :mod:`workers.connection` builds the Redis client from these.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All knobs of queue mode. ``ROTA_REDIS_URL``, ``ROTA_QUEUE``, ``ROTA_NOW``, ..."""

    model_config = SettingsConfigDict(env_prefix="ROTA_", extra="ignore", frozen=True)

    redis_url: str = "redis://127.0.0.1:6379/0"
    """``redis://`` or ``rediss://`` (TLS); passwords in the URL work (redis.from_url)."""
    key_prefix: str = Field(default="rota", pattern=r"^[A-Za-z0-9_.:-]+$")
    """Every rota key starts with this (tests use a unique one each)."""
    queue: str = "rota"
    """RQ queue for re-plan jobs."""
    nightly_queue: str | None = None
    """RQ queue for nightly runs (default: ``queue``)."""
    time_limit: float = Field(default=20.0, gt=0)
    """Solver time limit of a re-plan, seconds."""
    solver_workers: int = Field(default=2, ge=1)
    job_timeout: int | None = Field(default=None, gt=0)
    """RQ job timeout, seconds; default ``2 * time_limit + 60`` (always above the solver's)."""
    retries: int = Field(default=3, ge=0)
    retry_intervals: tuple[int, ...] = (1, 5, 15)
    freeze_hours: float = Field(default=2.0, ge=0)
    """Assignments of shifts starting within this many hours of ``now`` are kept."""
    max_changes: int | None = Field(default=None, ge=0)
    """Optional hard cap on assignments changed by one re-plan."""
    now: dt.datetime | None = None
    """Fixed clock for tests and replays (ISO; naive = UTC). Unset = the real clock."""
    replan_mode: Literal["repair", "solve"] = "repair"
    """``repair``: keep the published roster and fill its gaps (milliseconds, fewest changes),
    then run the solver only if gaps remain; ``solve``: always run the solver."""
    planner: str = "solver.pipeline:plan_roster"
    """``module:function`` with the signature of ``solver.pipeline.plan_roster``."""
    wait_aof: bool = False
    """After storing an event, wait until Redis has fsynced it to its AOF (WAITAOF)."""
    stream_maxlen: int = Field(default=100_000, ge=100)
    nightly_at: dt.time = dt.time(2, 0)
    """Local time (plan timezone) of the nightly run."""

    @property
    def effective_job_timeout(self) -> int:
        if self.job_timeout is not None:
            return max(self.job_timeout, int(self.time_limit) + 10)
        return int(2 * self.time_limit + 60)

    @property
    def effective_nightly_queue(self) -> str:
        return self.nightly_queue or self.queue

    def clock(self) -> dt.datetime:
        """The current instant (aware, UTC): ``now`` when set, else the real clock."""
        if self.now is None:
            return dt.datetime.now(dt.UTC)
        if self.now.tzinfo is None:
            return self.now.replace(tzinfo=dt.UTC)
        return self.now.astimezone(dt.UTC)


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI options)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
