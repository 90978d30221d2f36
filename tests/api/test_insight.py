"""The API's member routes: explain, a member's segments and fields, search, diff lists."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

from .conftest import Api, api_for

ROLE = {"match": "all", "rules": [{"field": "primary_role", "op": "equals",
                                   "value": "Registered user"}]}
MODS = {"match": "all", "rules": [{"field": "primary_role", "op": "in",
                                   "value": ["Moderator", "Administrator"]}]}
RECENT = {"match": "any", "rules": [
    {"field": "last_activity", "op": "less_than_days_ago", "value": 30},
    {"field": "groups", "op": "has_any", "value": ["Beta testers"]}]}


def _create(admin: Api, title: str, criteria: dict) -> int:
    return admin.ok("POST", "/segments", {"title": title, "criteria": criteria}, 201)["id"]


def _member_ids(admin: Api, criteria: dict) -> set[int]:
    rows = admin.ok("POST", "/members", {"criteria": criteria, "per_page": 500})["items"]
    return {row["id"] for row in rows}


def test_explain_agrees_with_member_list(admin):
    segment = _create(admin, "Explained", RECENT)
    inside = _member_ids(admin, RECENT)
    for member in (1, 2, 3, 50, 120, "mallory"):
        data = admin.ok("GET", f"/segments/{segment}/explain?member={member}")
        assert data["in_segment"] == (data["member"]["id"] in inside)
        tree = data["tree"]
        assert tree["matched"] == data["in_segment"]
        recent, groups = tree["rules"]
        assert recent["cutoff"] and recent["sentence"].startswith("Last activity")
        assert isinstance(groups["member_value"], list)
        assert tree["matched"] == (recent["matched"] or groups["matched"])


def test_explain_errors(admin):
    segment = _create(admin, "Explain errors", ROLE)
    assert admin("GET", f"/segments/{segment}/explain").status_code == 422
    missing = admin("GET", f"/segments/{segment}/explain?member=nobody-at-all")
    assert missing.status_code == 404 and "nobody-at-all" in missing.get_json()["message"]
    assert admin("GET", "/segments/999999/explain?member=nobody").status_code == 404


def test_member_segments_and_profile(admin):
    ids = {_create(admin, "Role", ROLE): ROLE, _create(admin, "Mods", MODS): MODS}
    for member in (1, 5, 77):
        data = admin.ok("GET", f"/members/{member}/segments")
        mine = {s["id"] for s in data["segments"]}
        expected = {sid for sid, criteria in ids.items() if member in _member_ids(admin, criteria)}
        assert mine & set(ids) == expected
        profile = admin.ok("GET", f"/members/{member}")
        values = {row["key"]: row["value"] for row in profile["fields"]}
        assert profile["member"]["id"] == member
        assert isinstance(values["groups"], list) and "primary_role" in values
    assert admin("GET", "/members/999999/segments").status_code == 404


def test_search(admin):
    found = admin.ok("GET", "/members/search?q=MALLO")["items"]
    assert [m["username"] for m in found] == ["mallory"]
    by_mail = admin.ok("GET", "/members/search?q=example.org&limit=50")["items"]
    assert all("example.org" in m["email"].lower() for m in by_mail) and by_mail
    assert admin.ok("GET", "/members/search?q=%25")["items"] == []  # LIKE's % is literal
    assert admin("GET", "/members/search").status_code == 422
    assert admin("GET", "/members/search?q=a&limit=0").status_code == 422


def test_member_routes_need_admin(sqlite_app):
    mallory, anonymous = api_for(sqlite_app, "mallory"), api_for(sqlite_app, None)
    for path in ("/members/1/segments", "/members/1", "/members/search?q=a",
                 "/segments/1/explain?member=1"):
        assert mallory("GET", path).status_code == 403
        assert anonymous("GET", path).status_code in (302, 401, 403)


def test_diff_needs_csrf(admin):
    segment = _create(admin, "Csrf diff", ROLE)
    response = admin("POST", f"/segments/{segment}/diff", {"criteria": MODS}, csrf=False)
    assert response.status_code in (400, 403)


def test_diff_lists_are_set_differences(app):
    admin = api_for(app, "admin")
    segment = _create(admin, "Before", ROLE)
    old, new = _member_ids(admin, ROLE), _member_ids(admin, RECENT)
    data = admin.ok("POST", f"/segments/{segment}/diff", {"criteria": RECENT, "per_page": 7})
    assert (data["added"], data["removed"]) == (len(new - old), len(old - new))
    for side, expected in (("added", new - old), ("removed", old - new)):
        first = data[f"{side}_members"]
        seen = [m["id"] for m in first["items"]]
        after = first["next_after"]
        while after is not None:
            page = admin.ok("GET", f"/segments/{segment}/diff/{side}?after={after}&per_page=7"
                                   f"&criteria={quote(json.dumps(RECENT))}")
            seen += [m["id"] for m in page["items"]]
            after = page["next_after"]
        assert seen == sorted(expected)
        text = admin("GET", f"/segments/{segment}/diff/{side}.csv"
                            f"?criteria={quote(json.dumps(RECENT))}").get_data(as_text=True)
        assert [int(row["id"]) for row in csv.DictReader(io.StringIO(text))] == sorted(expected)


def test_diff_errors(admin):
    segment = _create(admin, "Diff errors", ROLE)
    bad = {"match": "all", "rules": [{"field": "post_count", "op": "contains", "value": 1}]}
    response = admin("POST", f"/segments/{segment}/diff", {"criteria": bad})
    assert response.status_code == 422 and "criteria.rules[0].op" in response.get_json()["errors"]
    assert admin("POST", "/segments/999999/diff", {"criteria": ROLE}).status_code == 404
    assert admin("GET", f"/segments/{segment}/diff/sideways?criteria={{}}").status_code == 404
    assert admin("GET", f"/segments/{segment}/diff/added?after=-1"
                        f"&criteria={quote(json.dumps(ROLE))}").status_code == 422


def test_explain_expands_segment_references(admin):
    base = _create(admin, "Referenced role", ROLE)
    built = _create(admin, "Built on it", {"match": "all", "rules": [
        {"field": "segment", "op": "in", "value": [base]}]})
    inside = _member_ids(admin, ROLE)
    for member in (1, 2, 3, 4):
        data = admin.ok("GET", f"/segments/{built}/explain?member={member}")
        rule = data["tree"]["rules"][0]
        assert rule["references"] == [base]
        assert rule["matched"] is data["in_segment"] is (member in inside)
        inner = admin.ok("GET", f"/segments/{base}/explain?member={member}")
        assert inner["in_segment"] is rule["matched"]
    admin.ok("DELETE", f"/segments/{built}", status=204)
