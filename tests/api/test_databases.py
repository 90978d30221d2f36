"""The main API flow on every database (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

import csv
import io

from .conftest import MEMBERS, api_for

CUSTOMER_SUCCESS = {"match": "all", "rules": [
    {"field": "department", "op": "equals", "value": "customer success"}]}
NO_GROUPS = {"match": "all", "rules": [{"field": "groups", "op": "is_empty"}]}


def test_api_flow(app):
    admin = api_for(app, "admin")
    count = admin.ok("POST", "/count", {"criteria": CUSTOMER_SUCCESS})["count"]
    assert 0 < count < MEMBERS
    segment = admin.ok("POST", "/segments", {"title": "CS", "group": "Teams",
                                             "criteria": CUSTOMER_SUCCESS}, 201)
    assert segment["count"] == count
    lonely = admin.ok("POST", "/segments", {"title": "No groups", "criteria": NO_GROUPS}, 201)
    page = admin.ok("GET", f"/segments/{segment['id']}/members?per_page=7&sort=last_activity")
    assert len(page["items"]) == 7 and page["total"] == count
    overlap = admin.ok("GET", f"/overlap?ids={segment['id']},{lonely['id']}")
    assert overlap["matrix"][0][0] == count and overlap["matrix"][1][1] == lonely["count"]
    changed = admin.ok("PATCH", f"/segments/{segment['id']}",
                       {"version": segment["version"], "description": "Changed"})
    assert admin("PATCH", f"/segments/{segment['id']}",
                 {"version": segment["version"], "title": "X"}).status_code == 409
    exported = admin("GET", f"/segments/{segment['id']}/export.csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(exported)))) == count
    overview = admin.ok("GET", "/overview")
    assert {s["id"]: s["count"] for s in overview["segments"]} == {
        segment["id"]: count, lonely["id"]: lonely["count"]}
    assert admin("DELETE", f"/segments/{changed['id']}").status_code == 204
    assert admin("DELETE", f"/groups/{segment['group_id']}").status_code == 204
    assert [s["id"] for s in admin.ok("GET", "/segments")["segments"]] == [lonely["id"]]
