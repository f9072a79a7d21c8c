"""An independent evaluator of Curtois & Qu rosters: the benchmark's own rules and objective.

It works on the raw :class:`~scheduler.nrp.NrpInstance` (day indexes, shift ids, the
file's weights) and a roster ``{staff id: [shift id or "" per day]}``, and deliberately
uses none of rota's models, checker or solver: it is the second opinion that guards
the import and the model. Rules follow the benchmark README (shared/benchmarks/nrp):
days outside the horizon are days off; runs touching either horizon edge are exempt
from the minimum-run rules; a weekend (days 7k+5, 7k+6) is worked if either day is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scheduler.nrp import NrpInstance

NrpRoster = dict[str, list[str]]


@dataclass(frozen=True)
class Evaluation:
    objective: int
    violations: tuple[str, ...]
    breakdown: dict[str, int] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return not self.violations


def _runs(worked: list[bool]) -> list[tuple[bool, int, int]]:
    """(working?, first day, length) for each maximal run."""
    out: list[tuple[bool, int, int]] = []
    start = 0
    for d in range(1, len(worked) + 1):
        if d == len(worked) or worked[d] != worked[start]:
            out.append((worked[start], start, d - start))
            start = d
    return out


def _shape(inst: NrpInstance, roster: NrpRoster) -> list[str]:
    bad: list[str] = []
    known = {s.id for s in inst.staff}
    shifts = set(inst.shift_ids)
    for sid in sorted(set(roster) - known):
        bad.append(f"unknown staff {sid!r} in the roster")
    for sid in sorted(known - set(roster)):
        bad.append(f"staff {sid} is missing from the roster")
    for sid, row in roster.items():
        if len(row) != inst.days:
            bad.append(f"{sid}: {len(row)} days in the roster, the horizon has {inst.days}")
        for d, sh in enumerate(row):
            if sh and sh not in shifts:
                bad.append(f"{sid} day {d}: unknown shift {sh!r}")
    return bad


def hard_violations(inst: NrpInstance, roster: NrpRoster) -> list[str]:
    """Every broken hard rule, one message each (empty = feasible)."""
    bad = _shape(inst, roster)
    if bad:
        return bad
    length = {s.id: s.minutes for s in inst.shifts}
    forbid = {s.id: set(s.forbidden_next) for s in inst.shifts}
    for st in inst.staff:
        row = roster[st.id]
        for d in range(inst.days - 1):
            if row[d] and row[d + 1] and row[d + 1] in forbid[row[d]]:
                bad.append(f"{st.id} day {d}->{d + 1}: {row[d + 1]} may not follow {row[d]}")
        for sh in inst.shift_ids:
            n = row.count(sh)
            cap = st.max_shifts.get(sh)
            if cap is not None and n > cap:
                bad.append(f"{st.id}: {n} {sh} shifts, at most {cap}")
        total = sum(length[sh] for sh in row if sh)
        if total > st.max_total_minutes:
            bad.append(f"{st.id}: {total} minutes, at most {st.max_total_minutes}")
        if total < st.min_total_minutes:
            bad.append(f"{st.id}: {total} minutes, at least {st.min_total_minutes}")
        worked = [bool(sh) for sh in row]
        for on, first, n in _runs(worked):
            edge = first == 0 or first + n == inst.days
            if on and n > st.max_consecutive:
                bad.append(
                    f"{st.id}: {n} days in a row from day {first}, at most {st.max_consecutive}"
                )
            if on and not edge and n < st.min_consecutive:
                bad.append(
                    f"{st.id}: {n} days in a row from day {first}, at least {st.min_consecutive}"
                )
            if not on and not edge and n < st.min_consecutive_off:
                bad.append(
                    f"{st.id}: {n} days off in a row from day {first}, at least "
                    f"{st.min_consecutive_off}"
                )
        weekends = sum(
            1
            for sat in range(5, inst.days, 7)
            if worked[sat] or (sat + 1 < inst.days and worked[sat + 1])
        )
        if weekends > st.max_weekends:
            bad.append(f"{st.id}: {weekends} weekends worked, at most {st.max_weekends}")
        for d in sorted(inst.days_off.get(st.id, ())):
            if row[d]:
                bad.append(f"{st.id} day {d}: works {row[d]} on a day off")
    return bad


def objective(inst: NrpInstance, roster: NrpRoster) -> tuple[int, dict[str, int]]:
    """The benchmark objective and its parts (requests on/off, cover under/over)."""
    parts = {"on_requests": 0, "off_requests": 0, "under_cover": 0, "over_cover": 0}
    for q in inst.on_requests:
        if roster[q.staff][q.day] != q.shift:
            parts["on_requests"] += q.weight
    for q in inst.off_requests:
        if roster[q.staff][q.day] == q.shift:
            parts["off_requests"] += q.weight
    count: dict[tuple[int, str], int] = {}
    for row in roster.values():
        for d, sh in enumerate(row):
            if sh:
                count[(d, sh)] = count.get((d, sh), 0) + 1
    for c in inst.cover:
        x = count.get((c.day, c.shift), 0)
        parts["under_cover"] += c.weight_under * max(0, c.requirement - x)
        parts["over_cover"] += c.weight_over * max(0, x - c.requirement)
    return sum(parts.values()), parts


def evaluate(inst: NrpInstance, roster: NrpRoster) -> Evaluation:
    """Hard violations and the objective of a roster (objective only when the shape is right)."""
    bad = hard_violations(inst, roster)
    shape_ok = not _shape(inst, roster)
    if not shape_ok:
        return Evaluation(objective=-1, violations=tuple(bad))
    total, parts = objective(inst, roster)
    return Evaluation(objective=total, violations=tuple(bad), breakdown=parts)
