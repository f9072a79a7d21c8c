"""An independent roster checker: every hard rule, every shortfall and the cost, again.

It reads only the config (``problem.plan``) and the roster's JSON fields (volunteer id,
site, shift, start, end). It does **not** use ``problem.eligible``, the eligibility code
of :mod:`scheduler.problem`, :mod:`scheduler.expand`, :mod:`scheduler.limits` or any
solver code: occurrences, needs, night flags, effective limits and eligibility are
recomputed here (:func:`expand_config`, :func:`vol_limits`, :func:`site_reason`,
:func:`time_reason`), so a bug there or in the solver shows up as a violation. The cost
formula is shared (:func:`scheduler.cost.cost_terms`), fed with the data recomputed here.

Not checked (the roster does not carry them): re-planning's fixed pairs, frozen
occurrences and ``max_changes``; with ``previous=`` the change term of the cost is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from scheduler.cost import cost_terms, number
from scheduler.geo import haversine_km
from scheduler.models import Config, Rules, Site, Volunteer, Window
from scheduler.problem import Problem
from scheduler.roster import Roster

ShortfallRow = tuple[str, str, str, int, dict[str, int]]  # site, shift, start iso, missing, skills
PrevKey = tuple[str, str, str, str]  # volunteer, site, shift, start iso
TOLERANCE = 1e-6


class RosterInvalid(Exception):
    """A roster breaks hard rules or misreports its shortfalls or objective."""

    def __init__(self, violations: Iterable[str]) -> None:
        self.violations = tuple(violations)
        super().__init__(
            f"{len(self.violations)} violation(s):\n" + "\n".join(f"- {v}" for v in self.violations)
        )


@dataclass(frozen=True)
class CheckReport:
    violations: tuple[str, ...]
    shortfalls: list[ShortfallRow]  # recomputed
    objective: float | int | None  # recomputed (None without a roster)
    cost: dict[str, float] = field(default_factory=dict)  # recomputed, by term

    @property
    def ok(self) -> bool:
        return not self.violations

    @property
    def total_missing(self) -> int:
        return sum(row[3] for row in self.shortfalls)

    @property
    def total_missing_skills(self) -> int:
        return sum(sum(row[4].values()) for row in self.shortfalls)


# --- the config, recomputed independently --------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckOcc:
    """A shift occurrence as the checker derives it from the config."""

    index: int
    site: str
    shift: str
    date: dt.date  # local date of the start
    start: dt.datetime
    end: dt.datetime
    start_ts: float
    end_ts: float
    minutes: int
    need: int
    priority: int
    require: tuple[tuple[str, int], ...]
    night: bool
    day: int
    week: int
    weekend: int | None  # ordinal of the weekend's Saturday

    @property
    def label(self) -> str:
        return f"{self.site} {self.shift} {self.start.isoformat()}"


def _local(naive: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    return naive.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def _covers_night(start: dt.datetime, end: dt.datetime) -> bool:
    lo, hi = start.replace(tzinfo=None), end.replace(tzinfo=None)
    day = lo.date()
    while day <= hi.date():
        night0 = dt.datetime.combine(day, dt.time(0))
        if night0 < hi and lo < night0 + dt.timedelta(hours=5):
            return True
        day += dt.timedelta(days=1)
    return False


def expand_config(config: Config) -> list[CheckOcc]:
    """Every occurrence of the horizon with its need (contract: "Meanings")."""
    tz = ZoneInfo(config.timezone)
    h0 = config.horizon.start
    out: list[CheckOcc] = []
    for site in config.sites:
        opens = [(_local(w.start, tz), _local(w.end, tz)) for w in site.open]
        for d in range(config.horizon.days):
            for sh in config.shift_patterns[site.pattern]:
                start = _local(dt.datetime.combine(h0 + dt.timedelta(days=d), sh.start), tz)
                minutes = round(sh.hours * 60)
                end = (start.astimezone(dt.UTC) + dt.timedelta(minutes=minutes)).astimezone(tz)
                if opens and not any(a <= start < b for a, b in opens):
                    continue
                need = site.need_by_shift.get(sh.name, site.need)
                for ch in config.demand_changes:
                    if ch.site != site.id or (ch.shift is not None and ch.shift != sh.name):
                        continue
                    if _local(ch.start, tz) <= start < _local(ch.end, tz):
                        need = max(0, ch.set if ch.set is not None else need + (ch.add or 0))
                require = tuple(
                    sorted((k, min(n, need)) for k, n in site.require.items() if min(n, need))
                )
                date = start.date()
                wd = date.weekday()
                day = (date - h0).days
                out.append(
                    CheckOcc(
                        index=len(out), site=site.id, shift=sh.name, date=date, start=start,
                        end=end, start_ts=start.timestamp(), end_ts=end.timestamp(),
                        minutes=minutes, need=need, priority=site.priority, require=require,
                        night=sh.night or _covers_night(start, end), day=day, week=day // 7,
                        weekend=date.toordinal() - (wd - 5) if wd >= 5 else None,
                    )
                )  # fmt: skip
    out.sort(key=lambda o: o.start_ts)  # stable: site, then pattern order, on equal starts
    return [dataclasses.replace(o, index=i) for i, o in enumerate(out)]


@dataclass(frozen=True)
class VolLimits:
    """A volunteer's limits in minutes: the rule, tightened by their own column."""

    max_day: int | None
    max_per_day: int | None
    max_week: int | None
    max_total: int | None
    min_total: int | None
    min_rest: int | None
    max_consecutive_days: int | None
    min_consecutive_days: int | None
    min_consecutive_days_off: int | None
    max_weekends: int | None
    max_nights: int | None
    max_shifts: dict[str, int]


def _pick(f, *values):  # type: ignore[no-untyped-def]
    given = [x for x in values if x is not None]
    return f(given) if given else None


def _mins(hours: float | None) -> int | None:
    return None if hours is None else round(hours * 60)


def vol_limits(r: Rules, v: Volunteer) -> VolLimits:
    caps = dict(r.max_shifts)
    for name, n in v.max_shifts.items():
        caps[name] = min(n, caps.get(name, n))
    return VolLimits(
        max_day=_mins(r.max_hours_per_day),
        max_per_day=r.max_shifts_per_day,
        max_week=_mins(_pick(min, r.max_hours_per_week, v.max_hours_per_week)),
        max_total=_mins(_pick(min, r.max_hours_total, v.max_hours_total)),
        min_total=_mins(_pick(max, r.min_hours_total, v.min_hours_total)),
        min_rest=_mins(r.min_rest_hours),
        max_consecutive_days=_pick(min, r.max_consecutive_days, v.max_consecutive_days),
        min_consecutive_days=_pick(max, r.min_consecutive_days, v.min_consecutive_days),
        min_consecutive_days_off=_pick(max, r.min_consecutive_days_off, v.min_consecutive_days_off),
        max_weekends=_pick(min, r.max_weekends, v.max_weekends),
        max_nights=r.max_night_shifts_per_week,
        max_shifts=caps,
    )


def site_reason(config: Config, v: Volunteer, site: Site) -> str | None:
    """Why ``v`` may never serve at ``site`` (adopted site, travel limit), or None."""
    if site.adopted_by and v.team not in site.adopted_by and v.org not in site.adopted_by:
        return f"site adopted by {', '.join(site.adopted_by)} only"
    limit = config.rules.max_travel_km
    if limit is not None and v.lat is not None and v.lon is not None and site.location:
        km = haversine_km(v.lat, v.lon, site.location.lat, site.location.lon)
        if km > limit:
            return f"lives {km:.1f} km away (max {limit:g})"
    return None


@functools.lru_cache(maxsize=1 << 16)
def _span(w: Window, tz: ZoneInfo) -> tuple[float, float]:
    return _local(w.start, tz).timestamp(), _local(w.end, tz).timestamp()


def time_reason(
    tz: ZoneInfo, v: Volunteer, lim: VolLimits, occ: CheckOcc, *, caps: bool = False
) -> str | None:
    """Why ``v`` may never work ``occ`` for its time (with ``caps``: a cap of 0 or too short)."""
    s, e = occ.start_ts, occ.end_ts
    if v.available and not any(a <= s and e <= b for a, b in (_span(w, tz) for w in v.available)):
        return "outside their available times"
    if any(a < e and s < b for a, b in (_span(w, tz) for w in v.unavailable)):
        return "marked unavailable"
    if occ.night and not v.night_ok:
        return "night shift, night_ok is false"
    if occ.date in v.days_off:
        return "a fixed day off"
    if caps and (
        lim.max_shifts.get(occ.shift) == 0
        or any(
            c is not None and occ.minutes > c for c in (lim.max_day, lim.max_week, lim.max_total)
        )
    ):
        return "a cap below this shift"
    return None


def _instant(value: dt.datetime | str) -> float:
    """POSIX seconds of an ISO time; NaN (matches nothing) when it has no UTC offset."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return float("nan") if value.tzinfo is None else value.timestamp()


def _run_violations(vid: str, days: set[int], horizon: int, lim: VolLimits) -> list[str]:
    """Max/min consecutive working days and min consecutive days off (edge runs exempt)."""
    out: list[str] = []
    runs: list[tuple[bool, int, int]] = []  # (working, first day, length)
    d = 0
    while d < horizon:
        work, first = d in days, d
        while d < horizon and (d in days) == work:
            d += 1
        runs.append((work, first, d - first))
    for work, first, length in runs:
        edge = first == 0 or first + length == horizon
        if work and lim.max_consecutive_days is not None and length > lim.max_consecutive_days:
            out.append(
                f"{vid}: {length} consecutive working days from day {first} "
                f"(max {lim.max_consecutive_days})"
            )
        if work and not edge and lim.min_consecutive_days and length < lim.min_consecutive_days:
            out.append(
                f"{vid}: run of {length} working day(s) from day {first} "
                f"(min {lim.min_consecutive_days})"
            )
        if (
            not work
            and not edge
            and lim.min_consecutive_days_off
            and length < lim.min_consecutive_days_off
        ):
            out.append(
                f"{vid}: run of {length} day(s) off from day {first} "
                f"(min {lim.min_consecutive_days_off})"
            )
    return out


def _volunteer_violations(
    problem: Problem, v: int, occs: list[CheckOcc], lim: VolLimits
) -> list[str]:
    """Every rule on one volunteer's shifts (``occs`` sorted by start)."""
    config = problem.config
    vol = problem.volunteers[v]
    vid, out = vol.id, []
    for occ in occs:
        why = site_reason(config, vol, problem.sites[occ.site]) or time_reason(
            problem.tz, vol, lim, occ
        )
        if why:
            out.append(f"{vid} on {occ.label}: {why}")
    latest: CheckOcc | None = None
    for occ in occs:
        if latest is not None:
            gap = (occ.start_ts - latest.end_ts) / 60
            if gap < 0:
                out.append(f"{vid}: {occ.label} overlaps {latest.label}")
            elif lim.min_rest is not None and gap < lim.min_rest:
                out.append(
                    f"{vid}: {gap:g} min rest between {latest.label} and {occ.label} "
                    f"(min {lim.min_rest})"
                )
        if latest is None or occ.end_ts > latest.end_ts:
            latest = occ
    day_min: Counter[int] = Counter()
    day_n: Counter[int] = Counter()
    week_min: Counter[int] = Counter()
    nights: Counter[int] = Counter()
    names: Counter[str] = Counter()
    weekends: set[int] = set()
    worked: set[tuple[int, str]] = set()
    for occ in occs:
        day_min[occ.day] += occ.minutes
        day_n[occ.day] += 1
        week_min[occ.week] += occ.minutes
        nights[occ.week] += occ.night
        names[occ.shift] += 1
        if occ.weekend is not None:
            weekends.add(occ.weekend)
        worked.add((occ.day, occ.shift))
    for d, m in sorted(day_min.items()):
        if lim.max_day is not None and m > lim.max_day:
            out.append(f"{vid}: {m} min on day {d} (max {lim.max_day})")
        if lim.max_per_day is not None and day_n[d] > lim.max_per_day:
            out.append(f"{vid}: {day_n[d]} shifts on day {d} (max {lim.max_per_day})")
    for w, m in sorted(week_min.items()):
        if lim.max_week is not None and m > lim.max_week:
            out.append(f"{vid}: {m} min in week {w} (max {lim.max_week})")
        if lim.max_nights is not None and nights[w] > lim.max_nights:
            out.append(f"{vid}: {nights[w]} night shifts in week {w} (max {lim.max_nights})")
    total = sum(o.minutes for o in occs)
    if lim.max_total is not None and total > lim.max_total:
        out.append(f"{vid}: {total} min in total (max {lim.max_total})")
    if lim.min_total is not None and total < lim.min_total:
        out.append(f"{vid}: {total} min in total (min {lim.min_total})")
    for name, n in sorted(names.items()):
        cap = lim.max_shifts.get(name)
        if cap is not None and n > cap:
            out.append(f"{vid}: {n} {name} shifts (max {cap})")
    if lim.max_weekends is not None and len(weekends) > lim.max_weekends:
        out.append(f"{vid}: {len(weekends)} weekends worked (max {lim.max_weekends})")
    for s in config.rules.forbidden_successions:
        for d, name in sorted(worked):
            if name == s.first and (d + 1, s.then) in worked:
                out.append(f"{vid}: {s.then} on day {d + 1} right after {s.first} on day {d}")
    out += _run_violations(vid, set(day_n), config.horizon.days, lim)
    return out


class _NearSites:
    """Sites that may lie within the travel limit of a home: a grid of limit-sized cells."""

    def __init__(self, config: Config) -> None:
        self.sites = list(config.sites)
        self.cells: dict[tuple[int, int], list[Site]] | None = None
        limit = config.rules.max_travel_km
        located = [s for s in self.sites if s.location is not None]
        if limit is None or not located or limit > 500:
            return
        lat_max = max(abs(s.location.lat) for s in located if s.location) + limit / 111.0
        if lat_max > 80 or any(abs(s.location.lon) > 170 for s in located if s.location):
            return  # near a pole or the antimeridian: no grid, test every site
        # |dlat| <= d / 111.19 km; |dlon| <= ~d / (111.19 km * cos lat): cells twice that wide
        self.dlat = limit / 111.0
        self.dlon = 2 * limit / (111.0 * math.cos(math.radians(lat_max)))
        self.unlocated = [s for s in self.sites if s.location is None]
        self.cells = {}
        for s in located:
            assert s.location is not None
            self.cells.setdefault(self._cell(s.location.lat, s.location.lon), []).append(s)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.dlat), math.floor(lon / self.dlon)

    def around(self, v: Volunteer) -> list[Site]:
        if self.cells is None or v.lat is None or v.lon is None:
            return self.sites
        i, j = self._cell(v.lat, v.lon)
        near = [
            s
            for di in (-1, 0, 1)
            for dj in (-1, 0, 1)
            for s in self.cells.get((i + di, j + dj), ())
        ]
        return self.unlocated + near


def fairness_pool(
    problem: Problem, per_vol: list[list[CheckOcc]], limits: list[VolLimits], occs: list[CheckOcc]
) -> set[int]:
    """Volunteers statically eligible for at least one occurrence."""
    config, tz = problem.config, problem.tz
    by_site: dict[str, list[CheckOcc]] = {}
    for o in occs:
        by_site.setdefault(o.site, []).append(o)
    near = _NearSites(config)
    pool: set[int] = set()
    for v, vol in enumerate(problem.volunteers):
        lim = limits[v]
        if any(  # usually one of their own shifts settles it
            not site_reason(config, vol, problem.sites[o.site])
            and not time_reason(tz, vol, lim, o, caps=True)
            for o in per_vol[v]
        ) or any(
            not site_reason(config, vol, site)
            and any(not time_reason(tz, vol, lim, o, caps=True) for o in by_site.get(site.id, ()))
            for site in near.around(vol)
        ):
            pool.add(v)
    return pool


def _replanned(roster: Roster) -> bool:
    st = roster.stats
    replan = st.get("replan")
    return bool(st.get("previous") or st.get("previous_version")) or (
        isinstance(replan, dict) and bool(replan.get("previous_version") or replan.get("previous"))
    )


def check_roster(
    problem: Problem, roster: Roster, *, previous: frozenset[PrevKey] | None = None
) -> CheckReport:
    """Recheck ``roster`` against ``problem``'s config; see the module docstring."""
    config = problem.config
    occs = expand_config(config)
    by_key = {(o.site, o.shift, o.start_ts): o for o in occs}
    vindex = {v.id: i for i, v in enumerate(problem.volunteers)}
    out: list[str] = []
    if roster.plan != config.plan:
        out.append(f"roster is for plan {roster.plan!r}, config is {config.plan!r}")
    if not roster.status.has_roster:
        if roster.assignments or roster.shortfalls:
            out.append(f"status {roster.status.value} but the roster has assignments/shortfalls")
        if not roster.explanation:
            out.append(f"status {roster.status.value} without an explanation")
        return CheckReport(tuple(out), [], None, {})
    staff: list[list[int]] = [[] for _ in occs]
    seen: set[tuple[int, int]] = set()
    for a in roster.assignments:
        where = f"{a.volunteer} on {a.site} {a.shift} {a.start.isoformat()}"
        if a.start.tzinfo is None or a.end.tzinfo is None:
            out.append(f"{where}: times must carry the plan's UTC offset")
            continue
        occ = by_key.get((a.site, a.shift, _instant(a.start)))
        if occ is None:
            out.append(f"{where}: no such shift occurrence")
            continue
        if _instant(a.end) != occ.end_ts:
            out.append(f"{where}: ends {a.end.isoformat()}, the shift ends {occ.end.isoformat()}")
        v = vindex.get(a.volunteer)
        if v is None:
            out.append(f"{where}: unknown volunteer")
            continue
        if (occ.index, v) in seen:
            out.append(f"{where}: assigned twice")
            continue
        seen.add((occ.index, v))
        staff[occ.index].append(v)
    per_vol: list[list[CheckOcc]] = [[] for _ in problem.volunteers]
    for o, vs in enumerate(staff):
        for v in vs:
            per_vol[v].append(occs[o])
    limits = [vol_limits(config.rules, vol) for vol in problem.volunteers]
    for v, mine in enumerate(per_vol):
        out += _volunteer_violations(problem, v, mine, limits[v])
    if config.weights.over_cover is None:
        for o, vs in enumerate(staff):
            if len(vs) > occs[o].need:
                out.append(f"{occs[o].label}: {len(vs)} assigned, need {occs[o].need}")
    counted: list[ShortfallRow] = []
    for o, vs in enumerate(staff):
        occ = occs[o]
        missing = max(0, occ.need - len(vs))
        skills = {}
        for skill, req in occ.require:
            have = sum(1 for v in vs if skill in problem.volunteers[v].skills)
            if have < req:
                skills[skill] = req - have
        if missing or skills:
            counted.append((occ.site, occ.shift, occ.start.isoformat(), missing, skills))
    out += _compare_shortfalls(roster, counted, by_key)
    fair_pool = fairness_pool(problem, per_vol, limits, occs)
    changes = None
    if previous is not None:
        now = {(problem.volunteers[v].id, occs[o].site, occs[o].shift, occs[o].start_ts)
               for o, vs in enumerate(staff) for v in vs}  # fmt: skip
        before = {(vid, s, sh, _instant(t)) for vid, s, sh, t in previous}
        changes = len(now ^ before)
    cost = cost_terms(config, problem.volunteers, occs, staff, fair_pool, changes)
    objective = number(sum(cost.values()))
    skip = previous is None and _replanned(roster)
    out += _compare_objective(roster, objective, skip, config.weights.change)
    return CheckReport(tuple(out), counted, objective, cost)


def _compare_shortfalls(
    roster: Roster, counted: list[ShortfallRow], by_key: dict[tuple[str, str, float], CheckOcc]
) -> list[str]:
    out: list[str] = []
    mine = {(s, sh, _instant(t)): (m, k) for s, sh, t, m, k in counted}
    theirs: dict[tuple[str, str, float], tuple[int, dict[str, int]]] = {}
    for sf in roster.shortfalls:
        key = (sf.site, sf.shift, _instant(sf.start))
        label = f"shortfall {sf.site} {sf.shift} {sf.start.isoformat()}"
        if key not in by_key:
            out.append(f"{label}: no such shift occurrence")
        elif key in theirs:
            out.append(f"{label}: listed twice")
        theirs[key] = (sf.missing, {k: n for k, n in sf.missing_skills.items() if n})
    for key in sorted(set(mine) | set(theirs)):
        got, want = theirs.get(key, (0, {})), mine.get(key, (0, {}))
        if got != want:
            out.append(
                f"shortfall {key[0]} {key[1]} at {dt.datetime.fromtimestamp(key[2], dt.UTC)}: "
                f"roster says missing={got[0]} skills={got[1]}, count is {want[0]} {want[1]}"
            )
    their_total = (roster.total_missing, roster.total_missing_skills)
    my_total = (sum(m for m, _ in mine.values()), sum(sum(k.values()) for _, k in mine.values()))
    if their_total != my_total:
        out.append(f"shortfall totals {their_total} (people, skilled) differ from count {my_total}")
    return out


def _compare_objective(
    roster: Roster, objective: float, skip_change: bool, change_weight: int
) -> list[str]:
    if roster.objective is None:
        return ["roster with assignments but no objective"]
    diff = float(roster.objective) - objective
    tol = TOLERANCE * max(1.0, abs(objective))
    if skip_change:  # re-planned against a previous roster we were not given
        if change_weight == 0 and abs(diff) <= tol:
            return []
        k = round(diff / change_weight) if change_weight else 0
        if k >= 0 and abs(diff - k * change_weight) <= tol:
            return []
        return [
            f"objective {roster.objective} is not the recomputed {objective} plus a whole "
            f"number of changes x {change_weight}"
        ]
    if abs(diff) > tol:
        return [f"objective {roster.objective} differs from the recomputed {objective}"]
    return []


def assert_valid(
    problem: Problem, roster: Roster, *, previous: frozenset[PrevKey] | None = None
) -> CheckReport:
    """The report of a valid roster; raises :class:`RosterInvalid` listing violations."""
    report = check_roster(problem, roster, previous=previous)
    if report.violations:
        raise RosterInvalid(report.violations)
    return report
