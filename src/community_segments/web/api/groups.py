"""Segment-group routes of the JSON API: list, create, rename, delete, reorder."""

from __future__ import annotations

from ... import schemas
from ..openapi import apidoc
from .blueprint import api
from .helpers import body, dump, json_object, service


def group_json(group) -> dict:
    return {"id": group.id, "name": group.name, "position": group.position,
            "segment_ids": [segment.id for segment in group.segments]}


def _group_list(groups):
    return dump(schemas.GroupList, {"groups": [group_json(g) for g in groups]})


@api.get("/groups")
@apidoc("Every segment group in order, with its segment ids", "groups",
        responses={200: schemas.GroupList})
def list_groups():
    return _group_list(service().list_groups())


@api.post("/groups")
@apidoc("Create a group (last in order)", "groups", body=schemas.GroupName,
        responses={201: schemas.SegmentGroup})
def create_group():
    group = service().create_group(body(schemas.GroupName)["name"])
    return dump(schemas.SegmentGroup, group_json(group), 201)


@api.patch("/groups/<int:group_id>")
@apidoc("Rename a group", "groups", body=schemas.GroupName,
        responses={200: schemas.SegmentGroup})
def rename_group(group_id: int):
    # The service looks the group up before it checks the name: an unknown id is a 404
    # whatever the body holds.
    data = json_object()
    name = data.get("name") if isinstance(data, dict) else None
    return dump(schemas.SegmentGroup, group_json(service().rename_group(group_id, name)))


@api.delete("/groups/<int:group_id>")
@apidoc("Delete a group; its segments become ungrouped, never deleted", "groups",
        responses={204: None})
def delete_group(group_id: int):
    service().delete_group(group_id)
    return "", 204


@api.post("/groups/order")
@apidoc("Reorder the groups: every group id exactly once", "groups", body=schemas.GroupOrder,
        responses={200: schemas.GroupList})
def reorder_groups():
    return _group_list(service().reorder_groups(body(schemas.GroupOrder)["ids"]))
