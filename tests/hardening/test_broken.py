"""Issue 10, defence in depth: a segment whose query the database refuses is shown broken
with the reason; every other segment, page and list still answers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from community_segments import FilterField, get_state, hookimpl

from ..generic_host import make_app

API = "/admin/segments/api"
PAGES = "/admin/segments"


class FailingField:
    """A field whose SQL no database can run (a function that does not exist)."""

    __name__ = "tests.failing"

    @hookimpl
    def segments_filter_fields(self, host):
        column = sa.func.cs_no_such_function(host.user_model.__table__.c.id)
        return [FilterField(key="failing", label="Failing", type="number", column=column)]


@pytest.fixture
def app(db_url):
    app, db, user = make_app(db_url, plugins=[FailingField()], is_admin=lambda: True)
    with app.app_context():
        db.session.execute(sa.insert(user), [
            {"username": f"u{i}", "email": f"u{i}@example.com", "karma": i} for i in range(1, 31)])
        db.session.commit()
        service = get_state(app).service()
        service.create("Good", {"match": "all", "rules": [
            {"field": "karma", "op": "gte", "value": 10}]})
        service.create("Failing", {"match": "all", "rules": [
            {"field": "failing", "op": "gt", "value": 1}]})
        service.create("Also good", {"match": "any", "rules": [
            {"field": "karma", "op": "lt", "value": 5}]})
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_overview_and_lists_show_the_failing_segment_broken(app):
    client = app.test_client()
    listed = {s["title"]: s for s in client.get(f"{API}/segments").get_json()["segments"]}
    assert listed["Good"]["count"] == 21 and listed["Also good"]["count"] == 4
    assert listed["Failing"]["count"] is None and listed["Failing"]["error"]
    overview = {s["title"]: s for s in client.get(f"{API}/overview").get_json()["segments"]}
    assert overview["Failing"]["error"] and overview["Good"]["count"] == 21
    page = client.get(f"{PAGES}/?counts=live")
    assert page.status_code == 200 and "Broken:" in page.get_data(as_text=True)
    at_once = client.get(f"{PAGES}/")  # not evaluated: the script learns it is broken
    assert at_once.status_code == 200 and "counting…" in at_once.get_data(as_text=True)
    with app.test_request_context():
        from community_segments import signals
        answers = signals.collect_audiences.send(None)
        offered = [a["label"] for _, audiences in answers for a in audiences or ()]
        assert "Good" in offered and "Failing" not in offered


def test_its_own_pages_answer_without_a_500(app):
    client = app.test_client()
    failing = next(s for s in client.get(f"{API}/segments").get_json()["segments"]
                   if s["title"] == "Failing")
    detail = client.get(f"{PAGES}/{failing['id']}")
    assert detail.status_code == 200 and "cs_no_such_function" not in detail.get_data(as_text=True)
    assert client.get(f"{API}/segments/{failing['id']}").status_code == 200
    for path in (f"{API}/segments/{failing['id']}/members",
                 f"{API}/segments/{failing['id']}/export.csv",
                 f"{PAGES}/{failing['id']}/export.csv"):
        assert client.get(path).status_code == 422, path
