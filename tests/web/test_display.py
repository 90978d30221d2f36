"""What the pages show without JavaScript: numbers, clamped pages, styled errors, search,
campaign links, column names and labels."""

from __future__ import annotations

import json

from community_segments.demo.campaigns.audiences import answer_compose_url, compose_url
from community_segments.web import display

from .conftest import TOKEN


def test_numbers_get_thousands_separators():
    assert [display.number(n) for n in (0, 999, 20001, 1234567)] == [
        "0", "999", "20,001", "1,234,567"]
    assert display.show_cell(20001) == "20,001" and display.show_cell(True) is True
    assert display.show_cell("DE", {"DE": "Germany"}) == "Germany (DE)"
    assert display.show_cell("ZZ", {"DE": "Germany"}) == "ZZ"


def test_a_page_past_the_end_shows_the_last_page(admin, service):
    everyone = {"match": "all", "rules": []}
    last = service.members(everyone, per_page=25).pages
    response = admin.get("/admin/segments/members",
                         query_string={"criteria": json.dumps(everyone), "page": 999})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and f"Page {last} of {last}" in text
    assert "No members match" not in text


def test_a_missing_segment_is_a_styled_page_with_a_way_back(admin):
    response = admin.get("/admin/segments/999999")
    text = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Logoipsum Community" in text and "cs-error-page" in text  # inside the layout
    assert "There is no segment 999999" in text and "Back to all segments" in text
    moved = admin.post("/admin/segments/999999/duplicate", data={"csrf_token": TOKEN})
    assert moved.status_code == 404 and "Back to all segments" in moved.get_data(as_text=True)


def test_json_callers_get_json_errors(admin):
    response = admin.post("/admin/segments/move", json={"segment": 999999},
                          headers={"X-CSRFToken": TOKEN})
    assert response.status_code == 404 and response.is_json


def test_search_by_title_without_javascript(admin, service):
    text = admin.get("/admin/segments/?q=NEW").get_data(as_text=True)
    titles = [s.title for s in service.list_segments()]
    hits = [t for t in titles if "new" in t.lower()]
    assert f"{len(hits)} of {len(titles)} segments match" in text
    assert 'id="group-none" aria-labelledby="group-none-name" hidden' in text  # no match there
    other = service.get("Employees")
    assert f'id="segment-{other.id}" data-segment="{other.id}" data-title="employees" tabindex="-1" hidden' in text  # noqa: E501


def test_email_this_segment_only_when_a_campaign_module_answers(admin, service):
    segment = service.get("Employees")
    text = admin.get(f"/admin/segments/{segment.id}").get_data(as_text=True)
    assert f'href="/admin/campaigns/new?audience=segment:{segment.id}"' in text
    compose_url.disconnect(answer_compose_url)
    try:
        text = admin.get(f"/admin/segments/{segment.id}").get_data(as_text=True)
        assert "Email this segment" not in text
    finally:
        compose_url.connect(answer_compose_url)


def test_member_tables_name_columns_and_countries(admin, service):
    text = admin.get("/admin/segments/members?sort=post_count&direction=desc").get_data(as_text=True)
    assert ">Post count<" in text and ">Country<" in text
    countries = service.members({"match": "all", "rules": []}, per_page=25, sort="post_count",
                                direction="desc").items
    code = next(m["country"] for m in countries if m["country"])
    assert f"({code})</td>" in text


def test_duplicate_marks_the_copy(admin, service):
    original = service.get("Newcomers")
    admin.post(f"/admin/segments/{original.id}/duplicate", data={"csrf_token": TOKEN})
    copy = service.get("Newcomers (copy)")
    assert copy.description == f"Copy of Newcomers: {original.description}"
