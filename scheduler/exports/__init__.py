"""Everything ``rota plan`` publishes into its output directory.

``write_exports(problem, roster, out_dir)`` writes ``roster.json`` (the contract format),
``by-site.csv``, ``by-volunteer.csv``, ``calendars/<volunteer>.ics`` and ``report.html``.
A roster without assignments to publish (status infeasible or unknown) gets ``roster.json``
only, and the other exports of an earlier run in ``out_dir`` are removed so nothing stale
sits next to it.

Files are first written into a temporary directory (inside ``out_dir`` when it exists,
else next to it) and then renamed into place (``roster.json`` last), so a failure while
writing leaves the previous contents of ``out_dir`` as they were and no half-written
file. Other files in ``out_dir`` are never touched.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from pathlib import Path

from scheduler.exports.calendars import write_calendars
from scheduler.exports.csv_sheets import write_by_site, write_by_volunteer
from scheduler.exports.report import write_report
from scheduler.problem import Problem
from scheduler.roster import Roster

ROSTER = "roster.json"
BY_SITE = "by-site.csv"
BY_VOLUNTEER = "by-volunteer.csv"
CALENDARS = "calendars"
REPORT = "report.html"
# Replaced in this order; roster.json last, so a reader that sees a new roster.json sees
# the exports that go with it.
OWNED = (BY_SITE, BY_VOLUNTEER, CALENDARS, REPORT, ROSTER)

__all__ = ["OWNED", "write_exports"]


def _write_all(problem: Problem, roster: Roster, into: Path, stamp: dt.datetime | None) -> None:
    roster.write(into / ROSTER)
    if not roster.status.has_roster:
        return
    write_by_site(problem, roster, into / BY_SITE)
    write_by_volunteer(problem, roster, into / BY_VOLUNTEER)
    write_calendars(problem, roster, into / CALENDARS, stamp=stamp)
    write_report(problem, roster, into / REPORT)


def _swap_in(staged: Path, out_dir: Path, trash: Path) -> None:
    """Move every owned entry of ``staged`` into ``out_dir``; remove owned entries it lacks."""
    trash.mkdir()
    for name in OWNED:
        src, dst = staged / name, out_dir / name
        if src.is_file() and not dst.is_dir():
            os.replace(src, dst)  # atomic for files
            continue
        if dst.exists() or dst.is_symlink():
            dst.rename(trash / name)
        if src.exists():
            src.rename(dst)


def _listing(out_dir: Path) -> list[Path]:
    paths = [out_dir / n for n in OWNED if (out_dir / n).is_file()]
    cal = out_dir / CALENDARS
    if cal.is_dir():
        paths.extend(sorted(cal.glob("*.ics")))
    return paths


def write_exports(
    problem: Problem, roster: Roster, out_dir: Path, *, stamp: dt.datetime | None = None
) -> list[Path]:
    """Write the roster and its exports into ``out_dir`` (created if missing).

    Returns the paths written. ``stamp`` (UTC) is the calendars' DTSTAMP (default: now).
    Raises OSError when the directory cannot be written; ``out_dir`` is then unchanged.
    """
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    # Stage on the same file system as the destination, so renames are atomic: inside
    # out_dir when it exists (its parent may be read-only), else next to it.
    fresh = not out_dir.exists()
    if fresh:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    home = out_dir.parent if fresh else out_dir
    staged = home / f".{out_dir.name}.rota-{os.getpid()}-{secrets.token_hex(4)}"
    staged.mkdir(mode=0o777)  # the umask applies, as for a directory made by hand
    try:
        _write_all(problem, roster, staged, stamp)
        if fresh:
            staged.rename(out_dir)
        else:
            _swap_in(staged, out_dir, staged / ".replaced")
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    return _listing(out_dir)
