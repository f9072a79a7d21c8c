"""The queue-mode CLI: submit, event, roster, status, nightly (against the real Redis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import redis
import yaml
from click.testing import CliRunner

from rota.cli import cli
from tests.conftest import tiny_config
from tests.workers.conftest import run_burst
from workers.keys import plans_key
from workers.settings import Settings

WINDOW = ["--from", "2020-01-29T00:00", "--to", "2020-01-30T00:00"]


def rota(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny_config()))
    return path


def queued(conn: redis.Redis, settings: Settings) -> int:
    return int(conn.llen(f"rq:queue:{settings.queue}"))


def test_invalid_config_is_rejected_with_exit_2(
    conn: redis.Redis, settings: Settings, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(tiny_config(sites=[{"id": "x", "pattern": "nope"}])))
    code, _, err = rota("submit", str(bad))
    assert code == 2 and "bad.yaml" in err and "sites[0].pattern" in err
    assert not conn.exists(plans_key(settings.key_prefix)) and queued(conn, settings) == 0


def test_submit_event_roster_status_flow(
    conn: redis.Redis, settings: Settings, config: Path, tmp_path: Path
) -> None:
    code, out, _ = rota("submit", str(config))
    assert code == 0 and "submitted tiny (config revision 1)" in out
    run_burst(conn, settings)
    code, out, _ = rota("roster", "show", "tiny")  # version 1: nothing before it
    assert code == 0 and "tiny version 1" in out and "changed" not in out

    code, _, err = rota("event", "surge", "tiny", "--site", "exit-9", "--add", "1", *WINDOW)
    assert code == 2 and "unknown site 'exit-9'" in err and queued(conn, settings) == 0
    code, _, err = rota("event", "need", "tiny", "--site", "exit-se", "--set", "-1", *WINDOW)
    assert code == 2 and "set" in err and queued(conn, settings) == 0

    code, out, _ = rota("event", "surge", "tiny", "--site", "exit-se", "--add", "1", *WINDOW)
    assert code == 0 and "accepted (seq 1)" in out
    code, out, _ = rota("event", "surge", "tiny", "--site", "exit-se", "--add", "1", *WINDOW)
    assert code == 0 and "duplicate, pending" in out
    code, out, _ = rota("event", "dropout", "tiny", "--volunteer", "v1", *WINDOW, "--id", "sick-v1")
    assert code == 0 and "event sick-v1 accepted (seq 2)" in out
    code, _, err = rota("event", "dropout", "tiny", "--volunteer", "v2", *WINDOW, "--id", "sick-v1")
    assert code == 2 and "already used for a different event" in err
    assert queued(conn, settings) == 1
    code, out, _ = rota("status", "tiny", "--json")
    info = json.loads(out)
    assert info["events_pending"] == 2 and info["pending_job"]["status"] == "queued"
    run_burst(conn, settings)

    code, out, _ = rota("status", "tiny", "--json")
    info = json.loads(out)
    assert (info["current_version"], info["events_pending"], info["last_result"]) == (
        2,
        0,
        "published",
    )
    code, out, _ = rota("roster", "show", "tiny")
    assert code == 0 and "tiny version 2" in out and "changed" in out
    assert not [x for x in out.splitlines() if "2020-01-29" in x and x.endswith(" v1")]
    code, out, _ = rota("roster", "diff", "tiny", "1", "2", "--json")
    diff = json.loads(out)
    assert code == 0 and diff["from_version"] == 1 and diff["to_version"] == 2
    assert any(v["volunteer"] == "v1" and v["removed"] for v in diff["volunteers"])
    code, out, _ = rota(
        "roster", "export", "tiny", "--out", str(tmp_path / "out"), "--version", "1"
    )
    exported = json.loads((tmp_path / "out" / "roster.json").read_text())
    assert code == 0 and exported["version"] == 1 and exported["plan"] == "tiny"
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"by-site.csv", "by-volunteer.csv", "report.html", "calendars"} <= files, files
    sheet = (tmp_path / "out" / "by-volunteer.csv").read_text()
    assert all(a["volunteer"] in sheet for a in exported["assignments"])
    code, out, _ = rota("roster", "follow", "tiny", "--group", "sms", "--once", "--block", "100")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and {x["version"] for x in lines} == {1, 2}
    assert sum(x["type"] == "version" for x in lines) == 2
    code, out, _ = rota("roster", "follow", "tiny", "--group", "sms", "--once", "--block", "100")
    assert code == 0 and out == ""
    code, _, err = rota("roster", "show", "tiny", "--version", "9")
    assert code == 2 and "version 9 not found" in err
    code, _, err = rota("roster", "show", "tiny", "--version", "0")
    assert code == 2 and "tiny: version 0 not found" in err
    code, _, err = rota("status", "nope")
    assert code == 2 and "no such plan" in err


def test_status_shows_a_failed_replan(
    conn: redis.Redis, settings: Settings, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rota("submit", str(config))
    run_burst(conn, settings)
    monkeypatch.setenv("ROTA_PLANNER", "tests.workers.planners:no_roster")
    monkeypatch.setenv("ROTA_REPLAN_MODE", "solve")
    rota("event", "site-close", "tiny", "--site", "exit-se", *WINDOW)
    run_burst(conn, settings)
    code, out, _ = rota("status", "tiny")
    assert code == 0 and "current_version: 1" in out and "last_result: failed" in out
    assert "last_error: no roster (unknown): time ran out" in out


def test_nightly_cli_schedules_once(conn: redis.Redis, settings: Settings, config: Path) -> None:
    rota("submit", str(config), "--no-plan")
    code, out, _ = rota("nightly", "tiny", "--date", "2099-01-01")
    assert code == 0 and "nightly tiny scheduled" in out and "02:00:00+08:00" in out
    code, out, _ = rota("nightly", "tiny", "--date", "2099-01-01")
    assert code == 0 and "already scheduled" in out


def test_unreachable_redis_is_a_clear_error(
    settings: Settings, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROTA_REDIS_URL", "redis://:secret@127.0.0.1:1/0")
    code, _, err = rota("submit", str(config))
    assert code == 1 and "cannot reach Redis at redis://***@127.0.0.1:1/0" in err
    assert "secret" not in err


def test_wait_aof_on_a_redis_that_cannot_confirm_is_a_clear_error(
    conn: redis.Redis, settings: Settings, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = conn.info("server")
    if conn.config_get("appendfsync").get("appendfsync") == "always":
        pytest.fail(f"this test needs a Redis that does not fsync every write: {info}")
    assert rota("submit", str(config))[0] == 0
    monkeypatch.setenv("ROTA_WAIT_AOF", "true")
    code, out, err = rota("event", "surge", "tiny", "--site", "exit-se", "--add", "1", *WINDOW)
    assert code == 1 and "stored and queued, but" in err and "Traceback" not in out + err
    assert queued(conn, settings) >= 1
