"""Issue 10, item 4: timeouts in exports and on every 503 (real statement timeouts)."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from community_segments import FilterField, hookimpl
from community_segments.web import export
from community_segments.web.export import INCOMPLETE, ExportIncomplete

from ..generic_host import make_app

FAST_ROWS = 30


SWITCH = sa.Table("slow_switch", sa.MetaData(), sa.Column("slow", sa.Integer),
                  mysql_engine="MEMORY")  # not transactional: the stream sees the flip at once


def crossed_join(users_table):
    users = [users_table.alias(f"u{i}") for i in range(4)]
    joined = users[0]
    for other in users[1:]:
        joined = joined.join(other, users[0].c.id != other.c.id)
    return sa.select(sa.func.count()).select_from(joined).scalar_subquery()


class SlowFields:
    """``slow``: always a huge cross join. ``late``: 0 until the test flips ``SWITCH``,
    then the cross join, so an export's first batch is quick and a later one times out."""

    __name__ = "tests.slow_fields"

    @hookimpl
    def segments_filter_fields(self, host):
        crossed = crossed_join(host.user_model.__table__)
        late = sa.select(sa.case((SWITCH.c.slow == 1, crossed), else_=0)).scalar_subquery()
        return [FilterField(key="late", label="Late", type="number", column=late),
                FilterField(key="slow", label="Slow", type="number", column=crossed)]


@pytest.fixture
def slow_app(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no statement timeout")
    app, db, user = make_app(db_url, plugins=[SlowFields()], is_admin=lambda: True)
    with app.app_context():
        SWITCH.create(db.engine)
        db.session.execute(SWITCH.insert().values(slow=0))
        db.session.execute(sa.insert(user), [
            {"username": f"u{i:03}", "email": f"u{i}@example.com"} for i in range(1, 201)])
        db.session.commit()
    from dataclasses import replace

    from community_segments import get_state
    state = get_state(app)  # 2 s: above the JIT compile time of the huge plan
    state.config = replace(state.config, statement_timeout_ms=2000)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def criteria(field: str) -> str:
    return json.dumps({"match": "all", "rules": [{"field": field, "op": "gte", "value": 0}]})


API = "/admin/segments/api"


def test_a_timeout_before_the_first_byte_is_503_with_retry_after(slow_app):
    client = slow_app.test_client()
    for url in (f"{API}/export.csv?criteria={criteria('slow')}",
                f"{API}/count?criteria={criteria('slow')}"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert int(response.headers["Retry-After"]) > 0
        assert "took longer than 2 s" in response.get_json()["message"]


def test_a_page_timeout_is_503_with_retry_after(slow_app):
    response = slow_app.test_client().get(f"/admin/segments/members?criteria={criteria('slow')}")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0


def test_a_timeout_mid_stream_ends_the_download_visibly_incomplete(slow_app, monkeypatch, caplog):
    monkeypatch.setattr(export, "EXPORT_BATCH", FAST_ROWS)
    client = slow_app.test_client()
    response = client.get(f"{API}/export.csv?criteria={criteria('late')}", buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)  # the download started
    with slow_app.app_context():
        from community_segments import get_state
        with get_state(slow_app).db.engine.begin() as connection:
            connection.execute(SWITCH.update().values(slow=1))
    received = []
    with caplog.at_level(logging.ERROR, logger="community_segments.web.export"):  # noqa: SIM117
        with pytest.raises(ExportIncomplete):  # a real server drops the connection here
            for chunk in response.response:
                received.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    body = "".join(received)
    lines = body.splitlines()
    assert lines[0].startswith("id,")
    assert len(lines) - 2 == FAST_ROWS  # header, the quick members, the marker
    assert lines[-1].startswith(INCOMPLETE) and "took longer than 2 s" in lines[-1]
    assert [r.getMessage() for r in caplog.records if "stopped part-way" in r.getMessage()] \
        and len(caplog.records) == 1


def test_a_real_server_drops_the_connection_after_the_marker(slow_app, monkeypatch):
    import http.client
    import threading
    from urllib.parse import quote

    from werkzeug.serving import make_server

    monkeypatch.setattr(export, "EXPORT_BATCH", FAST_ROWS)

    @slow_app.after_request
    def flip(response):  # the first batch is done, the body is not sent yet
        from community_segments import get_state
        with get_state(slow_app).db.engine.begin() as connection_:
            connection_.execute(SWITCH.update().values(slow=1))
        return response

    server = make_server("127.0.0.1", 0, slow_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=60)
        connection.request("GET", f"{API}/export.csv?criteria={quote(criteria('late'))}")
        response = connection.getresponse()
        assert response.status == 200
        with pytest.raises(http.client.IncompleteRead) as raised:
            response.read()
        lines = raised.value.partial.decode().splitlines()
        assert len(lines) == FAST_ROWS + 2 and lines[-1].startswith(INCOMPLETE)
    finally:
        server.shutdown()
        thread.join()


def test_a_create_that_times_out_is_503_and_writes_nothing(slow_app):
    from community_segments.models import Segment
    from community_segments.web.security import SESSION_KEY

    client = slow_app.test_client()
    with client.session_transaction() as session:
        session[SESSION_KEY] = "token"
    response = client.post(f"{API}/segments", headers={"X-CSRFToken": "token"}, json={
        "title": "Slow", "criteria": json.loads(criteria("slow"))})
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
    with slow_app.app_context():
        from community_segments import get_state
        session = get_state(slow_app).db.session
        assert session.scalar(sa.select(sa.func.count()).select_from(Segment)) == 0
    again = client.post(f"{API}/segments", headers={"X-CSRFToken": "token"}, json={
        "title": "Slow", "criteria": json.loads(criteria("late"))})
    assert again.status_code == 201  # no "title exists": the first try left nothing


def test_the_overview_renders_at_once_beside_a_segment_past_the_timeout(slow_app):
    """Issue 15: the overview page evaluates nothing; the live counts come from the API."""
    import time

    from community_segments import get_state
    with slow_app.app_context():
        get_state(slow_app).service().create("Slow", json.loads(criteria("slow")))
    client = slow_app.test_client()
    started = time.monotonic()
    page = client.get("/admin/segments/")
    elapsed = time.monotonic() - started
    assert page.status_code == 200 and elapsed < 2.0, elapsed  # the timeout is 2 s
    assert "Slow" in page.get_data(as_text=True) and "counting…" in page.get_data(as_text=True)
    live = client.get(f"{API}/overview")  # where it does run, it times out: the script
    assert live.status_code == 503        # keeps the page's counts and offers a retry
    assert "the segment overview took longer than" in live.get_json()["message"]
