"""What changed between two published rosters (pure: rosters in, a diff out).

Per volunteer: shifts added and removed. Per site: people assigned and person-shifts
missing before and after, with the shifts whose staffing changed. This is what change
notifications carry and what ``rota roster diff`` prints.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel, ConfigDict

from scheduler.roster import Assignment, Roster

Key = tuple[str, str, str]  # (site, shift, start iso)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ShiftRef(_Out):
    site: str
    shift: str
    start: str
    end: str


class VolunteerChange(_Out):
    volunteer: str
    added: tuple[ShiftRef, ...] = ()
    removed: tuple[ShiftRef, ...] = ()


class ShiftCoverage(_Out):
    shift: str
    start: str
    before: int
    after: int
    missing_before: int
    missing_after: int


class SiteChange(_Out):
    site: str
    assigned_before: int
    assigned_after: int
    missing_before: int
    missing_after: int
    shifts: tuple[ShiftCoverage, ...] = ()


class RosterDiff(_Out):
    plan: str
    from_version: int | None
    to_version: int
    added: int
    removed: int
    volunteers: tuple[VolunteerChange, ...] = ()
    sites: tuple[SiteChange, ...] = ()

    @property
    def changed(self) -> int:
        return self.added + self.removed


def _ref(a: Assignment) -> ShiftRef:
    return ShiftRef(site=a.site, shift=a.shift, start=a.start.isoformat(), end=a.end.isoformat())


def _missing(roster: Roster | None) -> dict[Key, int]:
    if roster is None:
        return {}
    return {(s.site, s.shift, s.start.isoformat()): s.missing for s in roster.shortfalls}


def diff_rosters(old: Roster | None, new: Roster) -> RosterDiff:
    """The difference from ``old`` (None: nothing published yet) to ``new``."""
    before = {(a.volunteer, a.key): a for a in (old.assignments if old else ())}
    after = {(a.volunteer, a.key): a for a in new.assignments}
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    per_vol: dict[str, tuple[list[ShiftRef], list[ShiftRef]]] = defaultdict(lambda: ([], []))
    for k in sorted(added, key=lambda k: (k[0], k[1][2], k[1][0])):
        per_vol[k[0]][0].append(_ref(after[k]))
    for k in sorted(removed, key=lambda k: (k[0], k[1][2], k[1][0])):
        per_vol[k[0]][1].append(_ref(before[k]))
    volunteers = tuple(
        VolunteerChange(volunteer=v, added=tuple(a), removed=tuple(r))
        for v, (a, r) in sorted(per_vol.items())
    )
    n_before = Counter(k for _, k in before)
    n_after = Counter(k for _, k in after)
    m_before, m_after = _missing(old), _missing(new)
    keys = set(n_before) | set(n_after) | set(m_before) | set(m_after)
    per_site: dict[str, list[ShiftCoverage]] = defaultdict(list)
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for key in sorted(keys, key=lambda k: (k[0], k[2], k[1])):
        site, shift, start = key
        row = (n_before[key], n_after[key], m_before.get(key, 0), m_after.get(key, 0))
        t = totals[site]
        for i, x in enumerate(row):
            t[i] += x
        if row[0] != row[1] or row[2] != row[3]:
            per_site[site].append(
                ShiftCoverage(
                    shift=shift,
                    start=start,
                    before=row[0],
                    after=row[1],
                    missing_before=row[2],
                    missing_after=row[3],
                )
            )
    sites = tuple(
        SiteChange(
            site=s,
            assigned_before=totals[s][0],
            assigned_after=totals[s][1],
            missing_before=totals[s][2],
            missing_after=totals[s][3],
            shifts=tuple(per_site[s]),
        )
        for s in sorted(per_site)
    )
    return RosterDiff(
        plan=new.plan,
        from_version=old.version if old else None,
        to_version=new.version,
        added=len(added),
        removed=len(removed),
        volunteers=volunteers,
        sites=sites,
    )
