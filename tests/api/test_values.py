"""``GET /api/fields/<key>/values``: admin only, counts, clear errors, in OpenAPI."""

from __future__ import annotations

from .conftest import api_for


def test_values_with_counts(admin):
    data = admin.ok("GET", "/fields/department/values?prefix=ENG&limit=3")
    assert data["field"] == "department" and data["about"] is False
    first = data["values"][0]
    assert first["value"] == "Engineering" and first["count"] > 0
    count = admin.ok("POST", "/count", {"criteria": {"match": "all", "rules": [
        {"field": "department", "op": "equals", "value": "engineering"}]}})["count"]
    assert first["count"] == count


def test_enum_values_have_readable_labels(admin):
    data = admin.ok("GET", "/fields/country/values?prefix=germ")
    assert [(v["value"], v["label"]) for v in data["values"]] == [("DE", "Germany (DE)")]


def test_bad_requests_are_named(admin):
    response = admin("GET", "/fields/shoe_size/values")
    assert response.status_code == 404 and "shoe_size" in response.get_json()["message"]
    response = admin("GET", "/fields/post_count/values")
    assert response.status_code == 422 and "post_count" in response.get_json()["message"]
    response = admin("GET", "/fields/department/values?limit=0")
    assert response.status_code == 422 and "limit" in response.get_json()["errors"]
    response = admin("GET", "/fields/department/values?limit=abc")
    assert response.status_code == 422


def test_admin_only(sqlite_app):
    assert api_for(sqlite_app, "mallory")("GET", "/fields/department/values").status_code == 403
    assert api_for(sqlite_app, None)("GET", "/fields/department/values").status_code == 403


def test_in_openapi(admin):
    document = admin.ok("GET", "/openapi.json")
    operation = document["paths"]["/admin/segments/api/fields/{key}/values"]["get"]
    names = {p["name"] for p in operation["parameters"]} | {
        p["name"] for p in document["paths"]["/admin/segments/api/fields/{key}/values"]["parameters"]}
    assert {"key", "prefix", "limit"} <= names
