"""History routes of the JSON API: a segment's history points and its member changes."""

from __future__ import annotations

import sqlalchemy as sa

from ..extension import get_state
from ..history import read
from ..history import schemas as history_schemas
from .api import api, dump, query, service
from .openapi import apidoc

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
    names = usernames(svc.session, [item["member_id"] for item in page.items])
    items = [{**item, "username": names.get(item["member_id"])} for item in page.items]
    return dump(history_schemas.ChangesPage, {
        "segment_id": segment.id, "since": args["since"].isoformat() if args["since"] else None,
        "items": items, "total": page.total, "page": page.page, "per_page": page.per_page,
        "pages": max(1, -(-page.total // page.per_page))})


def usernames(session, ids: list[int]) -> dict[int, str]:
    """Display names of members by id (deleted members are simply missing)."""
    if not ids:
        return {}
    view = get_state().view
    name = view.columns.get(view.name_column, view.columns["username"])
    rows = session.execute(sa.select(view.id, name).where(view.id.in_(ids)))
    return {int(member_id): value for member_id, value in rows}
