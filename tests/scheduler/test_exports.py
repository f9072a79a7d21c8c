"""Exports of a roster: CSV sheets, iCalendar files, the HTML report, atomic publishing.

Rosters here are built by hand from compiled tiny plans, so these tests do not depend on
the solver.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from icalendar import Calendar

from scheduler import exports
from scheduler.exports import write_exports
from scheduler.exports.calendars import calendar_filenames, event_uid, write_calendars
from scheduler.exports.csv_sheets import SITE_HEADER, VOLUNTEER_HEADER, site_rows
from scheduler.exports.report import cell_colour, coverage_counts, render_report
from scheduler.loading import plan_from_dict
from scheduler.problem import Problem, compile_plan
from scheduler.roster import Assignment, Roster, Shortfall, Status
from tests.conftest import tiny_config

STAMP = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def _problem(**overrides) -> Problem:
    return compile_plan(plan_from_dict(tiny_config(**overrides)))


def _roster(problem: Problem, pairs: list[tuple[int, str]], **kw) -> Roster:
    """Roster with volunteer ``vid`` on occurrence ``o`` for each (o, vid)."""
    asg = []
    for o, vid in pairs:
        occ = problem.occurrences[o]
        asg.append(
            Assignment(volunteer=vid, site=occ.site, shift=occ.shift, start=occ.start, end=occ.end)
        )
    kw.setdefault("status", Status.feasible)
    return Roster(plan=problem.config.plan, assignments=tuple(asg), **kw)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def two_sites() -> Problem:
    return _problem(
        title="Two <sites> & co",
        sites=[
            {"id": "exit-se", "name": "South-east", "pattern": "three-8h", "need": 2},
            {
                "id": "exit-nw",
                "pattern": "three-8h",
                "need": 1,
                "require": {"medical": 1},
                "location": {"lat": 31.25, "lon": 121.45},
            },
        ],
        volunteers={
            "people": [
                {"id": "v1", "name": "Li Wei", "skills": "medical"},
                {"id": "v2"},
                {"id": "v3", "name": "=HYPERLINK(1)"},
            ]
        },
    )


def test_csv_rows_match_assignments(two_sites: Problem, tmp_path: Path) -> None:
    p = two_sites
    se_day = next(o.index for o in p.occurrences if o.site == "exit-se" and o.shift == "day")
    nw_night = next(o.index for o in p.occurrences if o.site == "exit-nw" and o.shift == "night")
    roster = _roster(p, [(se_day, "v2"), (se_day, "v1"), (nw_night, "v3")])
    write_exports(p, roster, tmp_path / "out", stamp=STAMP)

    rows = _read_csv(tmp_path / "out" / "by-site.csv")
    assert tuple(rows[0]) == SITE_HEADER
    assert len(rows) == len(p.occurrences)
    assert [r["site"] for r in rows] == sorted(
        (r["site"] for r in rows), key=["exit-se", "exit-nw"].index
    )
    listed = {(r["site"], r["shift"], r["start"]): r for r in rows}
    assert len(listed) == len(rows)
    from_csv = sorted(
        (key, vid) for key, r in listed.items() for vid in r["volunteers"].split(";") if vid
    )
    assert from_csv == sorted((a.key, a.volunteer) for a in roster.assignments)
    day = listed[p.occurrences[se_day].key]
    assert day["volunteers"] == "v1;v2" and day["staffed"] == "2" and day["need"] == "2"
    assert day["date"] == p.occurrences[se_day].date.isoformat()
    assert day["end"] == p.occurrences[se_day].end.isoformat()

    vols = _read_csv(tmp_path / "out" / "by-volunteer.csv")
    assert tuple(vols[0]) == VOLUNTEER_HEADER
    by_id = {r["volunteer"]: r for r in vols}
    assert set(by_id) == {"v1", "v2", "v3"}
    assert by_id["v1"]["name"] == "Li Wei"
    assert by_id["v3"]["name"] == "'=HYPERLINK(1)"  # shown as text, never run as a formula
    assert (by_id["v1"]["shifts"], by_id["v1"]["hours"]) == ("1", "8")
    o = p.occurrences[nw_night]
    assert by_id["v3"]["shift_list"] == f"exit-nw/night/{o.start.isoformat()}"


def test_unknown_assignment_is_rejected(two_sites: Problem) -> None:
    occ = two_sites.occurrences[0]
    wrong = Assignment(
        volunteer="v1",
        site=occ.site,
        shift="noon",
        start=occ.start,
        end=occ.end,
    )
    roster = Roster(plan="tiny", status=Status.feasible, assignments=(wrong,))
    with pytest.raises(ValueError, match="not a shift"):
        site_rows(two_sites, roster)


def test_calendars_parse_back_with_stable_uids(two_sites: Problem, tmp_path: Path) -> None:
    p = two_sites
    pairs = [(0, "v1"), (5, "v1"), (7, "v2")]
    roster = _roster(p, pairs)
    paths = write_calendars(p, roster, tmp_path / "a", stamp=STAMP)
    assert sorted(x.name for x in paths) == ["v1.ics", "v2.ics", "v3.ics"]
    cal = Calendar.from_ical((tmp_path / "a" / "v1.ics").read_bytes())
    tzs = cal.walk("VTIMEZONE")
    assert [str(t["TZID"]) for t in tzs] == ["Asia/Shanghai"]
    events = cal.walk("VEVENT")
    assert len(events) == 2
    for ev, (o, vid) in zip(events, pairs[:2], strict=True):
        occ = p.occurrences[o]
        assert ev.decoded("DTSTART") == occ.start
        assert ev.decoded("DTEND") == occ.end
        assert ev["DTSTART"].params["TZID"] == "Asia/Shanghai"
        assert str(ev["UID"]) == f"tiny-{vid}-{occ.site}-{occ.shift}-{occ.start:%Y%m%dT%H%M}@rota"
    assert not Calendar.from_ical((tmp_path / "a" / "v3.ics").read_bytes()).walk("VEVENT")

    # a second publication (new version, another stamp) keeps the UIDs of the same shifts
    later = _roster(p, [(5, "v1"), (9, "v1")], version=2)
    write_calendars(p, later, tmp_path / "b", stamp=STAMP + dt.timedelta(hours=1))
    again = Calendar.from_ical((tmp_path / "b" / "v1.ics").read_bytes()).walk("VEVENT")
    uids_a = {str(e["UID"]) for e in events}
    uids_b = {str(e["UID"]) for e in again}
    assert uids_a & uids_b == {event_uid("tiny", roster.assignments[1])}
    assert {int(e["SEQUENCE"]) for e in again} == {2}


def test_calendar_across_dst_keeps_offsets(tmp_path: Path) -> None:
    p = _problem(
        timezone="Europe/Berlin",
        horizon={"start": "2024-03-30", "days": 2},
        sites=[{"id": "hall", "pattern": "three-8h", "need": 1}],
    )
    roster = _roster(p, [(o.index, "v1") for o in p.occurrences if o.shift == "night"])
    write_calendars(p, roster, tmp_path, stamp=STAMP)
    cal = Calendar.from_ical((tmp_path / "v1.ics").read_bytes())
    tz = cal.walk("VTIMEZONE")[0]
    assert tz.walk("DAYLIGHT") and tz.walk("STANDARD")
    starts = [e.decoded("DTSTART") for e in cal.walk("VEVENT")]
    ends = [e.decoded("DTEND") for e in cal.walk("VEVENT")]
    assert [s.utcoffset() for s in starts] == [dt.timedelta(hours=1)] * 2
    # the night of the change (31 March) still lasts 8 real hours and ends at 09:00 CEST
    # (same-zone datetimes subtract as wall clock: compare real instants)
    assert ends[1].timestamp() - starts[1].timestamp() == 8 * 3600
    assert ends[1].utcoffset() == dt.timedelta(hours=2) and ends[1].hour == 9


def test_calendar_time_in_the_repeated_hour_is_written_in_utc(tmp_path: Path) -> None:
    # New York repeats 01:00-02:00 on 3 Nov 2024: an 18:00 shift of 8.5 h ends at 01:30
    # EST, the hour's second pass. RFC 5545 reads a local 01:30 as the first (EDT), an
    # hour early, so that end is written in UTC; a time outside the hour keeps its zone
    p = _problem(
        timezone="America/New_York",
        horizon={"start": "2024-11-02", "days": 1},
        shift_patterns={"p": [{"name": "eve", "start": "18:00", "hours": 8.5}]},
        sites=[{"id": "hall", "pattern": "p", "need": 1}],
    )
    write_calendars(p, _roster(p, [(0, "v1")]), tmp_path, stamp=STAMP)
    text = (tmp_path / "v1.ics").read_text()
    assert "DTSTART;TZID=America/New_York:20241102T180000" in text
    assert "DTEND:20241103T063000Z" in text
    (event,) = Calendar.from_ical(text).walk("VEVENT")
    elapsed = event.decoded("DTEND").timestamp() - event.decoded("DTSTART").timestamp()
    assert elapsed == 8.5 * 3600


def test_written_calendar_equals_its_whole_serialisation(tmp_path: Path) -> None:
    # write_calendars serialises the VTIMEZONE once and splices it into every file
    from scheduler.exports.calendars import plan_timezone, volunteer_calendar

    p = _problem(timezone="Europe/Berlin", horizon={"start": "2024-03-30", "days": 2})
    roster = _roster(p, [(0, "v1"), (2, "v1"), (1, "v2")])
    write_calendars(p, roster, tmp_path, stamp=STAMP)
    for vid in ("v1", "v2", "v3"):
        whole = volunteer_calendar(p, roster, vid, stamp=STAMP, timezone=plan_timezone(p))
        assert (tmp_path / f"{vid}.ics").read_bytes() == whole.to_ical()


def test_calendar_name_with_line_breaks_stays_one_line(tmp_path: Path) -> None:
    # a folded YAML title ends in a line break; a name may hold one: neither may reach
    # the unescaped X-WR-CALNAME property raw
    p = _problem(
        title="Station exits\n", volunteers={"people": [{"id": "v1", "name": "Ann\nSmith"}]}
    )
    write_calendars(p, _roster(p, [(0, "v1")]), tmp_path, stamp=STAMP)
    cal = Calendar.from_ical((tmp_path / "v1.ics").read_bytes())
    assert str(cal["x-wr-calname"]) == "Station exits: Ann Smith"


def test_calendar_filenames_are_safe_and_unique() -> None:
    p = _problem(volunteers={"people": [{"id": "..\\x"}, {"id": "A:b"}, {"id": "a_b"}]})
    names = calendar_filenames(p)
    assert names == {"..\\x": "_x.ics", "A:b": "A_b.ics", "a_b": "a_b~2.ics"}


def test_report_is_self_contained(two_sites: Problem) -> None:
    p = two_sites
    nw = [o for o in p.occurrences if o.site == "exit-nw"]
    roster = _roster(
        p,
        [(nw[0].index, "v2")],
        shortfalls=(
            Shortfall(
                site="exit-nw",
                shift=nw[0].shift,
                start=nw[0].start,
                missing=0,
                missing_skills={"medical": 1},
                reason="only <v1> holds medical & is resting",
            ),
        ),
    )
    html = render_report(p, roster)
    assert html.startswith("<!DOCTYPE html>")
    for banned in ("<script", "src=", "href=", "http://", "https://", "@import"):
        assert banned not in html
    assert "Two &lt;sites&gt; &amp; co" in html
    assert "only &lt;v1&gt; holds medical &amp; is resting" in html
    assert html.count("<h3>") == 2  # one heatmap per site
    assert f'<td style="background:{cell_colour(1, 1)}">1/1</td>' in html
    assert "<td>medical</td><td class=n>1</td>" in html  # supply: one holder
    assert "min 0 h, mean 2.7 h, max 8 h" in html


def test_coverage_and_colours(two_sites: Problem) -> None:
    p = two_sites
    roster = _roster(p, [(0, "v1"), (0, "v2"), (0, "v3")])
    covered, demand = coverage_counts(p, roster)
    assert demand == sum(o.need for o in p.occurrences) == 2 * 6 + 1 * 6
    assert covered == min(3, p.occurrences[0].need)
    assert cell_colour(0, 2) == "hsl(0,70%,72%)"
    assert cell_colour(2, 2) == "hsl(120,70%,72%)"
    assert cell_colour(3, 2) != cell_colour(2, 2)
    assert cell_colour(0, 0) == "#eeeeee"


def test_write_exports_files_and_contract(two_sites: Problem, tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    roster = _roster(two_sites, [(0, "v1")], objective=12, bound=10)
    written = write_exports(two_sites, roster, out, stamp=STAMP)
    names = {x.relative_to(out).as_posix() for x in written}
    assert names == {
        "roster.json",
        "by-site.csv",
        "by-volunteer.csv",
        "report.html",
        "calendars/v1.ics",
        "calendars/v2.ics",
        "calendars/v3.ics",
    }
    data = json.loads((out / "roster.json").read_text())
    assert Roster.model_validate(data) == roster
    assert list(tmp_path.joinpath("deep").iterdir()) == [out]  # no staging dir left


def test_no_roster_writes_roster_json_only_and_clears_stale(
    two_sites: Problem, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    write_exports(two_sites, _roster(two_sites, [(0, "v1")]), out, stamp=STAMP)
    assert (out / "calendars" / "v1.ics").exists()
    failed = Roster(plan="tiny", status=Status.infeasible, explanation="v1 cannot rest")
    written = write_exports(two_sites, failed, out, stamp=STAMP)
    assert written == [out / "roster.json"]
    assert sorted(x.name for x in out.iterdir()) == ["notes.txt", "roster.json"]
    assert json.loads((out / "roster.json").read_text())["explanation"] == "v1 cannot rest"
    assert (out / "notes.txt").read_text() == "mine"


def test_failure_while_writing_leaves_previous_exports(
    two_sites: Problem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    first = _roster(two_sites, [(0, "v1")])
    write_exports(two_sites, first, out, stamp=STAMP)
    before = {x: x.read_bytes() for x in out.rglob("*") if x.is_file()}

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "write_report", boom)
    with pytest.raises(OSError, match="disk full"):
        write_exports(two_sites, _roster(two_sites, [(1, "v2")], version=2), out, stamp=STAMP)
    assert {x: x.read_bytes() for x in out.rglob("*") if x.is_file()} == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out"]


def test_out_dir_that_is_a_file_is_refused(two_sites: Problem, tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("x")
    with pytest.raises(NotADirectoryError):
        write_exports(two_sites, _roster(two_sites, []), target)
    assert target.read_text() == "x"
