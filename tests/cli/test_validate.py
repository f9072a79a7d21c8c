"""``rota validate`` and invalid input through the CLI (``rota validate`` and ``rota plan``).

Every invalid config exits 2 with one line per problem on stderr naming the file, the
field path and what is wrong, and ``rota plan`` writes nothing to ``--out``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from rota.cli import cli
from tests.conftest import tiny_config

Edit = Callable[[dict[str, Any]], None]


def _write(tmp_path: Path, cfg: dict[str, Any] | str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    text = cfg if isinstance(cfg, str) else yaml.safe_dump(cfg, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def _edited(edit: Edit) -> dict[str, Any]:
    cfg = copy.deepcopy(tiny_config())
    edit(cfg)
    return cfg


def _set(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(cfg: dict[str, Any]) -> None:
        node = cfg
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return edit


def _append(path: tuple[Any, ...], value: Any) -> Edit:
    def edit(cfg: dict[str, Any]) -> None:
        node = cfg
        for part in path:
            node = node[part] if not isinstance(node, dict) else node.setdefault(part, [])
        node.append(value)

    return edit


# (case id, edit, field path in the message, words of the message)
INVALID: list[tuple[str, Edit, str, str]] = [
    (
        "unknown-pattern",
        _set(("sites", 0, "pattern"), "four-6h"),
        "sites[0].pattern",
        "unknown shift pattern 'four-6h'",
    ),
    (
        "unknown-site-in-demand-change",
        _append(
            ("demand_changes",),
            {"site": "exit-nw", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00", "add": 1},
        ),
        "demand_changes[0].site",
        "unknown site 'exit-nw'",
    ),
    (
        "duplicate-site",
        _append(("sites",), {"id": "exit-se", "pattern": "three-8h"}),
        "sites",
        "duplicate site id 'exit-se'",
    ),
    (
        "duplicate-volunteer",
        _append(("volunteers", "people"), {"id": "v2"}),
        "volunteers",
        "duplicate volunteer id 'v2'",
    ),
    ("negative-need", _set(("sites", 0, "need"), -3), "sites[0].need", "must be 0 or more"),
    (
        "negative-need-by-shift",
        _set(("sites", 0, "need_by_shift"), {"night": -1}),
        "sites[0].need_by_shift.night",
        "greater than or equal to 0",
    ),
    ("unknown-timezone", _set(("timezone",), "Asia/Shangai"), "timezone", "unknown time zone"),
    ("zero-horizon", _set(("horizon", "days"), 0), "horizon.days", "0 days plans nothing"),
    (
        "unparseable-shift-time",
        _set(("shift_patterns", "three-8h", 1, "start"), "8am"),
        "shift_patterns.three-8h[1].start",
        "unparseable time '8am'",
    ),
    (
        "unparseable-open-time",
        _set(("sites", 0, "open"), {"from": "tomorrow", "to": "2020-01-30T00:00"}),
        "sites[0].open[0].from",
        "unparseable local date-time 'tomorrow'",
    ),
    (
        "unparseable-horizon-start",
        _set(("horizon", "start"), "29/01/2020"),
        "horizon.start",
        "unparseable date",
    ),
    (
        "open-window-ends-before-start",
        _set(("sites", 0, "open"), {"from": "2020-01-30T00:00", "to": "2020-01-29T00:00"}),
        "sites[0].open[0]",
        "before it starts",
    ),
    (
        "availability-ends-before-start",
        _set(("volunteers", "people", 0, "available"), "2020-01-30T08:00/2020-01-29T08:00"),
        "volunteers.people[0].available",
        "before it starts",
    ),
    (
        "demand-change-ends-before-start",
        _append(
            ("demand_changes",),
            {"site": "exit-se", "from": "2020-01-30T00:00", "to": "2020-01-29T00:00", "set": 1},
        ),
        "demand_changes[0]",
        "before it starts",
    ),
    (
        "unknown-field",
        _set(("sites", 0, "needs"), 2),
        "sites[0].needs",
        "unknown field (misspelt?)",
    ),
]


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [pytest.param(e, f, w, id=i) for i, e, f, w in INVALID],
)
def test_invalid_config_exits_2_and_writes_nothing(
    tmp_path: Path, edit: Edit, field: str, words: str
) -> None:
    config = _write(tmp_path, _edited(edit))
    out = tmp_path / "out"
    runner = CliRunner()
    for args in (["validate", str(config)], ["plan", str(config), "--out", str(out)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        lines = result.stderr.strip().splitlines()
        hit = [ln for ln in lines if ln.startswith(f"{config}") and f": {field}: " in ln]
        assert hit, lines
        assert words in hit[0], hit[0]
        assert "Traceback" not in result.output
        assert result.stdout == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.yaml"]


def test_unquoted_yaml_time_is_explained(tmp_path: Path) -> None:
    text = yaml.safe_dump(tiny_config(), sort_keys=False).replace("'16:00'", "16:00")
    assert "start: 16:00" in text
    config = _write(tmp_path, text)
    result = CliRunner().invoke(cli, ["plan", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{config}:")
    assert "shift_patterns.three-8h[2].start" in line
    assert "unquoted time as the number 960" in line and 'quote it: "16:00"' in line
    assert not (tmp_path / "out").exists()


def test_several_problems_one_line_each_with_line_numbers(tmp_path: Path) -> None:
    def edit(cfg: dict[str, Any]) -> None:
        cfg["sites"].append({"id": "exit-se", "pattern": "nope"})
        cfg["volunteers"]["people"].append({"id": "v1"})

    config = _write(tmp_path, _edited(edit))
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert all(ln.startswith(f"{config}:") for ln in lines)
    paths = sorted(ln.split(": ")[1] for ln in lines)
    assert paths == ["sites", "sites[1].pattern", "volunteers"]
    assert any(ln.startswith(f"{config}:") and ln.split(":")[1].isdigit() for ln in lines)


def test_bad_csv_row_names_csv_file_and_row(tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("id,lat,lon\nv1,31.2,121.4\nv2,abc,121.4\n")
    config = _write(tmp_path, tiny_config(volunteers={"csv": "people.csv"}))
    result = CliRunner().invoke(cli, ["plan", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'people.csv'}:3: row 3 (id v2).lat: ")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a quote left open up to the end: the rows after it would vanish into one name
        ('id,name\nv1,"Bob\nv2,Carol\n', ":2: row 2: unreadable CSV: unexpected end of data"),
        # closed later: a legal CSV cell, but a line break in a volunteer field
        ('id,name\nv1,"Bob\nv2,Carol"\nv3,Dan\n', ":2: row 2.name: a line break inside"),
        ('id,name\nv1,Ann\nv2,"Bob"x\n', ":3: row 3: unreadable CSV: ',' expected after '\"'"),
    ],
)
def test_broken_csv_quoting_is_invalid(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "people.csv").write_text(text)
    config = _write(tmp_path, tiny_config(volunteers={"csv": "people.csv"}))
    result = CliRunner().invoke(cli, ["plan", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"{tmp_path / 'people.csv'}{expected}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("sites",), {"a": {"pattern": "three-8h"}}, "sites: expected a list (YAML `- item`"),
        (("volunteers",), "people.csv", "volunteers: expected a mapping of fields"),
        (("rules",), [1, 2], "rules: expected a mapping of fields"),
    ],
)
def test_wrong_container_says_what_was_expected(
    tmp_path: Path, path: tuple[Any, ...], value: Any, expected: str
) -> None:
    config = _write(tmp_path, _edited(_set(path, value)))
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert expected in line, line
    assert "tuple" not in line and "dictionary" not in line and "instance of" not in line


def test_one_unquoted_day_off_is_a_date(tmp_path: Path) -> None:
    cfg = "\n".join(_write(tmp_path, tiny_config()).read_text().splitlines())
    cfg = cfg.replace("- id: v1", "- id: v1\n    days_off: 2020-01-29")
    config = _write(tmp_path, cfg, "plan2.yaml")
    assert "days_off: 2020-01-29" in config.read_text()
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            _append(("demand_changes",), {"site": "exit-se", "from": "2020-01-30T00:00",
                                          "to": "2020-01-30T00:00", "set": 5}),
            "demand_changes[0]: warning: empty interval (`from` equals `to`): it applies to no",
        ),
        (
            _set(("sites", 0, "open"), {"from": "2020-01-29T08:00", "to": "2020-01-29T08:00"}),
            "sites[0].open[0]: warning: empty interval (`from` equals `to`): the site is never",
        ),
        (
            _set(("volunteers", "people", 0, "unavailable"), "2020-01-29T08:00/2020-01-29T08:00"),
            "volunteers.v1.unavailable: warning: empty interval",
        ),
        (  # need defaults to 0: said, since a forgotten need plans no one there
            _set(("sites", 0), {"id": "exit-se", "pattern": "three-8h",
                                "need_by_shift": {"night": 2}}),
            "sites[0].need: warning: not given: day, evening need 0 people (unless a demand",
        ),
        (  # a volunteer file shared between plans may name another plan's sites
            _set(("volunteers", "people", 0, "prefers"), "exit-nw"),
            "volunteers.v1.prefers: warning: no site 'exit-nw' in this plan",
        ),
    ],
)  # fmt: skip
def test_warning_only_and_the_plan_runs(tmp_path: Path, edit: Edit, expected: str) -> None:
    config = _write(tmp_path, _edited(edit))
    result = CliRunner().invoke(cli, ["plan", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert expected in result.stderr
    assert (tmp_path / "out" / "roster.json").exists()


def test_missing_config_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.yaml'}: (file): no such file"


def test_skill_nobody_holds_is_a_warning(tmp_path: Path) -> None:
    cfg = tiny_config(
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 1, "require": {"vet": 1}}]
    )
    config = _write(tmp_path, cfg)
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.strip().splitlines()
    assert warning.startswith(f"{config}:")
    assert "sites[0].require.vet: warning: no volunteer holds skill 'vet'" in warning
    assert result.stdout.startswith("tiny: 1 sites, 4 volunteers, 2 days from 2020-01-29")


def test_requirement_above_a_shift_need_is_a_warning(tmp_path: Path) -> None:
    site = {"id": "exit-se", "pattern": "three-8h", "need": 3, "need_by_shift": {"night": 1},
            "require": {"medical": 2}}  # fmt: skip
    vols = {"people": [{"id": f"v{i}", "skills": "medical"} for i in range(4)]}
    config = _write(tmp_path, tiny_config(sites=[site], volunteers=vols))
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.strip().splitlines()
    assert (
        "sites[0].require.medical: warning: 2 holding 'medical' are required on shifts "
        "that need fewer people: night (1)" in warning
    )


@pytest.mark.parametrize(
    ("need_by_shift", "add", "expected"),
    [
        # closed (need 0, required holders all missing) and, for the day shift, opened by
        # a demand change with 1 person: warns with the smallest need of each shift
        ({"night": 0, "day": 0, "evening": 0}, 1, "night (0), day (1), evening (0)"),
        # night needs 1, but a demand change raises every night to 3: no warning
        ({"night": 1}, 2, None),
    ],
)
def test_requirement_warning_sees_demand_changes(
    tmp_path: Path, need_by_shift: dict[str, int], add: int, expected: str | None
) -> None:
    site = {"id": "exit-se", "pattern": "three-8h", "need": 3, "need_by_shift": need_by_shift,
            "require": {"medical": 2}}  # fmt: skip
    shift = "day" if expected else "night"
    change = {"site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-31T00:00",
              "add": add, "shift": shift}  # fmt: skip
    vols = {"people": [{"id": f"v{i}", "skills": "medical"} for i in range(4)]}
    cfg = tiny_config(sites=[site], volunteers=vols, demand_changes=[change])
    result = CliRunner().invoke(cli, ["validate", str(_write(tmp_path, cfg))])
    assert result.exit_code == 0, result.output
    if expected is None:
        assert result.stderr == ""
    else:
        (warning,) = result.stderr.strip().splitlines()
        assert f"that need fewer people: {expected};" in warning


def test_validate_summary(tmp_path: Path) -> None:
    config = _write(tmp_path, tiny_config())
    result = CliRunner().invoke(cli, ["validate", str(config)])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.strip() == (
        "tiny: 1 sites, 4 volunteers, 2 days from 2020-01-29, 6 shift occurrences "
        "needing 6 person-shifts, 24 eligible pairs"
    )


def test_validate_help() -> None:
    result = CliRunner().invoke(cli, ["validate", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Usage: cli validate [OPTIONS] CONFIG" in text or "validate [OPTIONS] CONFIG" in text
    assert "without solving" in text and "exit 2" in text


def test_validate_city_scale_config_without_counting_pairs(tmp_path):
    """A city-scale config validates quickly (lazy eligibility) and says pairs are not counted."""
    from click.testing import CliRunner

    from rota.cli import cli
    from scheduler.generate_city import write_city

    yaml_path, _ = write_city("expo", 3, tmp_path, volunteers=6_000)
    result = CliRunner().invoke(cli, ["validate", str(yaml_path)])
    assert result.exit_code == 0, result.output
    assert "6000 volunteers" in result.output
    assert "eligible pairs counted when planning (city scale)" in result.output
