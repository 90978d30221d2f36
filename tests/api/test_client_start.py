"""What an API client needs first (issue 11): the CSRF token after logging in, and sorting
by any column the member table shows."""

from __future__ import annotations

import pytest

from community_segments.demo.app import member_view

from .conftest import API, Api, log_in


def test_a_client_gets_the_csrf_token_after_logging_in_and_writes_with_it(sqlite_app):
    client = sqlite_app.test_client()
    assert client.get(API + "/csrf").status_code == 403  # admins only, like every route
    log_in(client, "admin", "admin")
    response = client.get(API + "/csrf")
    assert response.status_code == 200
    token = response.get_json()["csrf_token"]
    assert response.headers["X-CSRFToken"] == token
    assert response.get_json()["header"] == "X-CSRFToken"
    api = Api(client, token)
    assert api("POST", "/groups", {"name": "Via the csrf endpoint"}).status_code == 201
    assert api("POST", "/groups", {"name": "Forged"}, csrf=False).status_code == 400


def test_the_csrf_endpoint_is_in_the_openapi_document(admin):
    spec = admin.ok("GET", "/openapi.json")
    operation = spec["paths"]["/admin/segments/api/csrf"]["get"]
    assert "X-CSRFToken" in operation["summary"]


@pytest.mark.parametrize("column", [c for c in member_view().columns if c != "id"])
def test_every_displayed_column_sorts_both_ways(admin, column):
    pages = {}
    for direction in ("asc", "desc"):
        page = admin.ok("GET", f"/members?criteria=%7B%22rules%22%3A%5B%5D%7D&per_page=500"
                               f"&sort={column}&direction={direction}")
        values = [item[column] for item in page["items"] if item[column] is not None]
        assert values == sorted(values, reverse=direction == "desc"), column
        pages[direction] = values
    assert pages["asc"] and pages["asc"] != pages["desc"]
