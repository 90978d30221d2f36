"""Segment groups through the JSON API."""

from __future__ import annotations


def test_create_rename_reorder_delete(admin):
    a = admin.ok("POST", "/groups", {"name": "Alpha"}, 201)
    b = admin.ok("POST", "/groups", {"name": "Beta"}, 201)
    assert admin.ok("PATCH", f"/groups/{a['id']}", {"name": "Alpha 2"})["name"] == "Alpha 2"
    ids = [g["id"] for g in admin.ok("GET", "/groups")["groups"]]
    reordered = admin.ok("POST", "/groups/order", {"ids": list(reversed(ids))})["groups"]
    assert [g["id"] for g in reordered] == list(reversed(ids))
    segment = admin.ok("POST", "/segments", {"title": "In Beta", "group": b["id"],
                                             "criteria": {"rules": []}}, 201)
    assert admin("DELETE", f"/groups/{b['id']}").status_code == 204
    kept = admin.ok("GET", f"/segments/{segment['id']}")
    assert kept["group_id"] is None  # deleting a group never deletes its segments
    admin("DELETE", f"/segments/{segment['id']}")
    admin("DELETE", f"/groups/{a['id']}")


def test_create_segment_in_a_new_group_by_name(admin):
    segment = admin.ok("POST", "/segments", {"title": "Named", "group": "Made on the fly",
                                             "criteria": {"rules": []}}, 201)
    names = {g["id"]: g["name"] for g in admin.ok("GET", "/groups")["groups"]}
    assert names[segment["group_id"]] == "Made on the fly"
    admin("DELETE", f"/segments/{segment['id']}")
    admin("DELETE", f"/groups/{segment['group_id']}")


def test_bad_group_input_is_422(admin):
    admin.ok("POST", "/groups", {"name": "Taken"}, 201)
    for method, path, body, key in [
            ("POST", "/groups", {"name": "Taken"}, "name"),
            ("POST", "/groups", {"name": ""}, "name"),
            ("POST", "/groups", {}, "name"),
            ("POST", "/groups/order", {"ids": [1, 1]}, "ids"),
            ("POST", "/groups/order", {"ids": "1"}, "ids")]:
        response = admin(method, path, body)
        assert response.status_code == 422, (body, response.get_data(as_text=True))
        assert key in response.get_json()["errors"]
