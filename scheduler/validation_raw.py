"""Cross-references checked on the raw YAML when the config itself does not validate.

``check_plan`` needs a validated :class:`~scheduler.models.Config`; when some field is
invalid there is none, yet a coordinator should still learn in one pass that, say, a
demand change names an unknown site. These checks read the parsed YAML defensively
(anything of an unexpected type is skipped: its own error is already reported) and name
problems exactly as ``check_plan`` does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from scheduler.errors import Loc, Problem, format_path
from scheduler.models import Volunteer


def invalid_people_ids(people: Iterable[Any]) -> list[str]:
    """The ids named by entries of ``volunteers.people`` that do not validate (their
    errors are reported on their own): they still count for duplicates and references."""
    return [i for p in people if (i := raw_id(p)) is not None and not _valid(p)]


def raw_id(entry: Any) -> str | None:
    """The id a raw volunteer entry (a mapping) names, as the models read it, or None."""
    if not isinstance(entry, dict) or (text := _text(entry.get("id"))) is None:
        return None
    return text.strip()


def _valid(person: dict[str, Any]) -> bool:
    try:
        Volunteer.model_validate(person)
    except ValidationError:
        return False
    return True


def _text(value: Any) -> str | None:
    """An id as the models read it (numbers count as their text), else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def raw_cross_references(
    data: dict[str, Any],
    volunteers: Sequence[Volunteer],
    file: str,
    line_of: Callable[[Loc], int | None],
) -> list[Problem]:
    out: list[Problem] = []

    def err(loc: Loc, msg: str) -> None:
        out.append(Problem(file, format_path(loc), msg, line_of(loc)))

    raw_patterns = data.get("shift_patterns")
    patterns: dict[str, set[str]] | None = None
    if isinstance(raw_patterns, dict):
        patterns = {
            str(name): {
                str(s["name"]) for s in shifts if isinstance(s, dict) and _text(s.get("name"))
            }
            for name, shifts in raw_patterns.items()
            if isinstance(shifts, list)
        }
    shift_names = set().union(*patterns.values()) if patterns else set()

    raw_sites = data.get("sites")
    sites = [s for s in raw_sites if isinstance(s, dict)] if isinstance(raw_sites, list) else []
    site_ids = [i for i in (_text(s.get("id")) for s in sites) if i is not None]
    for sid, n in Counter(site_ids).items():
        if n > 1:
            err(("sites",), f"duplicate site id {sid!r} ({n} times)")
    for i, site in enumerate(raw_sites if isinstance(raw_sites, list) else []):
        pattern = _text(site.get("pattern")) if isinstance(site, dict) else None
        if pattern is None or patterns is None:
            continue
        if pattern not in patterns:
            known = ", ".join(sorted(patterns)) or "none"
            err(("sites", i, "pattern"), f"unknown shift pattern {pattern!r} (known: {known})")
        elif isinstance(site.get("need_by_shift"), dict):
            for name in site["need_by_shift"]:
                if str(name) not in patterns[pattern]:
                    err(
                        ("sites", i, "need_by_shift", str(name)),
                        f"pattern {pattern!r} has no shift {str(name)!r}",
                    )

    changes = data.get("demand_changes")
    known_sites = set(site_ids)
    for i, ch in enumerate(changes if isinstance(changes, list) else []):
        if not isinstance(ch, dict):
            continue
        site = _text(ch.get("site"))
        shift = _text(ch.get("shift"))
        if site is not None and isinstance(raw_sites, list) and site not in known_sites:
            err(("demand_changes", i, "site"), f"unknown site {site!r}")
        elif shift is not None and patterns is not None and shift not in shift_names:
            err(("demand_changes", i, "shift"), f"no pattern has a shift {shift!r}")

    # an entry of volunteers.people that did not validate still names its volunteer
    raw_vols = data.get("volunteers")
    people = raw_vols.get("people") if isinstance(raw_vols, dict) else None
    invalid = invalid_people_ids(people if isinstance(people, list) else [])
    for vid, n in (Counter(v.id for v in volunteers) + Counter(invalid)).items():
        if n > 1:
            err(("volunteers",), f"duplicate volunteer id {vid!r} ({n} times)")
    known_vols = {v.id for v in volunteers} | set(invalid)
    requests = data.get("requests")
    for i, req in enumerate(requests if isinstance(requests, list) else []):
        if not isinstance(req, dict):
            continue
        vol, shift, site = (_text(req.get(k)) for k in ("volunteer", "shift", "site"))
        if vol is not None and vol.strip() not in known_vols:
            err(("requests", i, "volunteer"), f"unknown volunteer {vol!r}")
        if shift is not None and patterns is not None and shift not in shift_names:
            err(("requests", i, "shift"), f"no pattern has a shift {shift!r}")
        if site is not None and isinstance(raw_sites, list) and site not in known_sites:
            err(("requests", i, "site"), f"unknown site {site!r}")
    return out
