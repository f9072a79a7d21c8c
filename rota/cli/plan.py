"""``rota validate`` and ``rota plan``: the embedded path (no Redis)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rota.cli.common import EXIT_NO_ROSTER

if TYPE_CHECKING:
    from rich.text import Text

    from scheduler.loading import Parsed
    from scheduler.problem import Problem
    from scheduler.roster import Roster
    from solver.types import Progress


CITY_SCALE_VOLUNTEERS = 5_000
"""From this many volunteers on, eligibility is computed lazily (numpy, per occurrence)
and ``rota plan`` plans by zone as ``rota plan-city`` does."""


def _load(config: Path, *, lazy: bool = False, parsed: Parsed | None = None) -> Problem:
    """Load (warnings to stderr) and compile; ConfigError propagates (exit 2 via RotaGroup).

    City-scale plans compile with the vectorised, lazy eligibility index when ``lazy``.
    ``parsed``: the YAML as ``read_yaml`` returned it, if read already.
    """
    from scheduler.errors import Problem as InputProblem
    from scheduler.loading import load_plan
    from scheduler.problem import compile_plan

    warnings: list[InputProblem] = []
    plan_ = load_plan(config, with_warnings=warnings, parsed=parsed)
    for w in warnings:
        click.echo(str(w), err=True)
    if lazy and len(plan_.volunteers) >= CITY_SCALE_VOLUNTEERS:
        from scheduler.fast_compile import compile_plan_fast

        return compile_plan_fast(plan_, lazy=True)
    return compile_plan(plan_)


def _is_city_scale(config: Path, data: Any = None) -> bool:
    """A cheap look at the config (its parsed YAML ``data``, read here if not given): is it
    city scale (counted from the volunteer CSV)?"""
    if data is None:
        from scheduler.loading import read_yaml

        data, _ = read_yaml(config)
    src = data.get("volunteers") if isinstance(data, dict) else None
    if not isinstance(src, dict):
        return False
    people = src.get("people")
    count = len(people) if isinstance(people, list) else 0
    csv_name = src.get("csv")
    if isinstance(csv_name, str) and isinstance(src.get("generate"), dict):
        from scheduler.generate_recipe import recipe_size

        # loading (re)writes a missing or stale CSV from the recipe: its size is the count
        count += recipe_size(src["generate"])
    elif isinstance(csv_name, str):
        path = config.parent / csv_name
        if path.is_file():
            try:
                with path.open("rb") as fh:
                    count += max(0, sum(1 for _ in fh) - 1)
            except OSError:
                pass  # loading the config reports it (exit 2)
    return count >= CITY_SCALE_VOLUNTEERS


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
def validate(config: Path) -> None:
    """Check CONFIG (and its volunteer CSV) without solving.

    Prints a one-line summary (sites, volunteers, days, shift occurrences, person-shifts
    needed, eligible volunteer-shift pairs). Warnings (e.g. a required skill nobody holds)
    go to stderr and still exit 0. Invalid input: one line per problem on stderr
    (file[:line]: field path: message) and exit 2.
    """
    problem = _load(config, lazy=True)
    cfg = problem.config
    demand = sum(o.need for o in problem.occurrences)
    pairs = (
        "eligible pairs counted when planning (city scale)"
        if len(problem.volunteers) >= CITY_SCALE_VOLUNTEERS
        else f"{problem.n_pairs} eligible pairs"
    )
    click.echo(
        f"{cfg.plan}: {len(cfg.sites)} sites, {len(problem.volunteers)} volunteers, "
        f"{cfg.horizon.days} days from {cfg.horizon.start}, {len(problem.occurrences)} shift "
        f"occurrences needing {demand} person-shifts, {pairs}"
    )


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:g}" if isinstance(x, float) else str(x)


def gap_percent(objective: float | None, bound: float | None) -> float | None:
    """Relative gap between the best objective and the bound, in percent.

    Costs are never negative, so a negative bound counts as 0.
    """
    if objective is None or bound is None:
        return None
    bound = max(bound, 0)
    if objective == bound:
        return 0.0
    return 100.0 * abs(objective - bound) / max(abs(objective), 1e-9)


class ProgressView:
    """Solver progress: a live line on a terminal, plain throttled lines otherwise."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.t0 = time.monotonic()
        self.objective: float | None = None
        self.bound: float | None = None
        self._last_line = -1e9
        self._lock = threading.Lock()

    def line(self) -> str:
        gap = gap_percent(self.objective, self.bound)
        return (
            f"solving {time.monotonic() - self.t0:6.1f} s   best {_fmt(self.objective)}   "
            f"bound {_fmt(self.bound)}   gap {'-' if gap is None else f'{gap:.1f}%'}"
        )

    def __rich__(self) -> Text:
        from rich.text import Text

        return Text(self.line())

    def __call__(self, p: Progress) -> None:
        with self._lock:
            self.objective, self.bound = p.objective, p.bound
            now = time.monotonic()
            if not self.live and now - self._last_line >= 1.0:
                self._last_line = now
                click.echo(self.line(), err=True)


MAX_STARTUP_SECONDS = 10.0
"""A process older than this is not starting up: the command runs inside another."""


def _seconds_since_process_start() -> float:
    """How long this process has run (interpreter start and imports included), from
    /proc on Linux; 0 where that cannot be read, or where it is too long for a start-up
    (the command invoked inside a long-running process, as tests do)."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: ticks after boot
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    since = max(0.0, uptime - started)
    return since if since <= MAX_STARTUP_SECONDS else 0.0


RUN_RESERVE = 0.8
"""Seconds kept back from the solver for the process' end (0.6 s of interpreter
teardown measured on S6) and the solver's overrun of its limit; the process' start and
imports are counted as spent."""
EXPORT_SECONDS = (0.0006, 0.0004)
"""Seconds to write the exports per person-shift of need and per volunteer: about twice
what one 2-core EPYC measured after calendars wrote their VTIMEZONE once (0.28 ms and
0.19 ms: S1 0.23 s, S6 0.70 s, S9 0.68 s, QA's 4 000-volunteer config 0.98 s); a machine
half as fast (session 9's) still fits. The per-volunteer figure was 1.5 ms before, which
left 6 of QA's 4 000-volunteer config's 10 s unused."""
MIN_SOLVE = 0.5


def solver_budget(problem: Problem, time_limit: float, spent: float) -> float:
    """The solver's share of ``--time-limit``: what loading (``spent``) left, less the
    run's reserve and the exports' estimated time, so that the whole run fits the limit
    (never below MIN_SOLVE, or the limit itself if that is smaller)."""
    need = sum(o.need for o in problem.occurrences)
    per_need, per_volunteer = EXPORT_SECONDS
    reserve = RUN_RESERVE + per_need * need + per_volunteer * len(problem.volunteers)
    return max(min(time_limit, MIN_SOLVE), time_limit - spent - reserve)


def _solve(problem: Problem, params_kw: dict, quiet: bool) -> tuple[Roster, float]:
    from solver.pipeline import plan_roster
    from solver.types import SolveParams

    t0 = time.monotonic()
    if quiet:
        roster, _ = plan_roster(problem, SolveParams(**params_kw))
        return roster, time.monotonic() - t0
    from rich.console import Console

    console = Console(stderr=True)
    view = ProgressView(live=console.is_terminal)
    params = SolveParams(**params_kw, on_progress=view)
    if view.live:
        from rich.live import Live

        with Live(view, console=console, refresh_per_second=4, transient=True):
            roster, _ = plan_roster(problem, params)
    else:
        roster, _ = plan_roster(problem, params)
    return roster, time.monotonic() - t0


def _summary(problem: Problem, roster: Roster, seconds: float, written: list[Path]) -> None:
    from scheduler.exports.report import coverage_counts

    if not roster.status.has_roster:
        click.echo(f"{roster.plan}: {roster.status.value}, no roster, {seconds:.1f} s")
    else:
        gap = gap_percent(roster.objective, roster.bound)
        gap_s = "" if gap is None else f" (gap {gap:.1f}%)"
        click.echo(
            f"{roster.plan}: {roster.status.value}, objective {_fmt(roster.objective)}, "
            f"bound {_fmt(roster.bound)}{gap_s}, {seconds:.1f} s"
        )
        from solver.pipeline import CHEAPEST_FIRST

        source = roster.stats.get("roster_source")
        if roster.stats.get("shortfall_guard"):
            click.echo(
                "held to the hand method's shortfall: the cheapest roster found (objective "
                f"{_fmt(roster.stats.get('guarded_objective'))}) leaves more uncovered x "
                "priority plus missing skilled people than greedy's (README: the shortfall "
                "guard)"
            )
        elif source in ("greedy", CHEAPEST_FIRST):
            how = "" if source == "greedy" else ", each shift's cheapest volunteers first"
            click.echo(
                f"this is the hand-method (greedy{how}) roster: CP-SAT found none better "
                f"({roster.stats.get('cp_sat_result')}) within the time limit"
            )
        covered, demand = coverage_counts(problem, roster)
        pct = 100.0 * covered / demand if demand else 100.0
        click.echo(
            f"coverage {pct:.1f}% ({covered} of {demand} person-shifts); shortfalls: "
            f"{len(roster.shortfalls)} shifts, {roster.total_missing} person-shifts uncovered, "
            f"{roster.total_missing_skills} skilled people missing; "
            f"{len(roster.assignments)} assignments"
        )
    ics = [p for p in written if p.suffix == ".ics"]
    names = [str(p) for p in written if p.suffix != ".ics"]
    if ics:
        names.append(f"{ics[0].parent}/ ({len(ics)} calendars)")
    click.echo("wrote " + ", ".join(names))


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    metavar="DIR",
    help="output directory (created only once the config loaded and the solve ended)",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="seconds for the whole run, from the process' start (loading, solving, writing): "
    "the solver gets what start-up and loading leave, less a reserve for writing the "
    "exports; on large models a restricted model is solved when the whole one would not "
    "build in time; a limit shorter than loading and writing alone is exceeded by them",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="CP-SAT search workers",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="solver random seed (the search's phases end by the clock, so two runs with "
    "one seed may still differ)",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="no progress and no summary; warnings and errors still go to stderr",
)
def plan(
    config: Path, out_dir: Path, time_limit: float, workers: int, seed: int, quiet: bool
) -> None:
    """Solve CONFIG in-process and write the roster and its exports to --out.

    \b
    Writes into DIR: roster.json (the contract format), by-site.csv, by-volunteer.csv,
    calendars/<volunteer>.ics and report.html. Files are written to a staging directory
    and renamed into place, so a failure leaves DIR as it was; other files in DIR are
    not touched.
    Progress goes to stderr (a live line on a terminal), the summary to stdout.
    CP-SAT starts from the hand-method (greedy) roster; if it finds nothing better within
    the time limit, that roster is published (when it passes the independent checker),
    or the same method taking each shift's cheapest volunteers first when that costs
    less and leaves no more shortfall. Below city scale no roster written leaves more
    weighted shortfall (uncovered x priority plus missing skilled people) than the hand
    method's, whatever the other weights. A solver roster the independent checker
    rejects (a bug) is never written: the hand-method roster is, with a warning.
    City-scale configs (5,000 volunteers or more) are planned by zone as `rota plan-city`
    does and get roster.json only.

    \b
    Exit codes:
      0  a roster was written (it may have shortfalls: they are listed in it)
      1  internal error or DIR cannot be written (DIR is left as it was)
      2  invalid input: one line per problem on stderr; nothing is written
      3  no roster: the hard limits contradict each other (the explanation is printed)
         or time ran out first; DIR gets only roster.json (status infeasible/unknown,
         with the explanation) and earlier exports in DIR are removed
    """
    since = _seconds_since_process_start()  # the budget counts from the process' start
    started, started_wall = time.monotonic() - since, time.time() - since
    from scheduler.loading import read_yaml

    parsed = read_yaml(config)  # once: for the size check and the loading
    if _is_city_scale(config, parsed[0]):
        from rota.cli.plan_city import run_city

        click.echo(
            f"{config}: city scale (>= {CITY_SCALE_VOLUNTEERS} volunteers): planning by zone "
            "as `rota plan-city` does (roster.json only)",
            err=True,
        )
        run_city(
            config, out_dir, started=started_wall, time_limit=time_limit, seed=seed, parsed=parsed
        )
        return
    problem = _load(config, parsed=parsed)  # invalid input stops here: exit 2, nothing written

    from scheduler.checker import RosterInvalid
    from scheduler.exports import write_exports
    from solver import colgen, pipeline  # noqa: F401  (imported now: the budget counts it)

    budget = solver_budget(problem, time_limit, time.monotonic() - started)
    params_kw = {"time_limit": budget, "workers": workers, "seed": seed}
    try:
        roster, seconds = _solve(problem, params_kw, quiet)
    except RosterInvalid as err:
        raise click.ClickException(
            f"internal error: the solver's roster failed the independent check, "
            f"nothing written: {err}"
        ) from None
    rejected = roster.stats.get("rejected_roster")
    if rejected:
        click.echo(
            "warning: internal error: the solver's roster failed the independent check "
            f"({rejected}); the hand-method roster, which passes it, is written instead",
            err=True,
        )
    try:
        written = write_exports(problem, roster, out_dir)
    except OSError as err:
        raise click.ClickException(f"cannot write {out_dir}: {err}") from None
    if not quiet:
        _summary(problem, roster, seconds, written)
    if not roster.status.has_roster:
        why = roster.explanation or "no explanation available"
        if roster.status.value == "unknown":
            why += "; try a longer --time-limit"
        click.echo(f"no roster ({roster.status.value}): {why}", err=True)
        click.get_current_context().exit(EXIT_NO_ROSTER)
