"""Inputs that used to end in a traceback (exit 1) now exit 2 with one line per problem,
and numbers YAML reads for ids and names are taken as the text they were written as."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rota.cli import cli
from scheduler.loading import load_plan
from tests.conftest import tiny_config


def _text(**overrides: object) -> str:
    return yaml.safe_dump(tiny_config(**overrides), sort_keys=False)


def _invalid(tmp_path: Path, text: str, field: str, words: str, csv: bytes | None = None) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text(text, encoding="utf-8")
    if csv is not None:
        (tmp_path / "people.csv").write_bytes(csv)
    out = tmp_path / "out"
    plan = ["plan", str(config), "--out", str(out), "--time-limit", "1", "--workers", "1"]
    for args in (["validate", str(config)], plan):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output, result.exception)
        lines = result.stderr.strip().splitlines()
        hit = [ln for ln in lines if f": {field}: " in ln]
        assert hit, lines
        assert words in hit[0], hit[0]
        assert "Traceback" not in result.output
    assert not out.exists()


def test_impossible_unquoted_date(tmp_path: Path) -> None:
    text = _text().replace("start: '2020-01-29'", "start: 2020-02-30")
    assert "start: 2020-02-30" in text
    _invalid(tmp_path, text, "horizon.start", "unparseable date '2020-02-30'")


def test_impossible_unquoted_date_time(tmp_path: Path) -> None:
    sites = [{"id": "s", "pattern": "three-8h", "need": 1, "open": {"from": "X", "to": "Y"}}]
    text = _text(sites=sites).replace("from: X", "from: 2020-01-29T25:00:00")
    _invalid(tmp_path, text, "sites[0].open[0].from", "unparseable local date-time")


def test_number_for_a_date_time(tmp_path: Path) -> None:
    sites = [{"id": "s", "pattern": "three-8h", "need": 1, "open": {"from": -1, "to": 5}}]
    _invalid(tmp_path, _text(sites=sites), "sites[0].open[0].from", "expected a local date-time")


@pytest.mark.parametrize(
    ("rules", "field"),
    [
        ({"max_hours_per_day": float("inf")}, "rules.max_hours_per_day"),
        ({"max_hours_per_week": 1e308}, "rules.max_hours_per_week"),
    ],
)
def test_infinite_or_huge_limits(tmp_path: Path, rules: dict, field: str) -> None:
    _invalid(tmp_path, _text(rules=rules), field, "")


def test_huge_weight(tmp_path: Path) -> None:
    _invalid(tmp_path, _text(weights={"uncovered": 10**20}), "weights.uncovered", "less than")


def test_weights_that_are_each_in_range_but_overflow_together(tmp_path: Path) -> None:
    # each value is within its own bound; their product over the horizon is not
    sites = [{"id": "s", "pattern": "three-8h", "need": 1000, "priority": 10_000}]
    text = _text(sites=sites, weights={"uncovered": 10**9})
    _invalid(tmp_path, text, "weights.uncovered", "exceeds rota's range")


def test_yaml_on_and_off_are_request_wishes(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted `want: off` as false
    base = yaml.safe_load(_text())
    people = base["volunteers"]["people"]
    vid, date = people[0]["id"], base["horizon"]["start"]
    requests = [{"volunteer": vid, "date": date, "shift": "day", "want": "on"},
                {"volunteer": vid, "date": date, "shift": "night", "want": "off"}]  # fmt: skip
    text = (
        _text(requests=requests)
        .replace("want: 'on'", "want: on")
        .replace("want: 'off'", "want: off")
    )
    assert "want: off" in text and "want: on" in text
    config = tmp_path / "plan.yaml"
    config.write_text(text, encoding="utf-8")
    wants = [r.want for r in load_plan(config).config.requests]
    assert wants == ["on", "off"]


def test_a_key_given_twice_is_an_error_not_silently_the_last(tmp_path: Path) -> None:
    text = _text(rules={"max_hours_per_day": 8}) + "rules:\n  max_hours_per_day: 12\n"
    _invalid(tmp_path, text, "(syntax)", "duplicate key 'rules' (first on line")


def test_merge_keys_may_still_override(tmp_path: Path) -> None:
    config = tmp_path / "plan.yaml"
    config.write_text(_text() + "extra: {<<: {a: 1}, a: 2}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert "duplicate key" not in result.output  # `extra` is an unknown field, nothing else
    assert ": extra: unknown field" in result.stderr


def test_a_boolean_is_not_a_need(tmp_path: Path) -> None:
    sites = [{"id": "s", "pattern": "three-8h", "need": True}]
    _invalid(tmp_path, _text(sites=sites), "sites[0].need", "expected a whole number, got true")


def test_an_id_with_a_comma_is_explained_in_words(tmp_path: Path) -> None:
    text = _text(volunteers={"people": [{"id": "v,1"}]})
    _invalid(tmp_path, text, "volunteers.people[0].id", "may not hold ';', ',' or '/'")


def test_csv_not_utf8(tmp_path: Path) -> None:
    text = _text(volunteers={"csv": "people.csv"})
    _invalid(tmp_path, text, "volunteers.csv", "not UTF-8", csv=b"id,name\nv1,\xff\xfe\n")


def test_csv_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "people.csv").mkdir()
    _invalid(tmp_path, _text(volunteers={"csv": "people.csv"}), "volunteers.csv", "cannot read")


def test_csv_header_cells_are_trimmed(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id, name , skills\nv1, Ann ,medic\n", encoding="utf-8")
    config = tmp_path / "plan.yaml"
    config.write_text(_text(volunteers={"csv": "people.csv"}), encoding="utf-8")
    (vol,) = load_plan(config).volunteers
    assert (vol.id, vol.name, vol.skills) == ("v1", "Ann", frozenset({"medic"}))


def test_numbers_as_ids_and_names(tmp_path: Path) -> None:
    text = _text(
        sites=[{"id": 100, "name": 7, "pattern": "three-8h", "need": 1, "zone": 5}],
        volunteers={"people": [{"id": 1, "team": 3, "org": 4, "skills": 12, "prefers": 100}]},
    )
    config = tmp_path / "plan.yaml"
    config.write_text(text, encoding="utf-8")
    plan = load_plan(config)
    (vol,) = plan.volunteers
    assert (vol.id, vol.team, vol.org, vol.skills, vol.prefers) == (
        "1",
        "3",
        "4",
        frozenset({"12"}),
        ("100",),
    )
    assert plan.config.sites[0].id == "100"


def _rejected(tmp_path: Path, text: str) -> list[str]:
    """``rota validate`` on ``text`` as ``plan.yaml``: exit 2; its stderr lines."""
    config = tmp_path / "plan.yaml"
    config.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2
    return result.stderr.strip().splitlines()


def _names_exactly(lines: list[str], wanted: list[str]) -> None:
    """Each of ``wanted`` is in some line, and there are no other lines."""
    for words in wanted:
        assert [ln for ln in lines if words in ln], (words, lines)
    assert len(lines) == len(wanted), lines


def test_every_problem_is_named_when_a_field_is_invalid(tmp_path: Path) -> None:
    """A field error no longer hides cross-reference and volunteer problems."""
    (tmp_path / "people.csv").write_text("id,lat,lon\nv1,north,1\nv2,31,121\n", encoding="utf-8")
    text = _text(
        sites=[{"id": "s", "pattern": "three-8h", "need": -2}],
        demand_changes=[
            {"site": "nope", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00", "add": 1}
        ],
        volunteers={"csv": "people.csv", "people": [{"id": "v2"}]},
    )
    lines = _rejected(tmp_path, text)
    wanted = [
        ": sites[0].need: must be 0 or more",
        ": demand_changes[0].site: unknown site 'nope'",
        "people.csv:2: row 2 (id v1).lat:",
        ": volunteers: duplicate volunteer id 'v2'",
    ]
    _names_exactly(lines, wanted)


def test_request_references_are_named_when_another_request_is_invalid(tmp_path: Path) -> None:
    """QA: a bad ``want`` in one request hid the unknown volunteer of another; an entry
    of volunteers.people that did not validate still counts as a known volunteer, and
    for duplicates."""
    text = _text(
        volunteers={"people": [{"id": "v1"}, {"id": "v2", "night_ok": "maybe"}, {"id": "v2"}]},
        requests=[
            {"volunteer": "v9", "date": "2020-01-29", "shift": "day", "want": "off"},
            {"volunteer": "v1", "date": "2020-01-29", "shift": "dusk", "want": "maybe"},
            {"volunteer": "v2", "date": "2020-01-29", "shift": "day", "site": "far", "want": "on"},
        ],
    )
    lines = _rejected(tmp_path, text)
    wanted = [
        ": volunteers.people[1].night_ok:",
        ": requests[1].want:",
        ": requests[0].volunteer: unknown volunteer 'v9'",
        ": requests[1].shift: no pattern has a shift 'dusk'",
        ": requests[2].site: unknown site 'far'",
        ": volunteers: duplicate volunteer id 'v2' (2 times)",
    ]
    _names_exactly(lines, wanted)


def test_duplicate_of_an_invalid_volunteer_entry_is_named(tmp_path: Path) -> None:
    """QA: the config validates but one of two v2 entries does not: both problems at once."""
    people = [{"id": "v1"}, {"id": "v2", "night_ok": "maybe"}, {"id": "v2"}]
    lines = _rejected(tmp_path, _text(volunteers={"people": people}))
    assert len(lines) == 2, lines
    assert "volunteers.people[1].night_ok:" in lines[0]
    assert "volunteers: duplicate volunteer id 'v2' (2 times)" in lines[1]


def test_duplicate_of_an_invalid_csv_row_is_named_once(tmp_path: Path) -> None:
    """QA: row 2's c1 does not validate, row 3's does: the duplicate is named with the
    row's own error, once (and two valid c2 rows once, by the plan check)."""
    (tmp_path / "people.csv").write_text(
        "id,max_hours_per_week\nc1,abc\nc1,10\nc2,\nc2,\n", encoding="utf-8"
    )
    lines = _rejected(tmp_path, _text(volunteers={"csv": "people.csv"}))
    assert len(lines) == 3, lines
    assert "row 2 (id c1).max_hours_per_week:" in lines[0]
    assert sum("duplicate volunteer id 'c1' (2 times)" in ln for ln in lines) == 1
    assert sum("duplicate volunteer id 'c2' (2 times)" in ln for ln in lines) == 1


def test_half_a_location_is_named_beside_a_field_error(tmp_path: Path) -> None:
    """QA: pydantic skips the volunteer's own check after a field error, so a ``lat``
    without ``lon`` was named only on the next run; CSV rows and inline entries alike."""
    (tmp_path / "people.csv").write_text(
        "id,lat,lon,max_hours_per_week\nc1,31,,-5\nc2,31,,\nc3,,121,x\nc4,,,x\n",
        encoding="utf-8",
    )
    people = [{"id": "v1", "lon": 121, "night_ok": "maybe"}]
    lines = _rejected(tmp_path, _text(volunteers={"csv": "people.csv", "people": people}))
    wanted = [
        "row 2 (id c1).max_hours_per_week:",
        "row 2 (id c1).(top level): give both lat and lon, or neither",
        "row 3 (id c2).(top level): give both lat and lon, or neither",
        "row 4 (id c3).max_hours_per_week:",
        "row 4 (id c3).(top level): give both lat and lon, or neither",
        "row 5 (id c4).max_hours_per_week:",
        ": volunteers.people[0].night_ok:",
        ": volunteers.people[0]: give both lat and lon, or neither",
    ]
    _names_exactly(lines, wanted)


def test_single_digit_hour_is_a_time() -> None:
    from scheduler.models import ShiftDef

    assert str(ShiftDef(name="day", start="8:00", hours=8).start) == "08:00:00"


def test_spaces_inside_names_skills_and_ids(tmp_path: Path) -> None:
    text = _text(
        shift_patterns={"p": [{"name": "late night", "start": "20:00", "hours": 8}]},
        sites=[{"id": "north gate", "pattern": "p", "need": 1, "require": {"first aid": 1}}],
        volunteers={"people": [{"id": "Ann Lee", "skills": "first aid; driver"}]},
    )
    config = tmp_path / "plan.yaml"
    config.write_text(text, encoding="utf-8")
    (vol,) = load_plan(config).volunteers
    assert vol.skills == frozenset({"first aid", "driver"})
    for bad in (" lead", "a/b", "a\tb"):
        _invalid(
            tmp_path, _text(volunteers={"people": [{"id": bad}]}), "volunteers.people[0].id", ""
        )
