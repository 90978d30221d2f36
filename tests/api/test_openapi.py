"""The OpenAPI document: valid OpenAPI 3 structure, and every API route documented."""

from __future__ import annotations

import re

import pytest

from .conftest import api_for
from .test_access import api_routes

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(sqlite_app):
    return api_for(sqlite_app, "admin").ok("GET", "/openapi.json")


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_it_is_admin_only(sqlite_app):
    assert api_for(sqlite_app, "mallory")("GET", "/openapi.json").status_code == 403
    assert api_for(sqlite_app, None)("GET", "/openapi.json").status_code == 403


def test_top_level_structure(document):
    assert re.fullmatch(r"3\.0\.\d", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    assert document["paths"] and all(path.startswith("/") for path in document["paths"])


def test_every_operation_is_well_formed(document):
    for path, item in document["paths"].items():
        templated = set(re.findall(r"{(\w+)}", path))
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert templated == declared, path
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert method in METHODS, (path, method)
            assert operation["summary"] and operation["responses"], (path, method)
            for code, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", code) and response["description"]
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"query", "path", "header", "cookie"}
                assert "schema" in parameter and parameter["name"]


def test_every_reference_resolves(document):
    schemas = document["components"]["schemas"]
    found = list(refs(document))
    assert found
    for ref in found:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas


def test_every_api_route_is_documented(sqlite_app, document):
    routes = api_routes(sqlite_app)
    for method, rule in routes:
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule)
        assert path in document["paths"], rule
        assert method.lower() in document["paths"][path], (method, rule)
    documented = sum(len(set(item) & METHODS) for item in document["paths"].values())
    assert documented == len(routes)


def test_error_responses_and_schemas_are_described(document):
    create = document["paths"]["/admin/segments/api/segments"]["post"]
    assert {"201", "400", "403", "422"} <= set(create["responses"])
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SegmentCreate"}
    segment_create = document["components"]["schemas"]["SegmentCreate"]
    assert set(segment_create["required"]) == {"title", "criteria"}
    update = document["paths"]["/admin/segments/api/segments/{segment_id}"]["patch"]
    assert "409" in update["responses"] and "404" in update["responses"]
    members = document["paths"]["/admin/segments/api/segments/{segment_id}/members"]["get"]
    assert {"page", "per_page", "sort", "direction"} <= {p["name"] for p in members["parameters"]}
