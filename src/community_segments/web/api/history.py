"""History routes of the JSON API: a segment's history points and its member changes."""

from __future__ import annotations

from ...history import read
from ...history import schemas as history_schemas
from ...state import get_state
from ..openapi import apidoc
from .blueprint import api
from .helpers import dump, query, service

SEGMENT = "<int:segment_id>"


@api.get(f"/segments/{SEGMENT}/history")
@apidoc("The segment's recorded history points (one a refresh), oldest first", "history",
        responses={200: history_schemas.History})
def segment_history(segment_id: int):
    svc = service()
    segment = svc.get(segment_id)
    last = read.last_refresh(svc.session, segment.id)
    return dump(history_schemas.History, {
        "segment_id": segment.id, "last_refresh": last.isoformat() if last else None,
        "points": [read.point_dict(row) for row in read.points(svc.session, segment.id)]})


@api.get(f"/segments/{SEGMENT}/changes")
@apidoc("Members who entered or left the segment since a time, paginated", "history",
        query=history_schemas.ChangesQuery, responses={200: history_schemas.ChangesPage})
def segment_changes(segment_id: int):
    svc = service()
    segment = svc.get(segment_id)
    args = query(history_schemas.ChangesQuery)
    page = read.changes(svc.session, segment.id, args["since"], args["page"], args["per_page"])
    names = read.usernames(svc.session, get_state().view,
                           [item["member_id"] for item in page.items])
    items = [{**item, "username": names.get(item["member_id"])} for item in page.items]
    return dump(history_schemas.ChangesPage, {
        "segment_id": segment.id, "since": args["since"].isoformat() if args["since"] else None,
        "items": items, "total": page.total, "page": page.page, "per_page": page.per_page,
        "pages": max(1, -(-page.total // page.per_page))})
