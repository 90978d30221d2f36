"""Segments, members, counts, overview, overlap and export through the JSON API."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote

import pytest

from .conftest import API, MEMBERS

US = {"match": "all", "rules": [{"field": "country", "op": "equals", "value": "US"}]}
ACTIVE = {"match": "all", "rules": [{"field": "post_count", "op": "gte", "value": 1}]}
BAD_OP = {"match": "all", "rules": [
    {"field": "country", "op": "equals", "value": "US"},
    {"field": "post_count", "op": "contains", "value": "1"}]}


def q(criteria) -> str:
    return quote(json.dumps(criteria))


@pytest.fixture
def us(admin):
    segment = admin.ok("POST", "/segments", {"title": "US members", "criteria": US}, 201)
    yield segment
    admin("DELETE", f"/segments/{segment['id']}")


def test_fields_list_types_operators_labels_and_computed_choices(admin):
    fields = {f["key"]: f for f in admin.ok("GET", "/fields")["fields"]}
    assert fields["post_count"]["type"] == "number"
    role_ops = {op["key"]: op["label"] for op in fields["primary_role"]["operators"]}
    assert role_ops["equals"] == "is" and role_ops["in"] == "is any of"
    assert "Beta testers" in fields["groups"]["choices"]  # computed from the database
    assert fields["email"]["choices"] is None


def test_create_read_and_list_with_counts(admin, us):
    assert us["count"] > 0 and us["sentence"] == "Country is US" and us["version"] == 1
    assert admin.ok("GET", f"/segments/{us['id']}")["count"] == us["count"]
    listed = admin.ok("GET", "/segments")
    assert listed["total_members"] == MEMBERS + 2
    assert us["id"] in [s["id"] for s in listed["segments"]]


def test_bad_criteria_is_422_with_the_path_of_the_bad_rule(admin):
    response = admin("POST", "/segments", {"title": "Bad", "criteria": BAD_OP})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert list(errors) == ["criteria.rules[1].op"]
    assert "'contains' is not an operator of number field 'post_count'" in errors[
        "criteria.rules[1].op"][0]
    assert "Bad" not in [s["title"] for s in admin.ok("GET", "/segments")["segments"]]


@pytest.mark.parametrize(("payload", "path"), [
    ({"criteria": US}, "title"),
    ({"title": "", "criteria": US}, "title"),
    ({"title": "T"}, "criteria"),
    ({"title": "T", "criteria": [1]}, "criteria"),
    ({"title": "T", "criteria": {"rules": [{"field": "nope", "op": "equals"}]}},
     "criteria.rules[0].field"),
    ({"title": "T", "criteria": {"match": "some", "rules": []}}, "criteria.match"),
    ({"title": "T", "criteria": US, "group": [1]}, "group"),
    ({"title": "T", "criteria": US, "colour": "red"}, "colour"),
    ([1, 2], "body"),
])
def test_bad_create_bodies_are_422_naming_the_field(admin, payload, path):
    response = admin("POST", "/segments", payload)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert path in response.get_json()["errors"]


@pytest.mark.parametrize(("raw", "message"), [
    ("{bad", "not valid JSON"), ("[1,", "not valid JSON"), ("", "body is empty"),
    (b"\xff\xfe", "not valid JSON")])
def test_malformed_json_is_400(admin, raw, message):
    response = admin.client.post(API + "/segments", data=raw, content_type="application/json",
                                 headers={"X-CSRFToken": admin.token})
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_duplicate_title_is_422(admin, us):
    response = admin("POST", "/segments", {"title": "US members", "criteria": US})
    assert response.status_code == 422
    assert "exists already" in response.get_json()["errors"]["title"][0]


def test_update_with_version_and_409_on_a_stale_one(admin, us):
    path = f"/segments/{us['id']}"
    changed = admin.ok("PATCH", path, {"version": 1, "title": "US", "criteria": ACTIVE})
    assert changed["version"] > 1 and changed["sentence"] == "Post count is at least 1"
    stale = admin("PATCH", path, {"version": 1, "title": "Other"})
    assert stale.status_code == 409
    assert stale.get_json()["current_version"] == changed["version"]
    assert admin.ok("GET", path)["title"] == "US"
    missing = admin("PATCH", path, {"title": "No version"})
    assert missing.status_code == 422 and "version" in missing.get_json()["errors"]
    bad = admin("PATCH", path, {"version": changed["version"], "criteria": BAD_OP})
    assert bad.status_code == 422 and "criteria.rules[1].op" in bad.get_json()["errors"]


def test_unknown_ids_are_404(admin):
    for method, path in [("GET", "/segments/999"), ("PATCH", "/segments/999"),
                         ("DELETE", "/segments/999"), ("POST", "/segments/999/duplicate"),
                         ("POST", "/segments/999/move"), ("GET", "/segments/999/members"),
                         ("GET", "/segments/999/export.csv"), ("GET", "/overlap?ids=999"),
                         ("PATCH", "/groups/999"), ("DELETE", "/groups/999")]:
        body = {"version": 1} if method == "PATCH" else {"group": None}
        response = admin(method, path, body)
        assert response.status_code == 404, (method, path)
        assert "999" in response.get_json()["message"]


def test_delete_then_404(admin):
    segment = admin.ok("POST", "/segments", {"title": "Gone", "criteria": US}, 201)
    assert admin("DELETE", f"/segments/{segment['id']}").status_code == 204
    assert admin("GET", f"/segments/{segment['id']}").status_code == 404


def test_duplicate_and_move(admin, us):
    copy = admin.ok("POST", f"/segments/{us['id']}/duplicate", None, 201)
    assert copy["title"] == "US members (copy)" and copy["criteria"] == us["criteria"]
    group = admin.ok("POST", "/groups", {"name": "Moves"}, 201)
    admin.ok("POST", f"/segments/{us['id']}/move", {"group": group["id"]})
    moved = admin.ok("POST", f"/segments/{copy['id']}/move", {"group": group["id"], "position": 0})
    assert moved["group_id"] == group["id"] and moved["position"] == 0
    groups = {g["id"]: g for g in admin.ok("GET", "/groups")["groups"]}
    assert groups[group["id"]]["segment_ids"] == [copy["id"], us["id"]]
    unknown = admin("POST", f"/segments/{us['id']}/move", {"group": 999})
    assert unknown.status_code == 422 and "group" in unknown.get_json()["errors"]
    negative = admin("POST", f"/segments/{us['id']}/move", {"group": None, "position": -1})
    assert negative.status_code == 422 and "position" in negative.get_json()["errors"]
    admin("DELETE", f"/segments/{copy['id']}")
    admin("DELETE", f"/groups/{group['id']}")


def test_segment_members_paginated_and_sorted(admin, us):
    page = admin.ok("GET", f"/segments/{us['id']}/members?per_page=5&page=2&sort=email&direction=desc")
    assert page["total"] == us["count"] and page["page"] == 2 and len(page["items"]) == 5
    assert page["pages"] == -(-us["count"] // 5)
    emails = [m["email"] for m in page["items"]]
    assert emails == sorted(emails, reverse=True)
    assert {m["country"] for m in page["items"]} == {"US"}
    first = admin.ok("GET", f"/segments/{us['id']}/members?per_page=5&sort=email&direction=desc")
    assert first["items"][-1]["email"] > emails[0]


@pytest.mark.parametrize(("args", "key"), [
    ("sort=password_hash", "sort"), ("direction=up", "direction"), ("page=0", "page"),
    ("per_page=501", "per_page"), ("page=x", "page")])
def test_bad_paging_is_422(admin, us, args, key):
    response = admin("GET", f"/segments/{us['id']}/members?{args}")
    assert response.status_code == 422 and key in response.get_json()["errors"]


def test_adhoc_members_and_count_by_query_and_body(admin, us):
    by_query = admin.ok("GET", f"/members?criteria={q(US)}&per_page=3")
    by_body = admin.ok("POST", "/members", {"criteria": US, "per_page": 3})
    assert by_query == by_body and by_query["total"] == us["count"]
    count = admin.ok("GET", f"/count?criteria={q(US)}")
    assert count["count"] == us["count"] and count["total_members"] == MEMBERS + 2
    assert count["percent"] == round(100 * us["count"] / (MEMBERS + 2), 1)
    assert admin.ok("POST", "/count", {"criteria": US}) == count


@pytest.mark.parametrize(("url", "path"), [
    (f"/count?criteria={q(BAD_OP)}", "criteria.rules[1].op"),
    ("/count?criteria=%7Bnot%20json", "criteria"),
    ("/count", "criteria"),
    (f"/members?criteria={q(BAD_OP)}", "criteria.rules[1].op"),
    (f"/export.csv?criteria={q(BAD_OP)}", "criteria.rules[1].op"),
    ("/overlap?ids=a", "ids[0]"),
    ("/overlap", "ids"),
])
def test_bad_reads_are_422_with_the_path(admin, url, path):
    response = admin("GET", url)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert path in response.get_json()["errors"], response.get_json()


def test_overview_counts_every_segment_and_the_total(admin, us):
    overview = admin.ok("GET", "/overview")
    assert overview["total_members"] == MEMBERS + 2
    counts = {s["id"]: s["count"] for s in overview["segments"]}
    assert counts[us["id"]] == us["count"]


def test_overlap_matrix_and_relations(admin, us):
    active = admin.ok("POST", "/segments", {"title": "Active US", "criteria": {
        "match": "all", "rules": [*US["rules"], *ACTIVE["rules"]]}}, 201)
    result = admin.ok("GET", f"/overlap?ids={us['id']},{active['id']}")
    assert result["matrix"][0][0] == us["count"]
    assert result["matrix"][0][1] == result["matrix"][1][1] == active["count"]
    assert result["shares"][1][0] == 100.0
    assert {"kind": "subset", "a": active["id"], "b": us["id"]} in result["relations"]
    same = admin.ok("GET", f"/overlap?ids={us['id']}&ids={active['id']}")
    assert same == result
    admin("DELETE", f"/segments/{active['id']}")


def test_csv_export_streams_every_member(admin, us):
    response = admin("GET", f"/segments/{us['id']}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == us["count"] and {r["country"] for r in rows} == {"US"}
    assert "attachment" in response.headers["Content-Disposition"]
    adhoc = admin("GET", f"/export.csv?criteria={q(US)}").get_data(as_text=True)
    assert adhoc == response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path", "payload", "status"), [
    ("GET", "/segments/99999999999999999999", None, 404),
    ("DELETE", "/groups/99999999999999999999", None, 404),
    ("GET", "/overlap?ids=99999999999999999999", None, 422),
    ("GET", "/overlap?ids=0", None, 422),
    ("POST", "/groups/order", {"ids": [2**40]}, 422),
    ("POST", "/segments", {"title": "Big", "criteria": {"rules": []}, "group": 2**40}, 422),
    ("GET", f"/count?criteria={q({'rules': [{'field': 'post_count', 'op': 'gt', 'value': 1e308}]})}",
     None, 200),
])
def test_huge_numbers_are_not_a_500(admin, method, path, payload, status):
    response = admin(method, path, payload)
    assert response.status_code == status, response.get_data(as_text=True)
