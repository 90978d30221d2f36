"""Segments built on segments through the service, the API, the CLI and the pages: saved
references are checked (exist, no cycle), broken ones make the referrer broken (never a
500), a segment in use cannot be deleted, duplicates keep their references."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from community_segments.demo.app import create_app
from community_segments.demo.models import db
from community_segments.demo.seed import ensure_admin, seed_database
from community_segments.errors import CriteriaError, InUse
from community_segments.extension import get_state
from community_segments.models import Segment

from .demo_client import csrf_token, log_in

US = {"match": "all", "rules": [{"field": "country", "op": "equals", "value": "US"}]}
ACTIVE = {"match": "all", "rules": [{"field": "last_activity", "op": "less_than_days_ago", "value": 30}]}


def ref(op, *ids, extra=()):
    return {"match": "all", "rules": [{"field": "segment", "op": op, "value": list(ids)}, *extra]}


def make_app(url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        seed_database(db.session, 200, seed=5)
        ensure_admin(db.session)
        db.session.commit()
    return app


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def service(app):
    return get_state(app).service()


def test_cycle_refused_on_save_with_its_path(service):
    five = service.create("Five", US)
    seven = service.create("Seven", ref("in", five.id))
    with pytest.raises(CriteriaError) as caught:
        service.update(five.id, criteria=ref("in", seven.id))
    assert str(caught.value) == (f"rules[0].value: segment {five.id} leads back to itself "
                                 f"({five.id} -> {seven.id} -> {five.id})")
    with pytest.raises(CriteriaError, match=rf"\({five.id} -> {five.id}\)"):
        service.update(five.id, criteria=ref("not_in", five.id))
    service.session.rollback()
    assert service.get(five.id).criteria == US  # nothing half-written


def test_reference_to_a_missing_segment_is_refused_on_save(service):
    with pytest.raises(CriteriaError, match=r"rules\[0\]\.value: segment 4242 does not exist"):
        service.create("Ghost", ref("in", 4242))
    assert service.session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0


def test_counts_and_members_follow_the_referenced_segment_live(service):
    us = service.create("US", US)
    both = service.create("US and active", ref("in", us.id, extra=[ACTIVE["rules"][0]]))
    not_us = service.create("Not US", ref("not_in", us.id))
    total = service.total_members()
    counts = {c.segment.title: c.count for c in service.counts()}
    assert counts["Not US"] == total - counts["US"]
    assert counts["US and active"] == service.count(
        {"match": "all", "rules": [US["rules"][0], ACTIVE["rules"][0]]})
    service.update(us.id, criteria={"match": "all", "rules": []})  # now everyone
    assert service.count(not_us.criteria) == 0
    assert service.count(both.criteria) == service.count(ACTIVE)


def test_a_broken_reference_makes_the_referrer_broken_never_an_error(service):
    base = service.create("Base", US)
    referrer = service.create("Referrer", ref("in", base.id))
    base.criteria = {"match": "all", "rules": [{"field": "shoe_size", "op": "gt", "value": 9}]}
    service.session.commit()  # as when the plugin of shoe_size is uninstalled
    found = {c.segment.title: c for c in service.counts()}
    assert found["Referrer"].broken and "shoe_size" in found["Referrer"].error
    assert f"segment {base.id}" in found["Referrer"].error
    assert service.problem(referrer) == found["Referrer"].error
    service.session.execute(sa.delete(Segment).where(Segment.id == base.id))
    service.session.commit()  # deleted behind the service's back
    assert "does not exist" in service.problem(service.get(referrer.id))
    assert service.describe(referrer.criteria) == f"In segment #{base.id} (deleted)"


def test_delete_refused_while_referred_to(service):
    base = service.create("Base", US)
    user = service.create("User", ref("not_in", base.id))
    with pytest.raises(InUse) as caught:
        service.delete(base.id)
    assert "User" in str(caught.value) and caught.value.uses == [f"segment 'User' ({user.id})"]
    service.delete(user.id)
    service.delete(base.id)


def test_duplicate_keeps_references_and_sentence_names_titles(service):
    champions = service.create("Champions", US)
    regulars = service.create("Regulars", ACTIVE)
    both = service.create("Both", ref("not_in", champions.id, regulars.id))
    copy = service.duplicate(both.id)
    assert copy.criteria == both.criteria
    assert service.describe(copy.criteria) == "Not in segment Champions or Regulars"
    assert service.describe(ref("in", champions.id)) == "In segment Champions"
    assert {s.title for s in service.usage(champions).segments} == {"Both", "Both (copy)"}


# -- API, CLI and pages (SQLite) -----------------------------------------------------------

API = "/admin/segments/api"


@pytest.fixture
def client(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'refs.sqlite'}")
    client = app.test_client()
    log_in(client, "admin", "admin")
    client.csrf = csrf_token(client)
    yield client
    with app.app_context():
        db.engine.dispose()


def call(client, method, path, body=None):
    return client.open(API + path, method=method, json=body, headers={"X-CSRFToken": client.csrf})


def test_api_takes_and_returns_ids_refuses_cycles_and_deletes_in_use(client):
    base = call(client, "POST", "/segments", {"title": "Base", "criteria": US}).get_json()
    made = call(client, "POST", "/segments", {"title": "On base", "criteria": ref("in", base["id"])})
    assert made.status_code == 201, made.get_json()
    on_base = made.get_json()
    assert on_base["criteria"]["rules"][0]["value"] == [base["id"]]
    assert on_base["sentence"] == "In segment Base" and on_base["count"] == base["count"]
    cycle = call(client, "PATCH", f"/segments/{base['id']}",
                 {"version": base["version"], "criteria": ref("in", on_base["id"])})
    assert cycle.status_code == 422
    assert cycle.get_json()["errors"] == {"criteria.rules[0].value": [
        f"segment {base['id']} leads back to itself ({base['id']} -> {on_base['id']} -> {base['id']})"]}
    refused = call(client, "DELETE", f"/segments/{base['id']}")
    assert refused.status_code == 409
    assert refused.get_json()["used_by"] == [f"segment 'On base' ({on_base['id']})"]
    assert "On base" in refused.get_json()["message"]
    used = call(client, "GET", f"/segments/{base['id']}").get_json()["used_by"]
    assert used == {"segments": [{"id": on_base["id"], "title": "On base"}], "campaigns": []}
    missing = call(client, "POST", "/segments", {"title": "Ghost", "criteria": ref("in", 999)})
    assert missing.status_code == 422 and "segment 999 does not exist" in missing.get_json()["message"]
    bad = call(client, "POST", "/count", {"criteria": ref("in", "x")})
    assert bad.status_code == 422 and "'x' is not a segment id" in bad.get_json()["message"]


def test_catalogue_offers_segments_grouped(client):
    call(client, "POST", "/segments", {"title": "Grouped", "group": "Folder", "criteria": US})
    html = client.get("/admin/segments/members").get_data(as_text=True)
    catalog = json.loads(html.split('class="cs-catalog">', 1)[1].split("</script>", 1)[0])
    field = next(f for c in catalog for f in c["fields"] if f["key"] == "segment")
    assert field["type"] == "segment"
    assert {"label": "Grouped", "group": "Folder"}.items() <= field["options"][0].items()


def test_detail_page_shows_used_by_and_refuses_delete(client):
    base = call(client, "POST", "/segments", {"title": "Base", "criteria": US}).get_json()
    call(client, "POST", "/segments", {"title": "On base", "criteria": ref("in", base["id"])})
    page = client.get(f"/admin/segments/{base['id']}").get_data(as_text=True)
    assert "Used by" in page and "On base" in page
    refused = client.post(f"/admin/segments/{base['id']}/delete", data={"csrf_token": client.csrf})
    assert refused.status_code == 409
    assert "Not deleted:" in refused.get_data(as_text=True)
    assert call(client, "GET", f"/segments/{base['id']}").status_code == 200


def test_cli_delete_in_use_exits_non_zero_naming_referrers(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'cli.sqlite'}")
    with app.app_context():
        service = get_state(app).service()
        base_id = service.create("Base", US).id
        service.create("On base", ref("in", base_id))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["segments", "delete", "Base"])
    assert result.exit_code != 0
    assert "On base" in result.output and result.output.count("\n") == 1
    result = runner.invoke(args=["segments", "create", "--title", "Loop", "--criteria",
                                 json.dumps(ref("in", 4242))])
    assert result.exit_code != 0 and "segment 4242 does not exist" in result.output
    result = runner.invoke(args=["segments", "count", "--criteria", json.dumps(ref("not_in", base_id))])
    assert result.exit_code == 0 and int(result.output) >= 0
    with app.app_context():
        db.engine.dispose()


def test_refresh_evaluates_references_and_skips_broken_ones(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'refresh.sqlite'}")
    with app.app_context():
        service = get_state(app).service()
        base_id = service.create("Base", US).id
        service.create("Not base", ref("not_in", base_id))
        service.create("Base and active", ref("in", base_id, extra=[ACTIVE["rules"][0]]))
        expected = {c.segment.title: c.count for c in service.counts()}
        ghost = service.create("Ghost", ref("in", base_id))
        ghost.criteria = ref("in", 4242)  # its target deleted behind the service's back
        service.session.commit()
    result = app.test_cli_runner().invoke(args=["segments", "refresh"])
    assert result.exit_code == 0, result.output
    counts = {line.split("\t")[0]: int(line.split("\t")[1])
              for line in result.output.splitlines() if "\t" in line}
    assert counts == expected
    assert "Ghost" in result.output and "segment 4242 does not exist" in result.output
    with app.app_context():
        db.engine.dispose()
