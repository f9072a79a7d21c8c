"""Redis key names: one place, so every module (and a reader of Redis) agrees.

All keys of one plan share ``{prefix}:plan:{plan_id}:``; tests use a unique prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PlanKeys:
    prefix: str
    plan: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:plan:{self.plan}"

    @property
    def config(self) -> str:
        """String: the submitted plan (config + resolved volunteers) as JSON."""
        return f"{self.base}:config"

    @property
    def config_rev(self) -> str:
        """Integer: bumped on every submit."""
        return f"{self.base}:config_rev"

    @property
    def current(self) -> str:
        """Integer: the current (published) version; absent = none yet."""
        return f"{self.base}:current"

    def roster(self, version: int) -> str:
        """String: roster JSON of one version (written once, never changed)."""
        return f"{self.base}:roster:{version}"

    @property
    def versions(self) -> str:
        """Hash version -> JSON meta (events_through, config_rev, published_at, job)."""
        return f"{self.base}:versions"

    @property
    def events(self) -> str:
        """Hash event id -> event JSON (the durable intake)."""
        return f"{self.base}:events"

    @property
    def event_log(self) -> str:
        """List of event ids in acceptance order; position + 1 is the event's sequence."""
        return f"{self.base}:event_log"

    @property
    def event_done(self) -> str:
        """Hash event id -> first published version that includes it."""
        return f"{self.base}:event_done"

    @property
    def queued(self) -> str:
        """String: generation of the pending (not yet started) re-plan job, if any."""
        return f"{self.base}:queued"

    @property
    def jobgen(self) -> str:
        """Integer: re-plan job generations (job ids are derived from it)."""
        return f"{self.base}:jobgen"

    @property
    def changes(self) -> str:
        """Stream of change notifications (one entry per volunteer/site changed + a summary)."""
        return f"{self.base}:changes"

    @property
    def status(self) -> str:
        """Hash: last job, last failure, last result (what `rota status` shows)."""
        return f"{self.base}:status"


def plans_key(prefix: str) -> str:
    """Set of submitted plan ids."""
    return f"{prefix}:plans"


def _job_safe(text: str) -> str:
    """RQ job ids allow only ``[A-Za-z0-9_-]``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def replan_job_id(prefix: str, plan: str, gen: int) -> str:
    """Deterministic: one id per generation, enqueued with ``unique=True``."""
    return f"{_job_safe(prefix)}-replan-{plan}-{gen}"


def nightly_job_id(prefix: str, plan: str, date: str) -> str:
    """One nightly run per plan and date, however many workers or schedulers there are."""
    return f"{_job_safe(prefix)}-nightly-{plan}-{date}"
