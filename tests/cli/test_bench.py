"""``rota bench scenarios`` on tiny configs: a table, both methods, loud failures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from rota.cli import cli
from rota.cli.bench_scenarios import machine, run_one
from tests.conftest import tiny_config


def write(tmp_path: Path, name: str, **over: Any) -> Path:
    data = tiny_config(plan=name, **over)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_bench_prints_a_table_for_a_tiny_config(tmp_path: Path) -> None:
    cfg = write(tmp_path, "tiny-bench")
    res = CliRunner().invoke(
        cli,
        ["bench", "scenarios", "--configs", str(cfg), "--time-limit", "1", "--workers", "1",
         "--json", str(tmp_path / "out.json")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    out = res.output
    assert "OR-Tools" in out and "cores" in out  # the machine header
    assert "tiny-bench" in out and "cp-sat" in out and "greedy" in out
    assert "cover %" in out and "peak MB" in out
    results = json.loads((tmp_path / "out.json").read_text())["results"]
    assert [r["method"] for r in results] == ["cp-sat", "greedy"]
    for r in results:
        assert r["status"] in ("optimal", "feasible")
        assert r["violations"] == []
        assert r["coverage_pct"] == 100.0  # 6 person-shifts, 4 people, no rules
        assert r["weighted_shortfall"] == 0
        assert r["occurrences"] == 6 and r["variables"] == 24
        assert r["peak_mb"] > 0


def test_run_one_counts_weighted_shortfall(tmp_path: Path) -> None:
    # need 3 on each of 6 shifts, 2 people who may work one 8 h shift a day: 14 missing
    cfg = write(
        tmp_path,
        "tiny-short",
        sites=[{"id": "exit-se", "pattern": "three-8h", "need": 3, "priority": 2,
                "require": {"medical": 1}}],
        volunteers={"people": [{"id": "a", "skills": "medical"}, {"id": "b"}]},
        rules={"max_hours_per_day": 8},
    )  # fmt: skip
    r = run_one(str(cfg), "greedy", 1.0, 1, 1)
    assert r["coverage_pct"] == round(100 * 4 / 18, 2)
    # uncovered 1000 * priority 2 * 14 missing + missing_skill 300 * 4 shifts without medical
    assert r["weighted_shortfall"] == 1000 * 2 * 14 + 300 * 4
    assert r["violations"] == []


def test_large_configs_are_validated_only(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        "tiny-large",
        volunteers={"csv": "generated/v.csv", "generate": {"seed": 1, "count": 5001}},
    )
    res = CliRunner().invoke(cli, ["bench", "scenarios", "--configs", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "validated only" in res.output
    assert "cp-sat" not in res.output
    res = CliRunner().invoke(cli, ["bench", "scenarios", "--configs", str(cfg), "--skip-large"])
    assert "tiny-large" not in res.output


def test_an_invalid_config_fails_loudly(tmp_path: Path) -> None:
    cfg = write(tmp_path, "tiny-bad", sites=[{"id": "x", "pattern": "nope", "need": 1}])
    res = CliRunner().invoke(cli, ["bench", "scenarios", "--configs", str(cfg)])
    assert res.exit_code == 1
    assert "FAILED" in res.output and "unknown shift pattern" in res.output


def test_machine_line_names_cpu_and_versions() -> None:
    line = machine()
    assert "Python 3." in line and "OR-Tools" in line and "cores" in line
