"""``rota bench nrp``: results, summary, resume, and loud failure on any disagreement."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rota.cli import cli
from rota.cli.bench_nrp import natural_key
from tests.conftest import nrp_data

DATA = nrp_data()
INSTANCE1 = DATA / "instances" / "Instance1.txt"
needs_data = pytest.mark.skipif(not INSTANCE1.exists(), reason="benchmark files not present")


def run(*args: str):
    return CliRunner().invoke(cli, ["bench", "nrp", *args])


def test_natural_order():
    names = ["Instance10.txt", "Instance2.txt", "Instance1.txt", "Instance24.txt"]
    ordered = sorted((Path(n) for n in names), key=natural_key)
    assert [p.name for p in ordered] == [
        "Instance1.txt", "Instance2.txt", "Instance10.txt", "Instance24.txt"
    ]  # fmt: skip


@needs_data
@pytest.mark.parametrize("method", ["cp-sat", "lns"])
def test_instance1_solved_to_best_known_and_summarised(tmp_path: Path, method: str):
    out = tmp_path / "out"
    # a generous limit: the solve stops once optimality is proven (about 2 s), and a
    # loaded CI machine must not turn that proof into a timing failure
    result = run(str(INSTANCE1), "--time-limit", "60", "--workers", "1", "--out", str(out),
                 "--method", method)  # fmt: skip
    assert result.exit_code == 0, result.output
    record = json.loads((out / "Instance1.json").read_text())
    assert record["instance"] == "Instance1" and record["objective"] == 607
    assert record["status"] == "optimal" and record["bound"] == 607
    assert set(record["roster"]) == set("ABCDEFGH")
    assert all(len(row) == 14 and set(row) <= {"", "D"} for row in record["roster"].values())
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert rows[0]["instance"] == "Instance1" and rows[0]["best_known"] == "607"
    assert rows[0]["gap_pct"] == "0.0" and rows[0]["workers"] == "1"
    assert rows[0]["machine"] and rows[0]["commit"]
    md = (out / "summary.md").read_text()
    assert "| Instance1 | 14 | 8 | 1 | 607 | 607 | 607 | 607 | 0.0 |" in md
    assert "At best known: Instance1" in md
    assert "| Instance1 |" in result.output


@needs_data
def test_resume_skips_solved_instances_unless_forced(tmp_path: Path, monkeypatch):
    out = tmp_path / "out"
    assert (
        run(str(INSTANCE1), "--time-limit", "3", "--out", str(out), "--method", "cp-sat").exit_code
        == 0
    )
    calls: list[str] = []
    import solver.solve

    real = solver.solve.solve

    def counting(problem, params):
        calls.append("solve")
        return real(problem, params)

    monkeypatch.setattr(solver.solve, "solve", counting)
    again = run(str(INSTANCE1), "--time-limit", "3", "--out", str(out), "--method", "cp-sat")
    assert again.exit_code == 0 and calls == []
    assert "kept" in again.output
    forced = run(str(INSTANCE1), "--time-limit", "3", "--out", str(out), "--method", "cp-sat",
                 "--force")  # fmt: skip
    assert forced.exit_code == 0 and calls == ["solve"]


@needs_data
@pytest.mark.parametrize("tamper", ["objective", "assignments"])
def test_disagreement_fails_loudly(tmp_path: Path, monkeypatch, tamper: str):
    import solver.solve

    real = solver.solve.solve

    def lying(problem, params):
        sol = real(problem, params)
        if tamper == "objective":
            return dataclasses.replace(sol, objective=sol.objective + 1)
        a = problem.volunteer_index["A"]
        return dataclasses.replace(sol, assignments=tuple(p for p in sol.assignments if p[1] != a))

    monkeypatch.setattr(solver.solve, "solve", lying)
    out = tmp_path / "out"
    result = run(str(INSTANCE1), "--time-limit", "3", "--out", str(out), "--method", "cp-sat")
    assert result.exit_code == 1
    assert "1 instance(s) failed" in result.output
    assert not (out / "Instance1.json").exists()
    failed = json.loads((out / "Instance1.failed.json").read_text())
    if tamper == "objective":
        assert any("solver objective 608 != evaluator 607" in e for e in failed["errors"])
    else:
        assert any(e.startswith("evaluator: A:") and "at least 3360" in e for e in failed["errors"])
        assert any(e.startswith("checker:") for e in failed["errors"])


def test_malformed_file_exits_2_naming_the_line(tmp_path: Path):
    bad = tmp_path / "Instance99.txt"
    bad.write_text("SECTION_HORIZON\r\n14\r\n\r\nSECTION_SHIFTS\r\nD,480\r\n", encoding="utf-8")
    result = run(str(bad), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert f"{bad}:5: SECTION_SHIFTS: expected 3 comma-separated fields" in result.output
    assert "SECTION_STAFF: required section is missing" in result.output
