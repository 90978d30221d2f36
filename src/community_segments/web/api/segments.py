"""Segment routes of the JSON API: list, create, read, update, delete, duplicate, move,
members, CSV export, the overview and the overlap."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app, jsonify, request

from ... import guarded, schemas
from ...inputs import percent
from ...service import SegmentCount, SegmentService
from ...sharing import derived
from ..display import group_totals
from ..openapi import apidoc
from .blueprint import api
from .helpers import (
    actor,
    body,
    count_json,
    criteria_of,
    csv_response,
    dump,
    member_page,
    query,
    service,
)

SEGMENT = "<int:segment_id>"


def segment_json(svc: SegmentService, segment, counted: SegmentCount | None = None) -> dict:
    """A segment with its sentence and count (``counted``: a SegmentCount already known)."""
    counted = counted or svc.counts([segment])[0]
    return {"id": segment.id, "title": segment.title, "description": segment.description,
            "criteria": segment.criteria,
            "sentence": None if counted.criteria is None else svc.describe(counted.criteria),
            "group_id": segment.group_id, "position": segment.position,
            "version": segment.version, "count": counted.count, "percent": counted.percent,
            "error": counted.error, "created_at": segment.created_at,
            "updated_at": segment.updated_at, "created_by": segment.created_by,
            "updated_by": segment.updated_by}


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
    criteria = criteria_of(data["criteria"])
    figures = svc.count(criteria), svc.total_members()  # before the commit: a timeout
    segment = svc.create(data["title"], criteria, data["description"], data["group"],
                         actor=actor())              # here writes nothing
    return dump(schemas.Segment, segment_json(svc, segment, counted(svc, segment, figures)), 201)


def counted(svc: SegmentService, segment, figures: tuple[int, int]) -> SegmentCount:
    count, total = figures
    return SegmentCount(segment, count, percent(count, total), criteria=svc.stored(segment))


def precounted(svc: SegmentService, segment) -> SegmentCount:
    """The count of a segment whose criteria a write leaves as they are, taken before the
    write commits: whatever can fail (a timeout) fails while nothing is written yet."""
    return svc.counts([segment])[0]


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
    # The service parses the criteria (once, paths prefixed "criteria") after it found the
    # segment: an unknown id is a 404 before bad criteria are a 422.
    changes = body(schemas.SegmentUpdate)
    svc = service()
    current = svc.get(segment_id)
    if changes["version"] != current.version or "criteria" not in changes:
        before = precounted(svc, current)  # (a stale version is refused by update)
        segment = svc.update(segment_id, actor=actor(), **changes)
        return dump(schemas.Segment, segment_json(svc, segment, before))
    changes["criteria"] = svc.criteria(changes["criteria"], "criteria")
    figures = svc.count(changes["criteria"]), svc.total_members()
    segment = svc.update(segment_id, actor=actor(), **changes)
    return dump(schemas.Segment, segment_json(svc, segment, counted(svc, segment, figures)))


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
    before = precounted(svc, svc.get(segment_id))
    copy = svc.duplicate(segment_id, actor=actor())
    return dump(schemas.Segment, segment_json(svc, copy, replace(before, segment=copy)), 201)


@api.post(f"/segments/{SEGMENT}/move")
@apidoc("Move a segment into a group (null: ungrouped) at a position", "segments",
        body=schemas.SegmentMove, responses={200: schemas.Segment})
def move_segment(segment_id: int):
    data = body(schemas.SegmentMove)
    svc = service()
    before = precounted(svc, svc.get(segment_id))
    segment = svc.move(segment_id, data["group"], data["position"])
    return dump(schemas.Segment, segment_json(svc, segment, before))


@api.get(f"/segments/{SEGMENT}/members")
@apidoc("A page of the segment's members, sorted", "segments", query=schemas.PagingQuery,
        responses={200: schemas.MemberPage})
def segment_members(segment_id: int):
    svc = service()
    segment = svc.get(segment_id)
    paging = query(schemas.PagingQuery)
    return member_page(svc, criteria_of(segment.criteria), paging)


@api.get(f"/segments/{SEGMENT}/count")
@apidoc("The segment's member count and share of all members (the detail page fills in "
        "its count from here)", "segments", responses={200: schemas.Count})
def segment_count(segment_id: int):
    svc = service()
    return count_json(svc, criteria_of(svc.get(segment_id).criteria))


@api.get(f"/segments/{SEGMENT}/export.csv")
@apidoc("The segment's members as CSV, streamed", "segments", responses={200: "text/csv"})
def export_segment(segment_id: int):
    svc = service()
    segment = svc.get(segment_id)
    return csv_response(svc, criteria_of(segment.criteria), f"segment-{segment.id}.csv")


@api.get("/overview")
@apidoc("Member count and share of every segment, and the member total", "segments",
        query=schemas.OverviewQuery, responses={200: schemas.Overview})
def overview():
    asked = schemas.OverviewQuery().load({k: v for k, v in request.args.items() if k == "groups"})
    svc = service()
    result = svc.overview_result()
    totals = None
    if asked["groups"]:
        by_group: dict = {}
        for c in result.counts:
            by_group.setdefault(c.segment.group_id, []).append(c)
        by_group.pop(None, None)  # the ungrouped are no folder with a total
        with guarded.evaluating(svc.evaluator, "the group totals"):
            totals = tuple(group_totals(svc, by_group).items())
    body = derived(svc.shared.dumped, (result,), lambda: _overview_json(result, totals),
                   extra=totals)
    return current_app.response_class(body, mimetype="application/json")


def _overview_json(result, totals: tuple | None) -> bytes:
    """The overview as ``jsonify`` writes it, made once per shared result."""
    items = [{"id": c.segment.id, "title": c.segment.title, "group_id": c.segment.group_id,
              "count": c.count, "percent": c.percent, "error": c.error, "as_of": c.as_of}
             for c in result.counts]
    data: dict = {"total_members": result.total, "segments": items}
    if totals is not None:
        data["groups"] = [{"id": gid, "members": n} for gid, n in totals]
    return jsonify(schemas.Overview().dump(data)).get_data()


@api.get("/overlap")
@apidoc("Pairwise overlap of segments, with the subsets and duplicates it reveals", "segments",
        query=schemas.OverlapQuery, responses={200: schemas.OverlapResult})
def overlap():
    ids = [part for value in request.args.getlist("ids") for part in value.split(",") if part]
    result = service().overlap(schemas.OverlapQuery().load({"ids": ids})["ids"])
    size = len(result.segments)
    return dump(schemas.OverlapResult, {
        "segments": [{"id": s.id, "title": s.title, "size": result.matrix[i][i]}
                     for i, s in enumerate(result.segments)],
        "matrix": result.matrix,
        "shares": [[result.share(i, j) for j in range(size)] for i in range(size)],
        "relations": [{"kind": kind, "a": a.id, "b": b.id} for kind, a, b in result.relations()],
        "broken": {str(k): v for k, v in result.broken.items()}})
