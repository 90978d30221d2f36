"""Segment routes of the JSON API: list, create, read, update, delete, duplicate, move,
members and CSV export."""

from __future__ import annotations

from .. import schemas
from ..errors import NotFound, ValidationError
from ..extension import get_state
from .api import api, body, criteria_of, csv_response, dump, member_page, query, service
from .openapi import apidoc

SEGMENT = "<int:segment_id>"


def segment_json(svc, segment, counted=None) -> dict:
    """A segment with its sentence and count (``counted``: a SegmentCount already known)."""
    counted = counted or svc.counts([segment])[0]
    return {"id": segment.id, "title": segment.title, "description": segment.description,
            "criteria": segment.criteria,
            "sentence": None if counted.broken else svc.describe(segment.criteria),
            "group_id": segment.group_id, "position": segment.position,
            "version": segment.version, "count": counted.count, "percent": counted.percent,
            "error": counted.error, "created_at": segment.created_at,
            "updated_at": segment.updated_at, "created_by": segment.created_by,
            "updated_by": segment.updated_by}


def _existing_group(svc, ref) -> None:
    """A group named in a body must exist (422, not 404: the URL itself is fine)."""
    if ref is None:
        return
    try:
        svc.get_group(ref)
    except NotFound as exc:
        raise ValidationError({"group": [str(exc)]}) from None


@api.get("/segments")
@apidoc("Every segment, by group and position, with its count", "segments",
        responses={200: schemas.SegmentList})
def list_segments():
    svc = service()
    items = [segment_json(svc, c.segment, c) for c in svc.counts()]
    return dump(schemas.SegmentList, {"total_members": svc.total_members(), "segments": items})


@api.post("/segments")
@apidoc("Create a segment", "segments", body=schemas.SegmentCreate,
        responses={201: schemas.Segment})
def create_segment():
    data = body(schemas.SegmentCreate)
    svc = service()
    segment = svc.create(data["title"], criteria_of(data["criteria"]), data["description"],
                         data["group"], actor=get_state().actor())
    return dump(schemas.Segment, segment_json(svc, segment), 201)


@api.get(f"/segments/{SEGMENT}")
@apidoc("One segment with its sentence and count", "segments", responses={200: schemas.Segment})
def get_segment(segment_id: int):
    svc = service()
    segment = svc.get(segment_id)
    return dump(schemas.Segment, {**segment_json(svc, segment), "used_by": used_by(svc, segment)})


def used_by(svc, segment) -> dict:
    usage = svc.usage(segment)
    return {"segments": [{"id": s.id, "title": s.title} for s in usage.segments],
            "campaigns": usage.campaigns}


@api.patch(f"/segments/{SEGMENT}")
@apidoc("Change title, description, criteria or group (give the version you read)",
        "segments", body=schemas.SegmentUpdate,
        responses={200: schemas.Segment,
                   409: ("Stale version: reload and retry", schemas.ConflictError)})
def update_segment(segment_id: int):
    changes = body(schemas.SegmentUpdate)
    svc = service()
    svc.get(segment_id)
    if "criteria" in changes:
        changes["criteria"] = criteria_of(changes["criteria"])
    if "group" in changes:
        _existing_group(svc, changes["group"])
    segment = svc.update(segment_id, actor=get_state().actor(), **changes)
    return dump(schemas.Segment, segment_json(svc, segment))


@api.delete(f"/segments/{SEGMENT}")
@apidoc("Delete a segment nothing uses", "segments",
        responses={204: None, 409: ("In use: by segments referring to it or campaigns",
                                    schemas.InUseError)})
def delete_segment(segment_id: int):
    service().delete(segment_id)
    return "", 204


@api.post(f"/segments/{SEGMENT}/duplicate")
@apidoc("Copy a segment (title gets a copy suffix)", "segments",
        responses={201: schemas.Segment})
def duplicate_segment(segment_id: int):
    svc = service()
    copy = svc.duplicate(segment_id, actor=get_state().actor())
    return dump(schemas.Segment, segment_json(svc, copy), 201)


@api.post(f"/segments/{SEGMENT}/move")
@apidoc("Move a segment into a group (null: ungrouped) at a position", "segments",
        body=schemas.SegmentMove, responses={200: schemas.Segment})
def move_segment(segment_id: int):
    data = body(schemas.SegmentMove)
    svc = service()
    svc.get(segment_id)
    _existing_group(svc, data["group"])
    segment = svc.move(segment_id, data["group"], data["position"])
    return dump(schemas.Segment, segment_json(svc, segment))


@api.get(f"/segments/{SEGMENT}/members")
@apidoc("A page of the segment's members, sorted", "segments", query=schemas.PagingQuery,
        responses={200: schemas.MemberPage})
def segment_members(segment_id: int):
    segment = service().get(segment_id)
    paging = query(schemas.PagingQuery)
    return member_page(criteria_of(segment.criteria), paging)


@api.get(f"/segments/{SEGMENT}/export.csv")
@apidoc("The segment's members as CSV, streamed", "segments", responses={200: "text/csv"})
def export_segment(segment_id: int):
    segment = service().get(segment_id)
    return csv_response(criteria_of(segment.criteria), f"segment-{segment.id}.csv")
