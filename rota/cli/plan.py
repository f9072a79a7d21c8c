"""``rota validate`` and ``rota plan``: the embedded path (no Redis)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from rota.cli.common import EXIT_NO_ROSTER

if TYPE_CHECKING:
    from rich.text import Text

    from scheduler.problem import Problem
    from scheduler.roster import Roster
    from solver.types import Progress


def _load(config: Path) -> Problem:
    """Load (warnings to stderr) and compile; ConfigError propagates (exit 2 via RotaGroup)."""
    from scheduler.errors import Problem as InputProblem
    from scheduler.loading import load_plan
    from scheduler.problem import compile_plan

    warnings: list[InputProblem] = []
    plan_ = load_plan(config, with_warnings=warnings)
    for w in warnings:
        click.echo(str(w), err=True)
    return compile_plan(plan_)


@click.command()
@click.argument("config", type=click.Path(path_type=Path))
def validate(config: Path) -> None:
    """Check CONFIG (and its volunteer CSV) without solving.

    Prints a one-line summary (sites, volunteers, days, shift occurrences, person-shifts
    needed, eligible volunteer-shift pairs). Warnings (e.g. a required skill nobody holds)
    go to stderr and still exit 0. Invalid input: one line per problem on stderr
    (file[:line]: field path: message) and exit 2.
    """
    problem = _load(config)
    cfg = problem.config
    demand = sum(o.need for o in problem.occurrences)
    click.echo(
        f"{cfg.plan}: {len(cfg.sites)} sites, {len(problem.volunteers)} volunteers, "
        f"{cfg.horizon.days} days from {cfg.horizon.start}, {len(problem.occurrences)} shift "
        f"occurrences needing {demand} person-shifts, {problem.n_pairs} eligible pairs"
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
        if roster.stats.get("roster_source") == "greedy":
            click.echo(
                "this is the hand-method (greedy) roster: CP-SAT found none better "
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
    help="solver time limit in seconds",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="CP-SAT search workers",
)
@click.option("--seed", type=int, default=1, show_default=True, help="solver random seed")
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
    the time limit, that roster is published (when it passes the independent checker).

    \b
    Exit codes:
      0  a roster was written (it may have shortfalls: they are listed in it)
      1  internal error or DIR cannot be written (DIR is left as it was)
      2  invalid input: one line per problem on stderr; nothing is written
      3  no roster: the hard limits contradict each other (the explanation is printed)
         or time ran out first; DIR gets only roster.json (status infeasible/unknown,
         with the explanation) and earlier exports in DIR are removed
    """
    problem = _load(config)  # invalid input stops here: exit 2, nothing written

    from scheduler.checker import RosterInvalid
    from scheduler.exports import write_exports

    params_kw = {"time_limit": time_limit, "workers": workers, "seed": seed}
    try:
        roster, seconds = _solve(problem, params_kw, quiet)
    except RosterInvalid as err:
        raise click.ClickException(
            f"internal error: the solver's roster failed the independent check, "
            f"nothing written: {err}"
        ) from None
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
