"""Shortfalls of a set of assignments: uncovered person-shifts and missing skilled people.

For each occurrence ``o`` with ``n`` people assigned: ``missing = max(0, need - n)`` and,
for each required skill ``s``, ``max(0, require_s - #assigned holding s)``. Only
occurrences with something missing are reported.
"""

from __future__ import annotations

from collections.abc import Iterable

from scheduler.problem import Problem

Pair = tuple[int, int]  # (occurrence index, volunteer index)
ShortfallCount = tuple[int, int, dict[str, int]]  # (occurrence index, missing, missing_skills)


def staff_by_occurrence(problem: Problem, pairs: Iterable[Pair]) -> list[list[int]]:
    """Per occurrence, the volunteer indices assigned to it (sorted, duplicates dropped)."""
    staff: list[set[int]] = [set() for _ in problem.occurrences]
    for o, v in pairs:
        staff[o].add(v)
    return [sorted(s) for s in staff]


def missing_skills(problem: Problem, o: int, staff: Iterable[int]) -> dict[str, int]:
    """``{skill: missing count}`` of occurrence ``o`` staffed by ``staff`` (non-zero only)."""
    occ = problem.occurrences[o]
    if not occ.require:
        return {}
    members = [problem.volunteers[v].skills for v in staff]
    out: dict[str, int] = {}
    for skill, n in occ.require:
        have = sum(1 for skills in members if skill in skills)
        if have < n:
            out[skill] = n - have
    return out


def count_shortfalls(problem: Problem, pairs: Iterable[Pair]) -> list[ShortfallCount]:
    """``(occurrence index, missing, missing_skills)`` for every occurrence short of anything.

    Ordered by occurrence index (i.e. by start time, then site, then shift).
    """
    out: list[ShortfallCount] = []
    for o, staff in enumerate(staff_by_occurrence(problem, pairs)):
        occ = problem.occurrences[o]
        missing = max(0, occ.need - len(staff))
        skills = missing_skills(problem, o, staff)
        if missing > 0 or skills:
            out.append((o, missing, skills))
    return out


def totals(shortfalls: Iterable[ShortfallCount]) -> tuple[int, int]:
    """(total missing people, total missing skilled people)."""
    people = skilled = 0
    for _, missing, skills in shortfalls:
        people += missing
        skilled += sum(skills.values())
    return people, skilled
