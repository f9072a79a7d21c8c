"""Loading a config: YAML, volunteers from CSV and inline, and how problems are reported."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml

from scheduler.errors import ConfigError, Problem
from scheduler.loading import load_plan, plan_from_dict
from scheduler.models import Window
from tests.conftest import tiny_config

CONFIG = """\
plan: station
title: Station exits
timezone: Asia/Shanghai
horizon: {start: 2020-01-29, days: 3}
shift_patterns:
  two-12h:
    - {name: day, start: "08:00", hours: 12}
    - {name: night, start: "20:00", hours: 12}
sites:
  - {id: exit-se, pattern: two-12h, need: 2, require: {medical: 1}}
volunteers:
  csv: data/people.csv
  people:
    - {id: p1, name: Inline One, skills: [medical], night_ok: false}
"""

CSV = """\
id,name,org,team,skills,lat,lon,max_hours_per_week,night_ok,available,unavailable,prefers
v1,Ann,Red Cross,t1,medical;driver,31.25,121.45,24,true,2020-01-29T08:00/2020-01-30T20:00,,exit-se
v2,Bob,,,,,,,false,,2020-01-30T00:00/2020-01-30T12:00;2020-01-31T00:00/2020-01-31T06:00,
"""


def _write(tmp_path: Path, config: str = CONFIG, csv_text: str | None = CSV) -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    if csv_text is not None:
        (tmp_path / "data" / "people.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "station.yaml"
    path.write_text(config, encoding="utf-8")
    return path


def _problems(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    return info.value.problems


def test_yaml_with_csv_and_inline_people(tmp_path: Path) -> None:
    plan = load_plan(_write(tmp_path))
    assert plan.source == str(tmp_path / "station.yaml")
    cfg = plan.config
    assert (cfg.plan, cfg.title, cfg.horizon.days) == ("station", "Station exits", 3)
    assert cfg.horizon.start == dt.date(2020, 1, 29)
    assert [s.start for s in cfg.shift_patterns["two-12h"]] == [dt.time(8), dt.time(20)]
    ids = [v.id for v in plan.volunteers]
    assert ids == ["v1", "v2", "p1"]  # CSV rows first, then inline people
    v1, v2, p1 = plan.volunteers
    assert v1.skills == {"medical", "driver"}
    assert (v1.org, v1.team, v1.lat, v1.lon, v1.max_hours_per_week) == (
        "Red Cross",
        "t1",
        31.25,
        121.45,
        24,
    )
    assert v1.available == (Window.parse("2020-01-29T08:00/2020-01-30T20:00"),)
    assert v1.prefers == ("exit-se",)
    assert v2.night_ok is False and v2.lat is None and v2.skills == frozenset()
    assert len(v2.unavailable) == 2
    assert v2.unavailable[1].start == dt.datetime(2020, 1, 31, 0, 0)
    assert p1.name == "Inline One" and p1.night_ok is False


def test_relative_csv_path_does_not_depend_on_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert [v.id for v in load_plan(path).volunteers] == ["v1", "v2", "p1"]
    # and a path given relative to the working directory
    assert [v.id for v in load_plan(Path(os.path.relpath(path))).volunteers][:1] == ["v1"]


def test_csv_errors_name_file_row_and_field(tmp_path: Path) -> None:
    bad = CSV + "v3,Cy,,,,95,121.4,,,,,\nv4,Di,,,,,,,maybe,,,\n,NoId,,,,,,,,,,\n"
    problems = _problems(_write(tmp_path, csv_text=bad))
    by_line = {p.line: p for p in problems}
    csv_file = str(tmp_path / "data" / "people.csv")
    assert {p.file for p in problems} == {csv_file}
    assert set(by_line) == {4, 5, 6}
    assert by_line[4].path == "row 4 (id v3).lat" and "90" in by_line[4].message
    assert by_line[5].path == "row 5 (id v4).night_ok"
    assert by_line[6].path == "row 6.id" and by_line[6].message == "required field is missing"
    assert str(by_line[4]).startswith(f"{csv_file}:4: row 4 (id v3).lat: ")


def test_csv_bad_interval_and_header(tmp_path: Path) -> None:
    bad = CSV.replace("2020-01-29T08:00/2020-01-30T20:00", "2020-01-30T20:00/2020-01-29T08:00")
    (problem,) = _problems(_write(tmp_path, csv_text=bad))
    assert (problem.line, problem.path) == (2, "row 2 (id v1).available")
    assert "ends" in problem.message and "before it starts" in problem.message

    problems = _problems(_write(tmp_path, csv_text="id,colour\nv1,red\n"))
    assert [(p.path, p.line) for p in problems] == [("(header).colour", 1)]
    problems = _problems(_write(tmp_path, csv_text="name\nAnn\n"))
    assert "no `id` column" in problems[0].message
    problems = _problems(_write(tmp_path, csv_text="id,name,id\nv1,Ann,v2\n"))
    assert [(p.path, p.message) for p in problems] == [
        ("(header).id", "column given more than once")
    ]


def test_a_row_of_empty_cells_is_a_blank_line(tmp_path: Path) -> None:
    plan = load_plan(_write(tmp_path, csv_text="id,name,skills\nv1,Ann,\n,,\n , ,\nv2,Bo,\n"))
    assert [v.id for v in plan.volunteers] == ["v1", "v2", "p1"]  # p1: inline in CONFIG


def test_missing_csv_and_missing_config(tmp_path: Path) -> None:
    config = _write(tmp_path, csv_text=None)
    (problem,) = _problems(config)
    # the config names the file: its path, field and line, and the path looked for
    assert (problem.file, problem.path) == (str(config), "volunteers.csv")
    assert problem.message == f"no such file: {config.parent / 'data' / 'people.csv'}"
    assert problem.line
    (problem,) = _problems(tmp_path / "nope.yaml")
    assert problem.file == str(tmp_path / "nope.yaml") and problem.message == "no such file"


def test_yaml_errors_have_lines_and_field_paths(tmp_path: Path) -> None:
    text = CONFIG.replace('start: "20:00"', "start: 20:00").replace("need: 2", "need: -2")
    problems = _problems(_write(tmp_path, text))
    got = {(p.path, p.line) for p in problems}
    assert ("shift_patterns.two-12h[1].start", 8) in got
    assert ("sites[0].need", 10) in got
    start = next(p for p in problems if p.path.endswith("[1].start"))
    assert "unquoted time" in start.message and '"20:00"' in start.message


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    (problem,) = _problems(_write(tmp_path, CONFIG.replace("sites:\n", "sites: [\n")))
    assert problem.path == "(syntax)" and problem.line is not None
    assert "YAML syntax error" in problem.message


def test_unknown_top_level_field(tmp_path: Path) -> None:
    (problem,) = _problems(_write(tmp_path, CONFIG + "colour: red\n"))
    assert (problem.path, problem.line) == ("colour", 15)
    assert "unknown field" in problem.message


def test_warnings_are_returned_not_raised(tmp_path: Path) -> None:
    text = CONFIG.replace("{medical: 1}", "{medical: 1, vet: 1}")
    warnings: list[Problem] = []
    plan = load_plan(_write(tmp_path, text), with_warnings=warnings)
    assert plan.config.sites[0].require == {"medical": 1, "vet": 1}
    (w,) = warnings
    assert w.severity == "warning" and w.path == "sites[0].require.vet"
    assert "no volunteer holds skill 'vet'" in w.message


def test_plan_from_dict_reports_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        plan_from_dict(
            tiny_config(
                sites=[
                    {"id": "a", "pattern": "nope", "need": 1},
                    {"id": "a", "pattern": "three-8h"},
                ],
                volunteers={"people": [{"id": "v1"}, {"id": "v1"}]},
            )
        )
    paths = sorted(p.path for p in info.value.problems)
    assert paths == ["sites", "sites[0].pattern", "volunteers"]


def test_a_shift_longer_than_the_day_cap_is_a_warning(tmp_path: Path) -> None:
    patterns = {"p": [{"name": "desk", "start": "08:00", "hours": 10}]}
    text = yaml.safe_dump(
        tiny_config(
            shift_patterns=patterns,
            sites=[{"id": "a", "pattern": "p", "need": 1}],
            rules={"max_hours_per_day": 8},
        )
    )
    warnings: list[Problem] = []
    load_plan(_write(tmp_path, text), with_warnings=warnings)
    (w,) = warnings
    assert w.severity == "warning" and w.path == "shift_patterns.p[0].hours"
    assert "above rules.max_hours_per_day (8 h): nobody can work it" in w.message
