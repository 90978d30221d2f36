"""One member's routes: why they are (not) in a segment, their segments and field values,
finding a member, and who a change of criteria adds or removes (counts, keyset pages, CSV)."""

from __future__ import annotations

from flask import Response, stream_with_context
from marshmallow import Schema, fields, validate

from ...export import csv_chunks, plain
from ...inputs import MAX_ID
from ...insight import DIFF_PAGE, SEARCH_LIMIT, SIDES, ChangePage, MemberInsight, explained_json
from ...state import get_state
from ..openapi import apidoc
from .blueprint import api
from .helpers import body, criteria_of, dump, query, service

SEGMENT = "<int:segment_id>"
SIDE = "<any(added, removed):side>"


# -- schemas ----------------------------------------------------------------------------

class ExplainQuery(Schema):
    member = fields.String(required=True, validate=validate.Length(min=1, max=200),
                           metadata={"description": "A member id or exact username."})


class MarkedNode(Schema):
    path = fields.String(metadata={"description": "The rule path, e.g. rules[1].rules[0]."})
    kind = fields.String(metadata={"description": "group or rule"})
    matched = fields.Boolean()
    match = fields.String(metadata={"description": "Groups: all or any."})
    rules = fields.List(fields.Dict(), metadata={"description": "Groups: marked children."})
    field = fields.String()
    field_label = fields.String()
    op = fields.String()
    value = fields.Raw(allow_none=True)
    sentence = fields.String()
    member_value = fields.Raw(allow_none=True,
                              metadata={"description": "The member's value; multi: a list."})
    cutoff = fields.String(allow_none=True,
                           metadata={"description": "Relative dates: the moment compared with."})


class Explanation(Schema):
    segment = fields.Dict()
    member = fields.Dict()
    in_segment = fields.Boolean()
    broken = fields.Boolean()
    error = fields.String(allow_none=True, metadata={"description": "Why the segment is broken."})
    now = fields.String()
    in_member_base = fields.Boolean()
    tree = fields.Nested(MarkedNode, allow_none=True)


class MemberSegments(Schema):
    member = fields.Dict()
    segments = fields.List(fields.Dict(), metadata={"description": "The segments the member is in."})
    broken = fields.List(fields.Dict(), metadata={"description": "Segments that cannot be evaluated."})


class MemberProfile(Schema):
    member = fields.Dict()
    fields_ = fields.List(fields.Dict(), data_key="fields",
                          metadata={"description": "Every field with the member's value."})


class SearchQuery(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=SEARCH_LIMIT))


class SearchResult(Schema):
    items = fields.List(fields.Dict())


class DiffRequest(Schema):
    criteria = fields.Dict(required=True, metadata={"description": "The new criteria."})
    per_page = fields.Integer(load_default=DIFF_PAGE, validate=validate.Range(min=1, max=500))


class ChangeList(Schema):
    items = fields.List(fields.Dict())
    next_after = fields.Integer(allow_none=True,
                                metadata={"description": "Pass as ?after= for the next page."})


class DiffResult(Schema):
    added = fields.Integer()
    removed = fields.Integer()
    added_members = fields.Nested(ChangeList)
    removed_members = fields.Nested(ChangeList)


class ChangesQuery(Schema):
    criteria = fields.String(required=True, metadata={"description": "The new criteria JSON."})
    after = fields.Integer(load_default=None, validate=validate.Range(min=0, max=MAX_ID))
    per_page = fields.Integer(load_default=DIFF_PAGE, validate=validate.Range(min=1, max=500))


class ChangesCsvQuery(Schema):
    criteria = fields.String(required=True, metadata={"description": "The new criteria JSON."})


# -- routes -------------------------------------------------------------------------------

def insight() -> MemberInsight:
    return MemberInsight(service())


def _row(member: dict) -> dict:
    return {key: plain(value) for key, value in member.items()}


def _changes(page: ChangePage) -> dict:
    return {"items": [_row(m) for m in page.items], "next_after": page.next_after}


@api.get(f"/segments/{SEGMENT}/explain")
@apidoc("Why a member is (not) in a segment: the criteria tree marked rule by rule by the "
        "database, the member's values and the verdict", "members", query=ExplainQuery,
        responses={200: Explanation})
def explain(segment_id: int):
    tool = insight()
    tool.service.get(segment_id)  # an unknown segment is a 404 before a bad member
    member = query(ExplainQuery)["member"]
    return dump(Explanation, explained_json(tool.explain(segment_id, member),
                                            get_state().registry))


@api.get("/members/<int:member_id>/segments")
@apidoc("The segments a member is in (one query on the member's row)", "members",
        responses={200: MemberSegments})
def member_segments(member_id: int):
    member, found = insight().memberships(member_id)
    return dump(MemberSegments, {
        "member": _row(member),
        "segments": [{"id": m.segment.id, "title": m.segment.title,
                      "group_id": m.segment.group_id} for m in found if m.member],
        "broken": [{"id": m.segment.id, "title": m.segment.title, "error": m.error}
                   for m in found if m.error]})


@api.get("/members/<int:member_id>")
@apidoc("One member with the value of every filter field", "members",
        responses={200: MemberProfile})
def member_profile(member_id: int):
    registry = get_state().registry
    member, values = insight().profile(member_id)
    rows = [{"key": f.key, "label": f.label, "type": str(f.type), "category": f.category,
             "value": _plain_value(values.get(f.key))} for f in registry if f.key in values]
    return dump(MemberProfile, {"member": _row(member), "fields_": rows})


@api.get("/members/search")
@apidoc("Members whose username or email contains the text (any case)", "members",
        query=SearchQuery, responses={200: SearchResult})
def search_members():
    args = query(SearchQuery)
    return dump(SearchResult, {"items": [_row(m) for m in insight().search(args["q"],
                                                                           args["limit"])]})


@api.post(f"/segments/{SEGMENT}/diff")
@apidoc("Who new criteria would add to and remove from a segment: counts and first pages",
        "segments", body=DiffRequest, responses={200: DiffResult})
def diff(segment_id: int):
    tool = insight()
    tool.service.get(segment_id)
    data = body(DiffRequest)
    old, new = tool.old_and_new(segment_id, criteria_of(data["criteria"]))
    added, removed = tool.service.difference(old, new)
    pages = {side: _changes(tool.changes(old, new, side, per_page=data["per_page"]))
             for side in SIDES}
    return dump(DiffResult, {"added": added, "removed": removed,
                             "added_members": pages["added"],
                             "removed_members": pages["removed"]})


@api.get(f"/segments/{SEGMENT}/diff/{SIDE}")
@apidoc("One keyset page of the members new criteria add (or remove), by id", "segments",
        query=ChangesQuery, responses={200: ChangeList})
def diff_page(segment_id: int, side: str):
    tool = insight()
    tool.service.get(segment_id)
    args = query(ChangesQuery)
    old, new = tool.old_and_new(segment_id, criteria_of(args["criteria"]))
    return dump(ChangeList, _changes(tool.changes(old, new, side, args["after"],
                                                  args["per_page"])))


@api.get(f"/segments/{SEGMENT}/diff/{SIDE}.csv")
@apidoc("Every member new criteria add (or remove), as CSV, streamed", "segments",
        query=ChangesCsvQuery, responses={200: "text/csv"})
def diff_csv(segment_id: int, side: str):
    tool = insight()
    tool.service.get(segment_id)
    old, new = tool.old_and_new(segment_id, criteria_of(query(ChangesCsvQuery)["criteria"]))
    columns = list(get_state().view.columns)
    rows = tool.stream_changes(old, new, side)
    return Response(stream_with_context(csv_chunks(rows, columns)), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="segment-{segment_id}-{side}.csv"'})


def _plain_value(value):
    return [plain(v) for v in value] if isinstance(value, list) else plain(value)
