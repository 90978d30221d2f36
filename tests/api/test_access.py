"""Every API route: admins only, and a CSRF token on every write (the blueprint guard)."""

from __future__ import annotations

import re

import pytest

from community_segments.web.openapi import API_ENDPOINT_PREFIX

from .conftest import API, api_for

CRITERIA = '{"match":"all","rules":[]}'
QUERIES = {"/count": f"?criteria={CRITERIA}", "/members": f"?criteria={CRITERIA}",
           "/export.csv": f"?criteria={CRITERIA}", "/overlap": "?ids=1",
           "/members/search": "?q=a"}
# Routes under a segment that need a query string, by how their path ends.
ENDINGS = {"/explain": "?member=1", "/diff/added": f"?criteria={CRITERIA}",
           "/diff/added.csv": f"?criteria={CRITERIA}"}


def api_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(API_ENDPOINT_PREFIX):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((method, rule.rule))
    return sorted(routes)


def concrete(rule: str, ids: dict) -> str:
    path = re.sub(r"<int:(\w+)_id>", lambda m: str(ids[m[1]]), rule.removeprefix(API))
    path = path.replace("<key>", "department")  # a field key
    path = re.sub(r"<any\(([a-z_]+),[^>]*>", r"\1", path)  # the first choice of an any()
    query = QUERIES.get(path, "").replace("ids=1", f"ids={ids['segment']}")
    query += next((q for end, q in ENDINGS.items() if path.endswith(end)), "")
    return path + query


@pytest.fixture(scope="module")
def routes(sqlite_app):
    found = api_routes(sqlite_app)
    assert len(found) >= 20, found
    return found


@pytest.fixture(scope="module")
def ids(sqlite_app):
    """A segment and a group that every route is tried on."""
    admin = api_for(sqlite_app, "admin")
    group = admin.ok("POST", "/groups", {"name": "Access"}, 201)
    segment = admin.ok("POST", "/segments", {"title": "Access", "criteria": {"rules": []}}, 201)
    return {"segment": segment["id"], "group": group["id"], "member": 1}


def test_the_api_has_the_expected_routes(routes):
    paths = {path for _, path in routes}
    paths = {re.sub(r"<[^>]*:(\w+)>", r"{\1}", path) for path in paths}
    for expected in ("/fields", "/segments", "/segments/{segment_id}",
                     "/segments/{segment_id}/duplicate", "/segments/{segment_id}/move",
                     "/segments/{segment_id}/members", "/segments/{segment_id}/export.csv",
                     "/members", "/count", "/overview", "/overlap", "/groups",
                     "/groups/{group_id}", "/groups/order", "/export.csv", "/openapi.json"):
        assert API + expected in paths


def test_anonymous_and_non_admins_get_403_json_on_every_route(sqlite_app, routes, ids):
    for who in (None, "mallory"):
        client = api_for(sqlite_app, who)
        for method, rule in routes:
            response = client(method, concrete(rule, ids), json={})
            assert response.status_code == 403, (who, method, rule)
            assert response.get_json() == {"message": "Admin permission required."}


def test_every_write_without_the_csrf_token_is_refused(admin, routes, ids):
    writes = [(m, r) for m, r in routes if m != "GET"]
    assert len(writes) >= 9
    for method, rule in writes:
        for token in (None, "forged"):
            headers = {"X-CSRFToken": token} if token else {}
            response = admin.client.open(API + concrete(rule, ids), method=method, json={},
                                         headers=headers)
            assert response.status_code == 400, (method, rule, token)
            assert "CSRF" in response.get_json()["message"]
    assert admin.ok("GET", f"/segments/{ids['segment']}")["title"] == "Access"  # nothing was deleted on the way  # noqa: E501


def test_every_read_works_for_an_admin(admin, routes, ids):
    for method, rule in routes:
        if method == "GET":
            response = admin(method, concrete(rule, ids))
            assert response.status_code == 200, (rule, response.get_data(as_text=True))
