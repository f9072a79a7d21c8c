"""``rota bench scale``: city decomposition from 1k to 150k volunteers, one row per size.

Each size is generated (``scheduler.generate_city``, seeded), then planned by
:func:`solver.decompose.plan_city` in a fresh child process while this process samples
the RSS of the child's whole process tree (pool workers included) every 0.2 s: "peak MiB"
is the largest sum seen. Seconds are wall time from loading the config to a checked
roster (the checker runs inside: ``check s``). "greedy" is the greedy (hand method) run
part by part, the hint the parts start from; "greedy*" the greedy on the whole plan (small
sizes only, not timed); "bound" is the regional coverage bound
(:func:`solver.bound.regional_bound`); gap = (bound - coverage) / bound.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

WHOLE_GREEDY_MAX = 20_000
"""Up to this many volunteers the greedy is also run on the whole plan (not timed)."""


def _tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) / 2**20
    except OSError:
        mem = float("nan")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {mem:.1f} GiB RAM, "
        f"Python {platform.python_version()}, load average {load:.2f} at start"
    )


def run_one(spec: dict[str, Any]) -> dict[str, Any]:
    """Generate, load and plan one size (runs in the child process); the row's figures."""
    from scheduler.generate_city import write_city
    from scheduler.loading import load_plan
    from solver.decompose import CityOptions, plan_city

    cfg_path, _ = write_city(spec["kind"], spec["seed"], spec["dir"], volunteers=spec["size"])
    t0 = time.monotonic()
    plan = load_plan(cfg_path)
    loaded = time.monotonic() - t0
    options = CityOptions(**spec["options"])
    result = plan_city(plan, options)
    seconds = time.monotonic() - t0
    s = result.stats
    whole = None
    if len(plan.volunteers) <= WHOLE_GREEDY_MAX:  # the hand method on the undivided plan
        from scheduler.fast_compile import compile_plan_fast
        from scheduler.greedy import greedy
        from solver.bound import weighted_coverage

        problem = compile_plan_fast(plan)
        whole = weighted_coverage(problem, greedy(problem))
    return {
        "volunteers": len(plan.volunteers),
        "sites": len(plan.config.sites),
        "seconds": round(seconds, 1),
        "greedy_whole": whole,
        "load_seconds": round(loaded, 1),
        "stats": {k: v for k, v in s.items() if k != "cost"},
        "shortfalls": len(result.roster.shortfalls),
        "assignments": len(result.roster.assignments),
    }


def _measure(spec: dict[str, Any]) -> tuple[dict[str, Any], int]:
    code = "import json,sys; from rota.cli.bench_scale import run_one; " + (
        "print('RESULT ' + json.dumps(run_one(json.loads(sys.argv[1]))))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(spec)], stdout=subprocess.PIPE, text=True
    )
    peak = 0

    def sample() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise click.ClickException(f"size {spec['size']}: the run failed (exit {proc.returncode})")
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :]), peak


@click.command("scale")
@click.option("--sizes", default="1000,10000,50000,150000", show_default=True)
@click.option("--kind", type=click.Choice(["huaian", "expo"]), default="huaian", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--processes", type=int, default=None, help="[default: cores]")
@click.option("--time-limit", type=float, default=600.0, show_default=True)
@click.option("--part-time-limit", type=float, default=None)
@click.option(
    "--solver",
    type=click.Choice(["gap-only", "auto", "cp-sat", "greedy"]),
    default="gap-only",
    show_default=True,
)
@click.option(
    "--dir",
    "work_dir",
    type=click.Path(path_type=Path),
    default=Path("bench-out/scale"),
    show_default=True,
    help="where the generated configs go",
)
def scale(
    sizes: str,
    kind: str,
    seed: int,
    processes: int | None,
    time_limit: float,
    part_time_limit: float | None,
    solver: str,
    work_dir: Path,
) -> None:
    """Seconds, peak memory, coverage, bound, gap and greedy per number of volunteers."""
    try:
        counts = [int(x) for x in sizes.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter("comma-separated integers", param_hint="--sizes") from None
    options = {
        "time_limit": time_limit,
        "part_time_limit": part_time_limit,
        "processes": processes,
        "seed": seed,
        "solver": solver,
    }
    click.echo(f"# rota bench scale --kind {kind} --seed {seed} --solver {solver}")
    click.echo(f"# machine: {machine()}")
    head = (
        f"{'volunteers':>10} {'sites':>5} {'parts':>5} {'seconds':>8} {'peak MiB':>8} "
        f"{'coverage':>10} {'bound':>10} {'gap %':>7} {'greedy':>10} {'greedy*':>10} "
        f"{'check s':>7} {'short':>5}"
    )
    click.echo(head)
    for n in counts:
        spec = {"kind": kind, "seed": seed, "size": n, "dir": str(work_dir), "options": options}
        row, peak = _measure(spec)
        s = row["stats"]
        click.echo(
            f"{row['volunteers']:>10} {row['sites']:>5} {s['parts']:>5} {row['seconds']:>8.1f} "
            f"{peak / 2**20:>8.0f} {s['coverage']:>10.0f} {s['coverage_bound']:>10.0f} "
            f"{100 * s['gap']:>7.3f} {s['greedy_coverage_parts']:>10.0f} "
            f"{'-' if row['greedy_whole'] is None else format(row['greedy_whole'], '.0f'):>10} "
            f"{s.get('check_seconds', float('nan')):>7.1f} {row['shortfalls']:>5}"
        )
        detail = {k: s[k] for k in sorted(s) if k.endswith("seconds")}
        click.echo(
            f"#   {n}: demand {s['demand']:g}, {row['assignments']} assignments, load "
            f"{row['load_seconds']} s; " + json.dumps(detail)
        )
    click.echo(
        "# coverage = sum priority x min(staffed, need); bound = regional LP/supply bound; "
        "greedy = the greedy part by part (the hint); greedy* = the greedy on the whole plan "
        f"(up to {WHOLE_GREEDY_MAX} volunteers); short = shortfall entries (people or skills)"
    )
