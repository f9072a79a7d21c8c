"""Re-planning: stability (started/frozen shifts), change stats, failures keep the current
roster, progress in job.meta, nightly runs once per date."""

from __future__ import annotations

import pytest
import redis
from rq.job import Job
from rq.serializers import JSONSerializer

from scheduler.build import build_roster
from scheduler.problem import compile_plan
from tests.workers.conftest import published, run_burst, submitted, tiny_plan
from workers.enqueue import make_queue, submit_plan
from workers.events import accept_event
from workers.nightly import schedule
from workers.settings import Settings, get_settings
from workers.status import plan_status
from workers.store import PlanStore, VersionMeta

DAY29 = {"kind": "surge", "site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}


def staff(roster, shift: str, day: int = 29) -> set[str]:
    return {a.volunteer for a in roster.assignments if a.shift == shift and a.start.day == day}


@pytest.mark.parametrize("mode", ["repair", "solve"])
def test_replan_reports_changes_and_why(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    monkeypatch.setenv("ROTA_REPLAN_MODE", mode)
    submitted(conn, settings)
    accept_event(conn, settings, "tiny", {**DAY29, "add": 1}, "surge-1")
    run_burst(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    roster = store.roster()
    assert roster is not None and roster.version == 2 and not roster.shortfalls
    stats = roster.stats["replan"]
    assert stats["previous_version"] == 1
    assert stats["missing_before"] == 3 and stats["missing_after"] == 0
    assert stats["min_changes"] == 3
    assert stats["changed"] == stats["added"] + stats["removed"] >= 3
    assert stats["method"] == mode
    assert roster.bound is not None and 0 <= roster.bound <= roster.objective
    if mode == "repair":
        assert stats["changed"] == 3, "a repair changes only what the surge needs"
    assert stats["events"] == [{"id": "surge-1", "kind": "surge"}]
    assert "surge" in stats["why"] and "3 more person-shift(s) covered" in stats["why"]
    # the change weight keeps every published assignment that can stay
    v1 = store.roster(1)
    assert v1 is not None and {(*a.key, a.volunteer) for a in v1.assignments} <= {
        (*a.key, a.volunteer) for a in roster.assignments
    }
    if mode == "solve":
        job = Job.fetch(store.status()["last_job"], connection=conn, serializer=JSONSerializer)
        assert job.meta.get("progress"), "objective/bound progress recorded in job.meta"


def test_started_and_frozen_shifts_stay(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, v1 = published(conn, settings)
    monkeypatch.setenv("ROTA_NOW", "2020-01-29T07:00:00+08:00")  # night started, day in 1 h
    accept_event(conn, settings, "tiny", {**DAY29, "add": 1})
    run_burst(conn, settings)
    v2 = store.roster(2)
    assert v2 is not None
    stats = v2.stats["replan"]
    assert stats["frozen_occurrences"] == 1 and stats["fixed"] == 2
    # the surge acts from 07:00 on: the night shift (started 00:00) keeps its need of 1
    assert stats["missing_after"] == 0
    # a solve may follow (version 3, only if it costs less): whichever is current, the
    # started and about-to-start shifts kept their people
    for roster in filter(None, (v2, store.roster(3))):
        assert staff(roster, "night") == staff(v1, "night"), "a started shift is not touched"
        assert staff(v1, "day") <= staff(roster, "day") and len(staff(roster, "day")) == 2
        assert len(staff(roster, "evening")) == 2


def test_events_do_not_rewrite_the_past(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, v1 = published(conn, settings)
    monkeypatch.setenv("ROTA_NOW", "2020-01-30T12:00:00+08:00")  # 29 Jan is over
    past = {"site": "exit-se", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}
    accept_event(conn, settings, "tiny", {**past, "kind": "need", "set": 0}, "need-0")
    gone = next(iter(staff(v1, "day")))
    dropout = {"kind": "dropout", "volunteer": gone, "from": past["from"], "to": past["to"]}
    accept_event(conn, settings, "tiny", dropout, "dropout-past")
    run_burst(conn, settings)
    current = store.roster()
    assert current is not None
    for shift in ("night", "day", "evening"):
        assert staff(current, shift) == staff(v1, shift), f"29 Jan {shift} kept its people"
    if current.version > 1:
        assert current.stats["replan"]["removed"] == 0


def test_a_forced_removal_counts_once(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, v1 = published(conn, settings)
    assert len(staff(v1, "day")) == 1
    monkeypatch.setenv("ROTA_NOW", "2020-01-29T07:00:00+08:00")  # day shift: in the freeze
    day = {"site": "exit-se", "shift": "day", "from": "2020-01-29T08:00", "to": "2020-01-29T16:00"}
    accept_event(conn, settings, "tiny", {**day, "kind": "need", "set": 0}, "day-off")
    run_burst(conn, settings)
    v2 = store.roster(2)
    assert v2 is not None and not staff(v2, "day")
    stats = v2.stats["replan"]
    assert stats["removed_forced"] == 1 and [d["reason"] for d in stats["dropped"]] == [
        "the shift needs no one (need 0, over_cover unset)"  # closed: nobody is eligible
    ]
    assert stats["removed"] == 1 and stats["changed"] == 1  # not also an ordinary removal


def test_need_cut_below_the_frozen_staff_drops_the_excess_once(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = published(conn, settings)
    day = {"site": "exit-se", "shift": "day", "from": "2020-01-29T08:00", "to": "2020-01-29T16:00"}
    accept_event(conn, settings, "tiny", {**day, "kind": "need", "set": 2}, "day-two")
    run_burst(conn, settings)
    v2 = store.roster(2)
    assert v2 is not None and len(staff(v2, "day")) == 2
    monkeypatch.setenv("ROTA_NOW", "2020-01-29T07:00:00+08:00")  # day shift: in the freeze
    accept_event(conn, settings, "tiny", {**day, "kind": "need", "set": 1}, "day-one")
    run_burst(conn, settings)
    v3 = store.roster(3)
    assert v3 is not None and len(staff(v3, "day")) == 1 and staff(v3, "day") < staff(v2, "day")
    stats = v3.stats["replan"]
    assert stats["removed_forced"] == 1 and [d["reason"] for d in stats["dropped"]] == [
        "need reduced below the people on shift"
    ]


def test_status_shows_the_running_job(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.workers import planners

    planners.SEEN.clear()
    monkeypatch.setenv("ROTA_PLANNER", "tests.workers.planners:observed")
    store, _ = published(conn, settings)
    (during,) = planners.SEEN
    assert during["running_job"]["status"] == "started"
    after = plan_status(store, get_settings())
    assert "running_job" not in after and after["last_job"]["id"] == during["running_job"]["id"]


def test_max_changes_caps_the_replan(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted(conn, settings)
    monkeypatch.setenv("ROTA_MAX_CHANGES", "1")
    accept_event(conn, settings, "tiny", {**DAY29, "add": 1})
    run_burst(conn, settings)
    roster = PlanStore(conn, settings.key_prefix, "tiny").roster()
    assert roster is not None and roster.version == 2
    assert roster.stats["replan"]["changed"] == 1 and roster.total_missing == 2


@pytest.mark.parametrize(
    ("planner", "error"), [("no_roster", "no roster (unknown)"), ("empty", "worse on coverage")]
)
def test_failed_replan_keeps_the_current_roster(
    conn: redis.Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    planner: str,
    error: str,
) -> None:
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    monkeypatch.setenv("ROTA_PLANNER", f"tests.workers.planners:{planner}")
    monkeypatch.setenv("ROTA_REPLAN_MODE", "solve")
    accept_event(conn, settings, "tiny", {**DAY29, "add": 1}, "s1")
    run_burst(conn, settings)
    assert store.current_version() == 1
    assert store.event_done_in("s1") is None, "an event is done only once published"
    info = plan_status(store, get_settings())
    assert info["last_result"] == "failed" and error in info["last_error"]
    assert info["events_pending"] == 1 and info["current_version"] == 1


def test_first_plan_without_roster_publishes_nothing(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROTA_PLANNER", "tests.workers.planners:no_roster")
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    assert store.current_version() == 0 and store.roster() is None
    assert "no roster" in store.status()["last_error"]


def test_resubmitted_config_is_replanned(conn: redis.Redis, settings: Settings) -> None:
    submitted(conn, settings)
    bigger = tiny_plan(sites=[{"id": "exit-se", "pattern": "three-8h", "need": 2}])
    submit_plan(conn, settings, bigger)
    run_burst(conn, settings)
    roster = PlanStore(conn, settings.key_prefix, "tiny").roster()
    assert roster is not None and roster.version == 2 and len(roster.assignments) == 12


def test_nightly_runs_once_per_date(conn: redis.Redis, settings: Settings) -> None:
    submitted(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    first = schedule(store, settings, "2020-01-29", immediately=True)
    second = schedule(store, settings, "2020-01-29", immediately=True)
    assert first[0] == second[0] and first[1] and not second[1]
    assert make_queue(conn, settings.queue).count == 1
    run_burst(conn, settings)
    run_burst(conn, settings)
    job = Job.fetch(first[0], connection=conn, serializer=JSONSerializer)
    assert job.get_status().value == "finished" and job.return_value()["date"] == "2020-01-29"
    chained = job.return_value()["next"]  # each run schedules the next night still ahead
    queue = make_queue(conn, settings.queue)
    assert chained in queue.scheduled_job_registry.get_job_ids()
    # a full re-plan: a new version if the solver changed anything, else none
    if store.current_version() == 2:
        assert store.roster(2).stats["replan"]["changed"] > 0
    else:
        assert store.current_version() == 1 and store.status()["last_result"] == "no change"
    later = schedule(store, settings, "2020-01-30")  # in the past: enqueued at once
    future = schedule(store, settings, "2099-01-01")
    assert later[1] and future[1] and not schedule(store, settings, "2099-01-01")[1]
    assert future[0] in queue.scheduled_job_registry.get_job_ids()


def test_repair_with_gaps_is_followed_by_a_better_solve(
    conn: redis.Redis, settings: Settings
) -> None:
    """Site b needs v1 (only org x may serve there) but v1 is on a: a repair cannot fill b,
    the solver moves v1 to b and v2 to a, published as a further version."""
    pattern = {"one": [{"name": "day", "start": "08:00", "hours": 8}]}
    plan = tiny_plan(
        horizon={"start": "2020-01-29", "days": 1},
        shift_patterns=pattern,
        sites=[
            {"id": "a", "pattern": "one", "need": 1},
            {"id": "b", "pattern": "one", "need": 0, "adopted_by": ["x"]},
        ],
        volunteers={"people": [{"id": "v1", "org": "x"}, {"id": "v2", "org": "y"}]},
    )
    rev, _ = submit_plan(conn, settings, plan, replan=False)
    problem = compile_plan(plan)
    v1 = build_roster(
        problem, status="feasible", objective=0, bound=None, pairs=[(0, 0)], version=1
    )
    store = PlanStore(conn, settings.key_prefix, "tiny")
    meta = VersionMeta(version=1, events_through=0, config_rev=rev, published_at="t")
    assert store.publish(0, v1, meta, [], []) == (True, 1)
    event = {"kind": "need", "site": "b", "from": "2020-01-29T00:00", "to": "2020-01-30T00:00"}
    accept_event(conn, settings, "tiny", {**event, "set": 1}, "open-b")
    run_burst(conn, settings)
    repaired, solved = store.roster(2), store.roster(3)
    assert repaired is not None and solved is not None and store.current_version() == 3
    assert repaired.stats["replan"]["method"] == "repair" and repaired.total_missing == 1
    assert solved.stats["replan"]["method"] == "solve" and solved.total_missing == 0
    assert {(a.site, a.volunteer) for a in solved.assignments} == {("a", "v2"), ("b", "v1")}
    assert store.event_done_in("open-b") == 2


def test_a_crashing_replan_is_retried_and_visible_in_status(
    conn: redis.Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted(conn, settings)
    monkeypatch.setenv("ROTA_PLANNER", "tests.workers.planners:missing_function")
    monkeypatch.setenv("ROTA_REPLAN_MODE", "solve")
    accepted = accept_event(conn, settings, "tiny", {**DAY29, "add": 1})
    run_burst(conn, settings)
    store = PlanStore(conn, settings.key_prefix, "tiny")
    info = plan_status(store, get_settings())
    assert info["last_result"] == "error" and "AttributeError" in info["last_error"]
    assert info["current_version"] == 1 and info["events_pending"] == 1
    job = Job.fetch(accepted.job_id, connection=conn, serializer=JSONSerializer)
    assert job.retries_left is not None and job.retries_left < 3, "RQ retried it"
