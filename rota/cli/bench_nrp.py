"""``rota bench nrp``: solve Curtois & Qu instances with rota's own model and solver.

For each FILE (natural order): parse it (:mod:`scheduler.nrp`), compile the rota plan,
solve (``--method lns``: :func:`solver.lns.solve_lns`; ``cp-sat``: one CP-SAT run), turn
the assignments into a benchmark roster and score it with the independent evaluator
(:mod:`scheduler.nrp_eval`). It also runs rota's checker on the rota roster. The written
objective is the evaluator's; the run fails (exit 1) when the solver, the evaluator and
the checker disagree or a hard rule is broken. ``OUT/InstanceN.json`` is written per
instance (existing ones are skipped unless ``--force``, so a run can resume), then
``OUT/summary.md`` and ``OUT/summary.csv`` over every FILE with a result.
"""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import click

COLUMNS = (
    "instance", "days", "staff", "shift_types", "objective", "bound", "best_known",
    "lower_bound", "gap_pct", "seconds", "status",
)  # fmt: skip


def natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def git_commit() -> str:
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def read_best_known(path: Path | None) -> dict[str, dict[str, str]]:
    if path is None or not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["instance"]: row for row in csv.DictReader(fh)}


def _number(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def solve_instance(path: Path, time_limit: float, workers: int, seed: int, method: str) -> dict:
    """Solve one instance and return its result record; raise RuntimeError on disagreement."""
    from scheduler.build import build_roster
    from scheduler.checker import check_roster
    from scheduler.fast_compile import compile_plan_fast
    from scheduler.nrp import parse_instance, to_plan
    from scheduler.nrp_eval import evaluate
    from solver.lns import solve_lns
    from solver.solve import solve
    from solver.types import SolveParams

    t0 = time.monotonic()
    inst = parse_instance(path)
    problem = compile_plan_fast(to_plan(inst, str(path)))
    prepared = time.monotonic() - t0
    params = SolveParams(time_limit=time_limit, workers=workers, seed=seed)
    solution = solve_lns(problem, params) if method == "lns" else solve(problem, params)
    record: dict[str, Any] = {
        "instance": inst.name,
        "days": inst.days,
        "staff": len(inst.staff),
        "shift_types": len(inst.shifts),
        "status": str(solution.status),
        "seconds": round(solution.seconds, 1),
        "prepare_seconds": round(prepared, 1),
        "bound": solution.bound,
        "solver_objective": solution.objective,
        "method": method,
        "settings": {"time_limit": time_limit, "workers": workers, "seed": seed},
        "stats": {k: v for k, v in solution.stats.items() if isinstance(v, int | float | str)},
    }
    if not solution.status.has_roster:
        raise RuntimeError(f"{inst.name}: no roster ({solution.status}): {solution.explanation}")
    roster = {s.id: [""] * inst.days for s in inst.staff}
    for o, v in solution.assignments:
        occ = problem.occurrences[o]
        row = roster[problem.volunteers[v].id]
        if row[occ.day]:
            raise RuntimeError(f"{inst.name}: two shifts for {problem.volunteers[v].id} on day "
                               f"{occ.day}")  # fmt: skip
        row[occ.day] = occ.shift
    ev = evaluate(inst, roster)
    record.update(objective=ev.objective, breakdown=ev.breakdown, roster=roster)
    report = check_roster(
        problem,
        build_roster(problem, status=solution.status, objective=solution.objective,
                     bound=solution.bound, pairs=solution.assignments),
    )  # fmt: skip
    problems = [f"evaluator: {v}" for v in ev.violations]
    problems += [f"checker: {v}" for v in report.violations]
    if solution.objective != ev.objective:
        problems.append(f"solver objective {solution.objective} != evaluator {ev.objective}")
    if report.objective != ev.objective:
        problems.append(f"checker objective {report.objective} != evaluator {ev.objective}")
    if problems or not report.ok:
        record["errors"] = problems or ["checker: not ok"]
    return record


def write_summary(
    out: Path, records: list[dict], best: dict[str, dict[str, str]], head: str
) -> str:
    rows = []
    for r in records:
        b = best.get(r["instance"], {})
        ub, lb = _number(b.get("best_known_ub")), _number(b.get("lower_bound"))
        gap = None if not ub else round(100 * (r["objective"] - ub) / ub, 2)
        rows.append(
            {**{k: r.get(k) for k in COLUMNS}, "best_known": ub, "lower_bound": lb,
             "gap_pct": gap, "machine": r["machine"], "time_limit": r["settings"]["time_limit"],
             "workers": r["settings"]["workers"], "seed": r["settings"]["seed"],
             "commit": r["commit"], "method": r.get("method")}
        )  # fmt: skip
    with (out / "summary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else list(COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    lines = [head, "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append(
            "| " + " | ".join("" if row[c] is None else str(row[c]) for c in COLUMNS) + " |"
        )
    lines.append("")
    for label, lo, hi in (("1-19", 1, 19), ("20-24", 20, 24)):
        ratios = [
            row["objective"] / row["best_known"]
            for row in rows
            if row["best_known"] and lo <= int(re.sub(r"\D", "", row["instance"]) or 0) <= hi
        ]
        if ratios:
            geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
            lines.append(f"Geometric mean objective/best known, instances {label} "
                         f"({len(ratios)} here): {geo:.4f}")  # fmt: skip
    hits = [row["instance"] for row in rows if row["best_known"] == row["objective"]]
    lines.append(f"At best known: {', '.join(hits) or 'none'}")
    text = "\n".join(lines) + "\n"
    (out / "summary.md").write_text(text, encoding="utf-8")
    return text


@click.command("nrp")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--time-limit", type=float, default=60.0, show_default=True, help="seconds each")
@click.option("--workers", type=int, default=2, show_default=True, help="CP-SAT workers")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("bench-out/nrp"),
              show_default=True)  # fmt: skip
@click.option("--force", is_flag=True, help="re-solve instances already in --out")
@click.option("--method", type=click.Choice(["lns", "cp-sat"]), default="lns", show_default=True)
@click.option("--best-known", type=click.Path(path_type=Path), default=None,
              help="CSV of bounds [default: ../best_known.csv from the files]")  # fmt: skip
def nrp(
    files: tuple[Path, ...], time_limit: float, workers: int, seed: int, out: Path,
    force: bool, method: str, best_known: Path | None,
) -> None:  # fmt: skip
    """Solve Curtois & Qu benchmark FILES and write OUT/InstanceN.json, summary.md/.csv."""
    paths = sorted(set(files), key=natural_key)
    out.mkdir(parents=True, exist_ok=True)
    best = read_best_known(best_known or paths[0].resolve().parent.parent / "best_known.csv")
    where, commit = machine(), git_commit()
    records, failed = [], []
    for path in paths:
        target = out / f"{path.stem}.json"
        if target.exists() and not force:
            records.append(json.loads(target.read_text(encoding="utf-8")))
            click.echo(f"{path.stem}: kept {target} (use --force to re-solve)", err=True)
            continue
        click.echo(f"{path.stem}: solving ({method}, {time_limit:g} s)...", err=True)
        try:
            record = solve_instance(path, time_limit, workers, seed, method)
        except RuntimeError as exc:
            failed.append(str(exc))
            click.echo(f"FAILED {exc}", err=True)
            continue
        record.update(machine=where, commit=commit)
        if record.get("errors"):
            failed.append(f"{path.stem}: " + "; ".join(record["errors"][:5]))
            (out / f"{path.stem}.failed.json").write_text(json.dumps(record), encoding="utf-8")
            click.echo(f"FAILED {failed[-1]}", err=True)
            continue
        target.write_text(json.dumps(record) + "\n", encoding="utf-8")
        records.append(record)
        click.echo(f"{path.stem}: objective {record['objective']} ({record['status']}, "
                   f"{record['seconds']} s)", err=True)  # fmt: skip
    head = (
        f"# rota on the Curtois & Qu benchmark\n\nMachine: {where}. Settings: method {method}, "
        f"time limit {time_limit:g} s, {workers} workers, seed {seed}, rota commit {commit}. "
        "Objective = the independent evaluator's score of the roster; seconds = solve time "
        "(model building included, import/compile excluded)."
    )
    click.echo(write_summary(out, records, best, head))
    if failed:
        raise click.ClickException(f"{len(failed)} instance(s) failed:\n" + "\n".join(failed))
