"""The Curtois & Qu importer (scheduler.nrp) and the independent evaluator (scheduler.nrp_eval)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from scheduler.errors import ConfigError
from scheduler.nrp import NrpInstance, parse_instance, parse_text, to_plan
from scheduler.nrp_eval import evaluate, hard_violations, objective
from scheduler.problem import compile_plan
from tests.conftest import nrp_data

INSTANCES = nrp_data() / "instances"
INSTANCE1 = INSTANCES / "Instance1.txt"
needs_data = pytest.mark.skipif(not INSTANCE1.exists(), reason="benchmark files not present")

# A roster for Instance1 made by hand (X = the only shift, D). Its cost, counted by hand:
# cover per day 5,6,7,7,6,3,2,4,5,6,6,7,3,1 against 5,7,6,4,5,5,5,6,7,4,2,5,6,4:
#   under 1+2+3+2+2+3+3 = 16 people x 100 = 1600; over 1+3+1+2+4+2 = 13 x 1 = 13;
# on requests missed: B day 4 (3), D day 9 (2), H day 13 (1) = 6;
# off requests broken: C day 12 (1), F day 8 (3), H days 2, 3 (3 + 3) = 10.  Total 1629.
HAND = {
    "A": ".XXXXX..XXXX..",
    "B": "XXXX...XXXXX..",
    "C": "XXXXX....XXXX.",
    "D": "XX..XXXXX.....",
    "E": "..XXX..XX..XXX",
    "F": "XXXX...XXXXX..",
    "G": "..XXXXX..XXX..",
    "H": "XXXXX....XXXX.",
}

SMALL = """\
# two shifts; N may not be followed by D
SECTION_HORIZON
14

SECTION_SHIFTS
# ID, minutes, forbidden next
D,480,
N,480,D

SECTION_STAFF
A,D=10|N=3,4800,2400,4,2,2,1

SECTION_DAYS_OFF
A,13

SECTION_SHIFT_ON_REQUESTS
A,0,D,2

SECTION_SHIFT_OFF_REQUESTS
A,9,N,5

SECTION_COVER
""" + "".join(f"{d},{s},1,100,1\n" for d in range(14) for s in "DN")

#      days: 0    1    2    3   4   5   6   7    8    9    10  11  12  13
BASE = ["D", "D", "D", "", "", "", "", "D", "D", "N", "", "", "", ""]


def small() -> NrpInstance:
    return parse_text(SMALL, "small.txt")


def with_staff(inst: NrpInstance, **changes: object) -> NrpInstance:
    return dataclasses.replace(inst, staff=(dataclasses.replace(inst.staff[0], **changes),))


def roster(row: list[str]) -> dict[str, list[str]]:
    return {"A": list(row)}


@needs_data
def test_instance1_parses_crlf_and_lf_alike():
    raw = INSTANCE1.read_bytes()
    assert b"\r\n" in raw
    crlf = parse_instance(INSTANCE1)
    lf = parse_text(raw.decode().replace("\r\n", "\n"), str(INSTANCE1))
    assert crlf == lf
    assert (crlf.days, len(crlf.staff), crlf.shift_ids) == (14, 8, ("D",))
    assert len(crlf.cover) == 14 and len(crlf.on_requests) == 21 and len(crlf.off_requests) == 5
    a = crlf.staff[0]
    assert (a.id, a.max_shifts, a.max_total_minutes, a.min_total_minutes) == (
        "A",
        {"D": 14},
        4320,
        3360,
    )
    assert (a.max_consecutive, a.min_consecutive, a.min_consecutive_off, a.max_weekends) == (
        5,
        2,
        2,
        1,
    )
    assert crlf.days_off["B"] == frozenset({5})


@needs_data
def test_instance1_maps_onto_rota_model():
    inst = parse_instance(INSTANCE1)
    plan = to_plan(inst, str(INSTANCE1))
    cfg = plan.config
    assert cfg.horizon.start.weekday() == 0 and cfg.horizon.days == 14
    assert cfg.rules.max_shifts_per_day == 1
    assert (cfg.weights.uncovered, cfg.weights.over_cover) == (100, 1)
    assert (cfg.weights.fairness, cfg.weights.travel_km, cfg.weights.missing_skill) == (0, 0, 0)
    a = next(v for v in plan.volunteers if v.id == "A")
    assert a.max_shifts == {"D": 14} and a.max_hours_total == 72 and a.min_hours_total == 56
    assert (a.max_consecutive_days, a.min_consecutive_days, a.min_consecutive_days_off) == (5, 2, 2)
    assert a.max_weekends == 1 and a.days_off == frozenset({dt.date(2024, 1, 1)})
    assert len(cfg.requests) == 26
    assert sum(r.weight for r in cfg.requests if r.want == "off") == 1 + 1 + 3 + 3 + 3
    problem = compile_plan(plan)
    needs = {(o.day, o.shift): o.need for o in problem.occurrences}
    assert needs == {(c.day, c.shift): c.requirement for c in inst.cover}
    # A has day 0 off: never eligible then
    a_i = problem.volunteer_index["A"]
    assert a_i not in problem.eligible[0] and a_i in problem.eligible[1]


def test_successions_and_caps_map_onto_rules():
    plan = to_plan(small())
    assert [(s.first, s.then) for s in plan.config.rules.forbidden_successions] == [("N", "D")]
    assert plan.volunteers[0].max_shifts == {"D": 10, "N": 3}
    assert [r.want for r in plan.config.requests] == ["on", "off"]


@pytest.mark.parametrize(
    ("bad", "good", "words"),
    [
        ("A,D=10|N=3,4800,2400,4,2,2,1", "A,D=10|N=3,4800,2400,4,2,2", "expected 8"),
        ("A,D=10|N=3,4800,2400,4,2,2,1", "A,D=10|X=3,4800,2400,4,2,2,1", "unknown shift 'X'"),
        ("A,D=10|N=3,4800,2400,4,2,2,1", "A,D=ten|N=3,4800,2400,4,2,2,1", "whole number"),
        ("A,13", "A,14", "outside the horizon"),
        ("A,0,D,2", "Z,0,D,2", "unknown staff 'Z'"),
        ("13,N,1,100,1", "13,N,1,50,1", "rota maps this benchmark"),
        ("SECTION_COVER", "SECTION_COVERS", "unknown section"),
        ("13,N,1,100,1\n", "", "no cover row"),
    ],
)
def test_malformed_files_name_the_line(bad: str, good: str, words: str):
    text = SMALL.replace(bad, good, 1)
    assert text != SMALL
    lines = SMALL.splitlines()
    line = lines.index(bad) + 1 if bad in lines else None
    with pytest.raises(ConfigError) as err:
        to_plan(parse_text(text, "bad.txt"), "bad.txt")
    problems = err.value.problems
    assert any(words in p.message for p in problems), problems
    assert all(p.file == "bad.txt" for p in problems)
    if line is not None:
        assert line in [p.line for p in problems]
        assert f"bad.txt:{line}:" in str(err.value)


@needs_data
def test_hand_made_roster_on_instance1_costs_what_was_counted_by_hand():
    inst = parse_instance(INSTANCE1)
    rows = {k: ["D" if c == "X" else "" for c in v] for k, v in HAND.items()}
    ev = evaluate(inst, rows)
    assert ev.violations == ()
    assert ev.breakdown == {
        "on_requests": 6,
        "off_requests": 10,
        "under_cover": 1600,
        "over_cover": 13,
    }
    assert ev.objective == 1629


def test_base_roster_is_feasible_and_priced():
    ev = evaluate(small(), roster(BASE))
    assert ev.feasible
    # on request day 0 met; off request: N worked on day 9 (5); cover: 14 days x 2 shifts
    # need 1 each; D worked 5 times and N once: 28 - 6 = 22 short -> 2200
    assert ev.breakdown == {
        "on_requests": 0,
        "off_requests": 5,
        "under_cover": 2200,
        "over_cover": 0,
    }
    assert ev.objective == 2205


@pytest.mark.parametrize(
    ("row", "staff", "days_off", "key", "words"),
    [
        (["D", "D", "D", "", "", "", "", "N", "D", "D"] + [""] * 4, {}, None,
         "may not follow", "day 7->8: D may not follow N"),
        (["D", "D", "N", "", "", "", "", "N", "N", "N"] + [""] * 4, {}, None,
         "N shifts", "4 N shifts, at most 3"),
        (BASE, {"max_total_minutes": 2500}, None, "minutes", "2880 minutes, at most 2500"),
        (BASE, {"min_total_minutes": 3000}, None, "minutes", "2880 minutes, at least 3000"),
        (BASE, {"max_consecutive": 2}, None, "in a row", "3 days in a row from day 0, at most 2"),
        (BASE, {"min_consecutive": 4}, None, "in a row", "3 days in a row from day 7, at least 4"),
        (BASE, {"min_consecutive_off": 5}, None, "days off in a row",
         "4 days off in a row from day 3, at least 5"),
        (["D", "D", "", "", "D", "D", "N"] + [""] * 7, {"max_weekends": 0}, None,
         "weekends", "1 weekends worked, at most 0"),
        (BASE, {}, {"A": frozenset({1})}, "day off", "day 1: works D on a day off"),
    ],
)  # fmt: skip
def test_each_hard_rule_alone_is_caught(row, staff, days_off, key, words):
    inst = with_staff(small(), **staff)
    if days_off is not None:
        inst = dataclasses.replace(inst, days_off=days_off)
    bad = hard_violations(inst, roster(row))
    assert any(words in b for b in bad), bad
    assert all(key in b for b in bad), bad  # that rule alone
    if row is BASE:  # the roster itself is fine under the file's own rules
        assert hard_violations(small(), roster(row)) == []


def test_runs_touching_the_horizon_edges_are_exempt_from_minimums():
    inst = with_staff(small(), min_consecutive=3, min_consecutive_off=3)
    row = ["D", "", "", "", "D", "D", "D", "", "", "", "D", "D", "D", "D"]
    inst = dataclasses.replace(inst, days_off={})
    # first run (1 day) touches day 0, last off run none; middle runs are long enough
    assert [b for b in hard_violations(inst, roster(row)) if "in a row" in b] == []
    row2 = ["D", "", "", "", "D", "D", "", "", "", "", "D", "D", "D", "D"]
    assert any("2 days in a row from day 4" in b for b in hard_violations(inst, roster(row2)))


def test_shape_errors_are_reported_not_raised():
    inst = small()
    assert any("missing" in b for b in hard_violations(inst, {}))
    assert any("13 days" in b for b in hard_violations(inst, roster(BASE[:-1])))
    assert any("unknown shift 'Q'" in b for b in hard_violations(inst, roster(["Q", *BASE[1:]])))
    assert evaluate(inst, {}).objective == -1


def test_objective_counts_over_cover_and_requests():
    inst = small()
    both = {"A": list(BASE), "B": list(BASE)}
    inst2 = dataclasses.replace(
        inst, staff=(inst.staff[0], dataclasses.replace(inst.staff[0], id="B"))
    )
    total, parts = objective(inst2, both)
    # 6 shifts over-covered once each; 22 short; A's off request (5) broken
    assert parts == {"on_requests": 0, "off_requests": 5, "under_cover": 2200, "over_cover": 6}
    assert total == 2211
