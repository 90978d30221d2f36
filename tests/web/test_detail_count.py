"""The detail page comes without the count (the slow part of a large segment): its script
fills it in from ``GET api/segments/<id>/count``; without script, ``?count=1`` counts."""

from __future__ import annotations

import re

import sqlalchemy as sa

API = "/admin/segments/api"


def _statements(client, url):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = sa.engine.Engine  # every engine: the evaluation has its own
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return response, seen


def test_the_detail_page_runs_no_count(admin, service):
    segment = service.get("Employees")
    response, seen = _statements(admin, f"/admin/segments/{segment.id}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert any(" LIMIT " in s.upper() for s in seen)  # the member page was read
    assert not [s for s in seen if "count(" in s.lower()]
    assert 'class="cs-counting"' in text and "Counting members…" in text
    assert f'data-count-url="{API}/segments/{segment.id}/count"' in text
    assert re.search(r'<noscript> <a href="[^"]*count=1[^"]*">Show the count</a></noscript>',
                     text)
    assert 'data-member="' in text  # the members are there all the same


def test_count_1_counts_on_the_server(admin, service):
    segment = service.get("Employees")
    count, total = service.count(segment.criteria), service.total_members()
    response, seen = _statements(admin, f"/admin/segments/{segment.id}?count=1")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert [s for s in seen if "count(" in s.lower()]
    assert f'<strong class="cs-count">{count:,}</strong> members' in text
    assert f"of {total:,}" in text and "Counting members…" not in text


def test_the_count_endpoint(admin, service):
    segment = service.get("Employees")
    data = admin.get(f"{API}/segments/{segment.id}/count").get_json()
    assert data["count"] == service.count(segment.criteria)
    assert data["total_members"] == service.total_members()
    assert admin.get(f"{API}/segments/999999/count").status_code == 404


def test_the_count_endpoint_is_admin_only(member, anonymous, service):
    segment = service.get("Employees")
    assert member.get(f"{API}/segments/{segment.id}/count").status_code == 403
    assert anonymous.get(f"{API}/segments/{segment.id}/count").status_code in (302, 401, 403)
