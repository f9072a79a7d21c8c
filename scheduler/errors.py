"""Input problems: one per thing wrong, naming the file, the field path and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

Loc = tuple[str | int, ...]


def format_path(loc: Loc) -> str:
    """``('sites', 0, 'pattern')`` -> ``sites[0].pattern``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    path: str
    message: str
    line: int | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {self.path}: {prefix}{self.message}"


class ConfigError(Exception):
    """Raised with every problem found; the CLI prints one line each and exits 2."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _clean(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


_LIST = "expected a list (YAML `- item` lines, or [a, b])"
_MAPPING = "expected a mapping of fields (`key: value` lines, or {key: value})"
_SHAPES = {
    "tuple_type": _LIST,
    "list_type": _LIST,
    "set_type": _LIST,
    "frozen_set_type": _LIST,
    "dict_type": _MAPPING,
    "model_type": _MAPPING,
    "model_attributes_type": _MAPPING,
}
"""Pydantic's container-type errors in config terms (its own text names Python types)."""


def _kind(value: object) -> str:
    """What YAML gave, in config terms."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "nothing"
    return f"{value!r}"


def problems_from_validation(
    err: ValidationError,
    file: str,
    prefix: Loc = (),
    line_of: object = None,
    rename: dict[str, str] | None = None,
) -> list[Problem]:
    """Turn a pydantic error into problems; ``line_of(loc)`` may give a line number."""
    out: list[Problem] = []
    rename = rename or {}
    for e in err.errors(include_url=False):
        loc: Loc = tuple(rename.get(p, p) if isinstance(p, str) else p for p in e["loc"])
        # pydantic appends the union/type tag to some locations; drop non-field parts
        loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
        full = prefix + loc
        msg = _clean(e["msg"])
        if e["type"] == "extra_forbidden":
            msg = "unknown field (misspelt?)"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif e["type"] in _SHAPES:
            msg = f"{_SHAPES[e['type']]}, got {_kind(e.get('input'))}"
        elif e["type"] == "string_pattern_mismatch":
            from scheduler.models import PATTERN_HELP

            pattern = (e.get("ctx") or {}).get("pattern")
            if pattern in PATTERN_HELP:
                msg = f"{PATTERN_HELP[pattern]} (got {e['input']!r})"
        line = line_of(full) if callable(line_of) else None
        out.append(Problem(file, format_path(full), msg, line))
    return out


def errors_only(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]
