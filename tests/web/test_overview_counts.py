"""Issue 15: the overview never blocks. It renders at once with the counts of the last
refresh (marked with their time), the script fills in the live ones, and ``?counts=live``
(where a browser without JavaScript is sent) renders the live counts on the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from community_segments.demo.models import Member, db
from community_segments.history.app import refresh_app
from community_segments.models import Segment

OVERVIEW = "/admin/segments/"
PROBE = "@probe.example"  # in no seeded email: only a probe segment's query carries it
REFRESHED = datetime(2024, 3, 5, 8, 0, tzinfo=UTC)


def row(html: str, segment_id: int) -> str:
    found = re.search(rf'<li class="cs-segment[^"]*" id="segment-{segment_id}".*?</li>', html, re.S)
    assert found, f"no row for segment {segment_id}"
    return " ".join(found[0].split())


@pytest.fixture
def probe(app, service):
    """Segment "Probe": 2 members at the refresh, 3 now (one joined after it)."""
    db.session.add_all([Member(username=f"probe{n}", email=f"p{n}{PROBE}",
                               primary_role="Registered user") for n in range(2)])
    db.session.commit()
    segment_id = service.create("Probe", {"match": "all", "rules": [
        {"field": "email", "op": "contains", "value": PROBE}]}).id
    refresh_app(app, now=REFRESHED)
    db.session.add(Member(username="probe2", email=f"p2{PROBE}", primary_role="Registered user"))
    db.session.commit()
    return segment_id


def statements():
    """Every (statement, parameters) any engine runs (the host's, and the one segments are
    evaluated on), until the returned stop is called."""
    seen: list[tuple[str, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, repr(parameters)))
    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    return seen, lambda: sa.event.remove(sa.Engine, "before_cursor_execute", record)


def test_the_default_page_answers_without_evaluating_a_segment(admin, probe):
    seen, stop = statements()
    try:
        page = admin.get(OVERVIEW)
        evaluated_on_page = [s for s, params in seen if PROBE in params]
        seen.clear()
        live = admin.get(f"{OVERVIEW}?counts=live")
    finally:
        stop()
    assert page.status_code == 200 and live.status_code == 200
    assert evaluated_on_page == []
    assert any(PROBE in params for _, params in seen)  # the live page does run it


def test_the_default_page_shows_the_last_refresh_count_with_its_time(admin, service, probe):
    html = admin.get(OVERVIEW).get_data(as_text=True)
    probe_row = row(html, probe)
    total = service.total_members()
    assert 'class="cs-count-figures cs-count-stale"' in probe_row
    assert '<span class="cs-count">2</span>' in probe_row
    assert f"members · {100 * 2 / total:.1f}% · " in probe_row  # share of the live total
    assert ('as of <time datetime="2024-03-05T08:00:00+00:00">2024-03-05 08:00 UTC</time>'
            in probe_row)
    assert re.search(rf"<strong>{total:,}</strong> members in all", html)  # live: cheap
    assert "members in any" not in html  # the folder totals need evaluating: they come later


def test_the_live_page_shows_the_live_counts(admin, service, probe):
    html = admin.get(f"{OVERVIEW}?counts=live").get_data(as_text=True)
    probe_row = row(html, probe)
    assert '<span class="cs-count">3</span>' in probe_row
    assert "cs-count-stale" not in probe_row and "as of" not in probe_row
    assert "members in any" in html and "http-equiv" not in html
    assert 'data-counts-url' not in html  # nothing left for the script to fetch


def test_a_segment_without_history_or_edited_since_says_counting(admin, service, probe):
    fresh = service.create("Fresh", {"match": "all", "rules": []})
    service.update(probe, version=service.get(probe).version, criteria={
        "match": "all", "rules": [{"field": "email", "op": "ends_with", "value": PROBE}]})
    html = admin.get(OVERVIEW).get_data(as_text=True)
    for segment_id in (fresh.id, probe):  # the stored count was of the old criteria
        assert '<span class="cs-count cs-counting">counting…</span>' in row(html, segment_id)
    employees = row(html, service.get("Employees").id)
    assert "cs-count-stale" in employees and "as of <time" in employees


def test_without_javascript_the_page_moves_on_to_the_live_counts(admin):
    html = admin.get(f"{OVERVIEW}?q=new").get_data(as_text=True)
    head = html[:html.index("</head>")]
    assert ('<noscript><meta http-equiv="refresh" content="0;url=/admin/segments/?q=new&amp;'
            'counts=live"></noscript>') in head
    link = re.search(r"<noscript><p[^>]*>(.*?)</p></noscript>", html, re.S)
    assert link and '<a href="/admin/segments/?q=new&amp;counts=live">Show live counts</a>' in link[1]
    live = admin.get("/admin/segments/?q=new&counts=live").get_data(as_text=True)
    assert "1 of" in live and "segments match" in live  # the search survives the move


def test_the_script_gets_the_live_counts_from_the_api_overview(admin, service, probe):
    html = admin.get(OVERVIEW).get_data(as_text=True)
    url = re.search(r'data-counts-url="([^"]+)"', html)[1].replace("&amp;", "&")
    data = admin.get(url).get_json()
    assert {s["id"]: s["count"] for s in data["segments"]}[probe] == 3
    people = service.get_group("People").id
    totals = {g["id"]: g["members"] for g in data["groups"]}
    assert people in totals and f'data-group-total="{people}"' in html
    live = admin.get(f"{OVERVIEW}?counts=live").get_data(as_text=True)
    assert re.search(rf'data-group-total="{people}"> · {totals[people]:,} members in any<', live)


def test_a_segment_whose_criteria_do_not_parse_is_broken_without_evaluation(admin, service):
    segment = service.get("Employees")
    service.session.execute(sa.update(Segment).where(Segment.id == segment.id).values(
        criteria={"match": "all", "rules": [{"field": "shoe_size", "op": "equals", "value": 9}]}))
    service.session.commit()
    html = admin.get(OVERVIEW).get_data(as_text=True)
    broken = row(html, segment.id)
    assert 'class="cs-segment cs-broken"' in broken
    assert "<strong>Broken:</strong>" in broken and "unknown field &#39;shoe_size&#39;" in broken
    assert "cs-count-figures" not in broken


def test_a_group_error_page_keeps_its_message_without_javascript(admin):
    response = admin.post("/admin/segments/groups", data={"name": "", "csrf_token": "test-csrf-token"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "http-equiv" not in html  # a refresh would lose it
    assert '<a href="/admin/segments/?counts=live">Show live counts</a>' in html
