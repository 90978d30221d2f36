"""Deep member pages by cursor on the detail page and the API: "Next" carries ``after=``,
walking it lists every member once in the page's order, and a cursor that is not one of
ours (garbled, forged, made for another sort) is a 422 naming ``after``, never a 500."""

from __future__ import annotations

import base64
import html
import json
import re

import pytest
from markupsafe import escape

API = "/admin/segments/api"
EVERYONE = {"match": "all", "rules": []}


def _ids(text: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-member="(\d+)"', text)]


def _next(text: str) -> str | None:
    found = re.search(r'<a href="([^"]+)" rel="next">', text)
    return html.unescape(found.group(1)) if found else None


def _forged(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.fixture
def everyone(service):
    return service.create("Everyone", EVERYONE).id


@pytest.mark.parametrize(("sort", "direction"), [("signed_up", "desc"), ("email", "asc"),
                                                 ("post_count", "desc")])
def test_next_links_walk_every_member_in_order(admin, service, everyone, sort, direction):
    expected = [row["id"] for row in service.members(
        EVERYONE, per_page=500, sort=sort, direction=direction).items]
    url, seen, pages = f"/admin/segments/{everyone}?sort={sort}&direction={direction}", [], 0
    while url:
        response = admin.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        seen += _ids(text)
        url, pages = _next(text), pages + 1
        if url:
            assert "after=" in url and f"sort={sort}" in url
    assert seen == expected and pages == -(-len(expected) // 25) > 1


def test_page_numbers_still_work(admin, service, everyone):
    by_page = admin.get(f"/admin/segments/{everyone}?page=2&sort=email")
    assert by_page.status_code == 200
    expected = [row["id"] for row in service.members(EVERYONE, page=2, per_page=25,
                                                     sort="email").items]
    assert _ids(by_page.get_data(as_text=True)) == expected


def test_api_pages_walk_by_next_after(admin, service, everyone):
    expected = [row["id"] for row in service.members(
        EVERYONE, per_page=500, sort="signed_up", direction="desc").items]
    for path in (f"/segments/{everyone}/members", "/members"):
        seen, after, calls = [], None, 0
        while True:
            args = {"per_page": 7, "sort": "signed_up", "direction": "desc",
                    **({"after": after} if after else {}),
                    **({} if path.startswith("/segments") else {"criteria": json.dumps(EVERYONE)})}
            response = admin.get(API + path, query_string=args)
            assert response.status_code == 200, response.get_data(as_text=True)
            data, calls = response.get_json(), calls + 1
            seen += [row["id"] for row in data["items"]]
            after = data["next_after"]
            if after is None:
                break
        assert seen == expected and calls == -(-len(expected) // 7)


BAD = [
    ("garbled!", "garbled"),
    (_forged([1, "email", "asc", "s", "a", 3]), "made for sorting by 'email'"),
    (_forged([1, "username", "desc", "s", "a", 3]), "made for sorting by 'username' 'desc'"),
    (_forged([1, "username", "asc", "i", 5, 3]), "holds a whole number"),
    (_forged([1, "username", "asc", "s", "a", -4]), "not a member id"),
    (_forged(["x"]), "not a cursor of this version"),
]


@pytest.mark.parametrize(("cursor", "says"), BAD)
def test_bad_cursors_are_422_on_the_pages(admin, everyone, cursor, says):
    for url in (f"/admin/segments/{everyone}", "/admin/segments/members"):
        response = admin.get(url, query_string={"after": cursor, "sort": "username"})
        assert response.status_code == 422, url
        assert str(escape(says)) in response.get_data(as_text=True), url


@pytest.mark.parametrize(("cursor", "says"), BAD)
def test_bad_cursors_are_422_in_the_api(admin, everyone, cursor, says):
    for path, extra in ((f"/segments/{everyone}/members", {}),
                        ("/members", {"criteria": json.dumps(EVERYONE)})):
        response = admin.get(API + path, query_string={"after": cursor, **extra})
        assert response.status_code == 422, path
        assert says in response.get_json()["errors"]["after"][0], path
    posted = admin.post(API + "/members", json={"criteria": EVERYONE, "after": cursor},
                        headers={"X-CSRFToken": "test-csrf-token"})
    assert posted.status_code == 422
    assert says in posted.get_json()["errors"]["after"][0]
