"""``rota bench scenarios``: the optimiser against the hand method (greedy fill), per config.

Each config is solved twice, each time in a fresh ``spawn`` subprocess so its peak RSS is
its own: by :func:`solver.pipeline.plan_roster` and by :func:`scheduler.greedy.greedy`
(a coordinator filling the grid by hand: least-used eligible person first). Both rosters
go through :func:`scheduler.checker.check_roster`; a violation is printed loudly and the
command exits 1. City-scale configs (S3, S5) are loaded and validated only, unless
``--include-large``.

Weighted shortfall = sum over short occurrences of uncovered * priority * missing +
missing_skill * missing skilled people: the part of the cost that is unmet demand.
"""

from __future__ import annotations

import concurrent.futures as cf
import glob
import json
import multiprocessing as mp
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import click

SCENARIOS = {  # plan id -> scenario number of ../shared/spec/scenarios.md
    "shanghai-station": "S1",
    "jingan-communities": "S2",
    "expo": "S3",
    "jinshan-checkpoints": "S4",
    "huaian": "S5",
    "lianyungang": "S6",
    "xuchang-redcross": "S7",
    "xuchang-meals": "S8",
    "xuchang-traffic": "S9",
}
LARGE_VOLUNTEERS = 5_000  # above this a config is "large": validated only unless asked


def machine() -> str:
    """CPU model, cores, RAM, Python and OR-Tools versions."""
    model = platform.processor() or platform.machine()
    ram = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f", {int(line.split()[1]) / 1024**2:.1f} GiB RAM"
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        ortools = version("ortools")
    except Exception:  # pragma: no cover - ortools is a dependency
        ortools = "?"
    return (
        f"{model}, {os.cpu_count()} cores{ram}; Python {platform.python_version()}, "
        f"OR-Tools {ortools}"
    )


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _measures(problem: Any, roster: Any, report: Any) -> dict[str, Any]:
    w = problem.config.weights
    demand = sum(o.need for o in problem.occurrences)
    occ = problem.occurrence_index
    weighted = 0
    missing = 0
    for s in roster.shortfalls:
        o = problem.occurrences[occ[(s.site, s.shift, s.start.isoformat())]]
        weighted += w.uncovered * o.priority * s.missing + w.missing_skill * sum(
            s.missing_skills.values()
        )
        missing += s.missing
    has = roster.status.has_roster
    return {
        "status": roster.status.value,
        "objective": roster.objective,
        "bound": roster.bound,
        "coverage_pct": round(100 * (demand - missing) / demand, 2) if demand and has else None,
        "weighted_shortfall": weighted if has else None,
        "assignments": len(roster.assignments),
        "violations": list(report.violations) if report is not None else [],
    }


def run_one(path: str, method: str, time_limit: float, workers: int, seed: int) -> dict[str, Any]:
    """Load, compile and solve one config by ``method`` (``cp-sat`` | ``greedy`` | ``validate``).

    Runs in a fresh subprocess; returns plain data (picklable).
    """
    from scheduler.errors import ConfigError

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    out: dict[str, Any] = {"config": path, "method": method}
    try:
        from scheduler.loading import load_plan

        plan = load_plan(path)
    except ConfigError as err:
        return {**out, "status": "invalid", "error": "; ".join(str(p) for p in err.problems)}
    out.update(
        plan=plan.config.plan,
        sites=len(plan.config.sites),
        volunteers=len(plan.volunteers),
        load_seconds=round(time.perf_counter() - t0, 2),
    )
    if method == "validate":
        from scheduler.expand import expand

        occs = expand(plan.config)
        out.update(
            status="validated only (issue 5)",
            occurrences=len(occs),
            demand=sum(o.need for o in occs),
            peak_mb=round(_rss_mb(), 1),
        )
        return out
    from scheduler.build import build_roster
    from scheduler.checker import RosterInvalid, check_roster
    from scheduler.problem import compile_plan

    t_compile = time.perf_counter()
    if len(plan.volunteers) > LARGE_VOLUNTEERS:  # city scale: vectorised, same Problem
        from scheduler.fast_compile import compile_plan_fast as compile_plan
    problem = compile_plan(plan)
    out.update(
        occurrences=len(problem.occurrences),
        variables=problem.n_pairs,
        compile_seconds=round(time.perf_counter() - t_compile, 2),
    )
    rss1, t1 = _rss_mb(), time.perf_counter()
    if method == "greedy":
        from scheduler.cost import total_cost
        from scheduler.greedy import greedy

        pairs = greedy(problem)
        roster = build_roster(
            problem, status="feasible", objective=total_cost(problem, pairs), bound=None,
            pairs=pairs,
        )  # fmt: skip
    else:
        from solver.pipeline import plan_roster
        from solver.types import SolveParams

        try:
            roster, _ = plan_roster(
                problem, SolveParams(time_limit=time_limit, workers=workers, seed=seed)
            )
        except RosterInvalid as err:
            return {**out, "status": "INVALID ROSTER", "violations": list(err.violations)}
    seconds = time.perf_counter() - t1
    report = check_roster(problem, roster)
    out.update(_measures(problem, roster, report))
    out.update(
        seconds=round(seconds, 2),
        peak_mb=round(_rss_mb(), 1),
        solve_mb=round(max(0.0, _rss_mb() - max(rss0, rss1)), 1),
    )
    return out


def run_isolated(path: str, method: str, time_limit: float, workers: int, seed: int) -> dict:
    """:func:`run_one` in a fresh ``spawn`` process (a clean peak RSS; a crash is a row)."""
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        future = pool.submit(run_one, path, method, time_limit, workers, seed)
        try:
            return future.result()
        except Exception as exc:  # the child died or raised: report it, keep benchmarking
            return {"config": path, "method": method, "status": "error", "error": repr(exc)}


def _fmt(x: Any, spec: str = "") -> str:
    if x is None or x == "":
        return "—"
    if not spec and isinstance(x, float):
        return f"{x:.1f}"
    return format(x, spec) if spec else str(x)


def _gap(r: dict[str, Any]) -> str:
    obj, bound = r.get("objective"), r.get("bound")
    if obj is None or bound is None:
        return "—"
    bound = max(0, bound)  # costs are never negative: a negative bound proves no more than 0
    return f"{100 * (obj - bound) / obj:.1f}%" if obj > 0 else "0.0%"


def print_table(results: list[dict[str, Any]], header: str) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    console.print(f"rota bench scenarios — {header}", markup=False)
    table = Table(show_lines=False)
    for col in ("scenario", "method", "occ", "vars", "status", "objective", "bound", "gap",
                "cover %", "w.short", "s", "peak MB"):  # fmt: skip
        table.add_column(
            col, justify="left" if col in ("scenario", "method", "status") else "right"
        )
    for r in results:
        plan = r.get("plan") or Path(r["config"]).stem
        label = f"{SCENARIOS.get(plan, '')} {plan}".strip()
        status = r.get("status", "?")
        if r.get("violations"):
            status = f"[bold red]{status}: {len(r['violations'])} VIOLATIONS[/]"
        table.add_row(
            label, r["method"], _fmt(r.get("occurrences")), _fmt(r.get("variables")), status,
            _fmt(r.get("objective")), _fmt(r.get("bound")), _gap(r),
            _fmt(r.get("coverage_pct"), ".1f"), _fmt(r.get("weighted_shortfall")),
            _fmt(r.get("seconds"), ".1f"), _fmt(r.get("peak_mb"), ".0f"),
        )  # fmt: skip
    console.print(table)


def _default_configs() -> list[str]:
    return sorted(glob.glob("configs/*.yaml"))


@click.command("scenarios")
@click.option(
    "--configs", "configs", multiple=True, help="config files or globs (default configs/*.yaml)"
)
@click.option("--time-limit", type=float, default=30.0, show_default=True, help="s per solve")
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--skip-large", is_flag=True, help="leave out city-scale configs entirely")
@click.option("--include-large", is_flag=True, help="solve city-scale configs too")
@click.option("--json", "json_out", type=click.Path(path_type=Path), help="also write results")
def scenarios(
    configs: tuple[str, ...],
    time_limit: float,
    workers: int,
    seed: int,
    skip_large: bool,
    include_large: bool,
    json_out: Path | None,
) -> None:
    """Solve every scenario config by CP-SAT and by the greedy hand method; print a table."""
    paths: list[str] = []
    for pattern in configs or _default_configs():
        found = sorted(glob.glob(pattern)) or [pattern]
        paths.extend(p for p in found if p not in paths)
    if not paths:
        raise click.ClickException("no configs found (give --configs)")
    header = f"{machine()}; time limit {time_limit:g} s, {workers} workers, seed {seed}"
    results: list[dict[str, Any]] = []
    for path in paths:
        first = run_isolated(path, "validate", time_limit, workers, seed)
        large = first.get("volunteers", 0) > LARGE_VOLUNTEERS
        if first["status"] in ("invalid", "error"):
            results.append(first)
            continue
        if large and skip_large:
            continue
        if large and not include_large:
            results.append(first)
            continue
        for method in ("cp-sat", "greedy"):
            click.echo(f"  {path}: {method} ...", err=True)
            results.append(run_isolated(path, method, time_limit, workers, seed))
    print_table(results, header)
    if json_out is not None:
        json_out.write_text(
            json.dumps({"machine": header, "results": results}, indent=2, default=str) + "\n"
        )
    bad = [r for r in results if r.get("violations") or r["status"] in ("invalid", "error")]
    bad += [r for r in results if r["status"] == "INVALID ROSTER" and r not in bad]
    for r in bad:
        click.secho(f"FAILED {r['config']} ({r['method']}): {r['status']}", fg="red", err=True)
        for line in r.get("violations", [])[:20]:
            click.secho(f"  - {line}", fg="red", err=True)
        if r.get("error"):
            click.secho(f"  {r['error']}", fg="red", err=True)
    if bad:
        raise SystemExit(1)
