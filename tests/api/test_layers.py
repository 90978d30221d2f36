"""The service orders its errors and owns the transaction: the API only translates them."""

from __future__ import annotations

from .test_segments import BAD_OP, US


def test_unknown_ids_are_404_whatever_the_body(admin):
    bad_criteria = admin("PATCH", "/segments/999", {"version": 1, "criteria": BAD_OP})
    assert bad_criteria.status_code == 404 and "999" in bad_criteria.get_json()["message"]
    no_name = admin("PATCH", "/groups/999", {})
    assert no_name.status_code == 404 and "999" in no_name.get_json()["message"]
    bad_group = admin("POST", "/segments/999/move", {"group": 424242})
    assert bad_group.status_code == 404 and "999" in bad_group.get_json()["message"]


def test_a_missing_group_in_a_body_is_422_keyed_group(admin):
    response = admin("POST", "/segments", {"title": "Lost", "criteria": US, "group": 424242})
    assert response.status_code == 422 and "424242" in response.get_json()["errors"]["group"][0]
    titles = [s["title"] for s in admin.ok("GET", "/segments")["segments"]]
    assert "Lost" not in titles


def test_a_refused_change_leaves_nothing_behind(admin):
    first = admin.ok("POST", "/segments", {"title": "Taken title", "criteria": US}, 201)
    second = admin.ok("POST", "/segments", {"title": "Second", "criteria": US}, 201)
    # the new group is flushed before the title is refused: the service rolls it back
    clash = admin("PATCH", f"/segments/{second['id']}", {
        "version": second["version"], "group": "Group made by a failed save",
        "title": "Taken title"})
    assert clash.status_code == 422 and "title" in clash.get_json()["errors"]
    names = [g["name"] for g in admin.ok("GET", "/groups")["groups"]]
    assert "Group made by a failed save" not in names
    assert admin.ok("GET", f"/segments/{second['id']}")["title"] == "Second"
    for segment in (first, second):
        admin("DELETE", f"/segments/{segment['id']}")


def test_criteria_error_paths_are_prefixed_once(admin):
    for method, path, payload in [("POST", "/count", {"criteria": BAD_OP}),
                                  ("POST", "/segments", {"title": "T", "criteria": BAD_OP})]:
        errors = admin(method, path, payload).get_json()["errors"]
        assert list(errors) == ["criteria.rules[1].op"], (path, errors)
