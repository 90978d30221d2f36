"""``segments refresh`` / ``segments history`` in the generic host (flask segments) and the
demo's console script, and the history API routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from community_segments.demo.models import Member, db
from community_segments.demo.seed import ensure_admin
from community_segments.extension import get_state

from ..api.conftest import api_for
from ..contract.cli_runner import Cli
from ..generic_host import make_app as make_generic
from .conftest import SEGMENTS, make_app

TAGGED = {"match": "all", "rules": [{"field": "tags", "op": "has_any", "value": ["beta"]}]}


def test_flask_segments_refresh_and_history(db_url):
    app, db_, User = make_generic(db_url)
    with app.app_context():
        db_.session.add_all([User(id=n, username=f"u{n}", email=f"u{n}@x.org") for n in (1, 2, 3)])
        db_.session.execute(app.tags.insert(), [{"user_id": 1, "tag": "beta"}])
        db_.session.commit()
        get_state(app).service().create("Beta", TAGGED)
        get_state(app).service().create("Broken", {"match": "all", "rules": []})
        broken = get_state(app).service().get("Broken")
        broken.criteria = {"match": "all", "rules": [{"field": "gone", "op": "is_empty"}]}
        db_.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["segments", "refresh"])
    assert first.exit_code == 0, first.output
    assert first.stdout == "Beta\t1\t+0\t-0\n"
    assert "skipped 'Broken'" in first.stderr and "gone" in first.stderr
    with app.app_context():
        db_.session.execute(app.tags.insert(), [{"user_id": 2, "tag": "beta"},
                                                {"user_id": 3, "tag": "Beta"}])
        db_.session.execute(app.tags.delete().where(app.tags.c.user_id == 1))
        db_.session.commit()
    second = runner.invoke(args=["segments", "refresh", "--json"])
    rows = json.loads(second.stdout)
    assert [(r["title"], r["count"], r["entered"], r["left"], r["baseline"]) for r in rows] == [
        ("Beta", 2, 2, 1, False)]
    history = runner.invoke(args=["segments", "history", "Beta"])
    lines = [line.split("\t") for line in history.stdout.splitlines()]
    assert [line[1:4] for line in lines] == [["1", "+0", "-0"], ["2", "+2", "-1"]]
    assert lines[0][4] == "baseline" and len(lines[1]) == 4
    as_json = json.loads(runner.invoke(args=["segments", "history", "Beta", "--json"]).stdout)
    assert [(p["count"], p["entered"], p["left"], p["baseline"]) for p in as_json] == [
        (1, 0, 0, True), (2, 2, 1, False)]
    missing = runner.invoke(args=["segments", "history", "Nope"])
    assert missing.exit_code == 1 and missing.output.count("\n") == 1 and "'Nope'" in missing.output
    with app.app_context():
        db_.session.remove()
        db_.engine.dispose()


def test_demo_console_script_refresh(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    cli = Cli(url)
    assert cli.run("demo", "--users", "150", "--no-serve").returncode == 0
    first = cli.run("segments", "refresh")
    assert first.returncode == 0, first.stderr
    lines = [line.split("\t") for line in first.stdout.splitlines()]
    assert lines and all(len(line) == 4 and line[2] == "+0" and line[3] == "-0" for line in lines)
    history = cli.run("segments", "history", lines[0][0], "--json")
    assert json.loads(history.stdout)[0]["baseline"] is True


@pytest.fixture(scope="module")
def history_app(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('hist') / 'api.sqlite'}", members=200)
    with app.app_context():
        ensure_admin(db.session)
        db.session.add(Member(username="mallory", email="mallory@example.org",
                              primary_role="Registered user"))
        db.session.query(Member).filter_by(username="mallory").one().set_password("mallory")
        db.session.commit()
        svc = get_state(app).service()
        ids = {title: svc.create(title, c).id for title, c in SEGMENTS.items()}
        from community_segments.history.app import refresh_app
        t0 = datetime.now(UTC) - timedelta(days=2)
        refresh_app(app, now=t0)
        for n in range(30):
            db.session.add(Member(username=f"late{n}", email=f"late{n}@example.org",
                                  primary_role="Registered user"))
        db.session.commit()
        refresh_app(app, now=t0 + timedelta(days=1))
        db.session.remove()
    app.segment_ids = ids
    app.t0 = t0
    yield app
    with app.app_context():
        db.engine.dispose()


def test_history_api(history_app):
    api = api_for(history_app, "admin")
    everyone = history_app.segment_ids["Everyone"]
    data = api.ok("GET", f"/segments/{everyone}/history")
    assert [(p["count"] - data["points"][0]["count"], p["entered"], p["baseline"])
            for p in data["points"]] == [(0, 0, True), (30, 30, False)]
    assert data["last_refresh"] == data["points"][-1]["at"]
    assert api("GET", "/segments/999999/history").status_code == 404


def test_changes_api_paginates_and_filters_by_time(history_app):
    api = api_for(history_app, "admin")
    everyone = history_app.segment_ids["Everyone"]
    first = api.ok("GET", f"/segments/{everyone}/changes?per_page=20")
    second = api.ok("GET", f"/segments/{everyone}/changes?per_page=20&page=2")
    assert (first["total"], first["pages"], len(first["items"]), len(second["items"])) == (30, 2, 20, 10)
    items = first["items"] + second["items"]
    assert {i["username"] for i in items} == {f"late{n}" for n in range(30)}
    assert all(i["change"] == "entered" for i in items)
    later = (history_app.t0 + timedelta(days=1, hours=1)).isoformat()
    assert api.ok("GET", f"/segments/{everyone}/changes", json=None) and api.ok(
        "GET", f"/segments/{everyone}/changes?since={later.replace('+', '%2B')}")["total"] == 0
    bad = api("GET", f"/segments/{everyone}/changes?since=yesterday")
    assert bad.status_code == 422 and "since" in bad.get_json()["errors"]
    assert api("GET", f"/segments/{everyone}/changes?per_page=0").status_code == 422


def test_history_api_is_admin_only(history_app):
    everyone = history_app.segment_ids["Everyone"]
    mallory = api_for(history_app, "mallory")
    assert mallory("GET", f"/segments/{everyone}/history").status_code == 403
    assert mallory("GET", f"/segments/{everyone}/changes").status_code == 403


def test_openapi_lists_the_history_routes(history_app):
    spec = api_for(history_app, "admin").ok("GET", "/openapi.json")
    assert "get" in spec["paths"]["/admin/segments/api/segments/{segment_id}/history"]
    changes = spec["paths"]["/admin/segments/api/segments/{segment_id}/changes"]["get"]
    assert [p["name"] for p in changes["parameters"]] == ["since", "page", "per_page"]
    assert changes["tags"] == ["history"] and "200" in changes["responses"]


def test_refresh_without_the_history_tables_says_what_to_do(tmp_path):
    app, db_, _ = make_generic(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with app.app_context(), db_.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE cs_history_outbox")
    result = app.test_cli_runner().invoke(args=["segments", "refresh"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.count("\n") == 1 and "migrations" in result.output


def test_the_demo_seeds_a_welcome_campaign_on_newcomers_once(tmp_path):
    cli = Cli(f"sqlite:///{tmp_path / 'welcome.sqlite'}")
    first = cli.run("demo", "--users", "50", "--no-serve")
    assert first.returncode == 0 and "welcome campaign" in first.stdout, first.stderr
    again = cli.run("demo", "--no-serve")
    assert "welcome campaign" not in again.stdout


def test_history_settings_are_read_into_the_typed_config():
    from community_segments import SegmentsConfig
    from community_segments.history.app import options_from
    config = SegmentsConfig.load({"SEGMENTS_HISTORY_RETENTION_DAYS": 30,
                                  "SEGMENTS_REFRESH_LOCK_WAIT": 5, "SEGMENTS_OUTBOX_LEASE": 60})
    assert options_from(config) == options_from(config).__class__(30, 5.0, 60.0)
    assert options_from(SegmentsConfig.load({})).retention_days == 90
