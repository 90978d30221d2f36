"""marshmallow schemas of the JSON API: what each request carries and each response holds.

Criteria are validated by :func:`community_segments.query.parse.parse_criteria` against
the field registry (the schemas here only check that they are an object), so their error
paths are the same everywhere: ``criteria.rules[1].op``.
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from . import text
from .inputs import DIRECTIONS, MAX_ID, MAX_PAGE, MAX_PER_PAGE

ID = validate.Range(min=1, max=MAX_ID)

GROUP_REF = {"oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": True,
             "description": "A group id, or (on create) a group name, created when missing; "
                            "null for ungrouped."}


class Text(validate.Validator):
    """The text boundary (:mod:`community_segments.text`) as a marshmallow validator."""

    def __init__(self, max_length: int, multi_line: bool = False):
        self.max_length, self.multi_line = max_length, multi_line

    def __call__(self, value: str) -> str:
        found = text.problem(value, max_length=self.max_length, multi_line=self.multi_line)
        if found:
            raise ValidationError(f"The text {found}.")
        return value


TITLE = [validate.Length(min=1, max=text.TITLE_MAX), Text(text.TITLE_MAX)]
DESCRIPTION = Text(text.DESCRIPTION_MAX, multi_line=True)
GROUP_NAME = [validate.Length(min=1, max=text.GROUP_NAME_MAX), Text(text.GROUP_NAME_MAX)]


class GroupRef(fields.Field):
    """A group id (int) or name (str); None for "ungrouped"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError("Not a group id or name.")
        if isinstance(value, int):
            ID(value)
        else:
            Text(text.GROUP_NAME_MAX)(value)
        return value


def criteria_field(**kwargs) -> fields.Dict:
    return fields.Dict(metadata={"description": "Criteria JSON: "
                                 '{"match": "all"|"any", "rules": [rule or group, ...]}'},
                       **kwargs)


# -- requests -------------------------------------------------------------------------

class CriteriaRequest(Schema):
    criteria = criteria_field(required=True)


class PagingQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))
    sort = fields.String(load_default="username")
    direction = fields.String(load_default="asc", validate=validate.OneOf(DIRECTIONS))
    after = fields.String(load_default=None, metadata={
        "description": "A page's `next_after` cursor: the page after it, read by keyset (no "
                       "OFFSET; `page` then only numbers it). Made for one sort and "
                       "direction: another is 422."})
    before = fields.String(load_default=None, metadata={
        "description": "A page's `previous_before` cursor: the page before it, by keyset."})


class CriteriaQuery(Schema):
    criteria = fields.String(required=True, metadata={"description": "Criteria JSON, URL-encoded."})


class MembersRequest(PagingQuery):
    criteria = criteria_field(required=True)


class AdhocMembersQuery(PagingQuery, CriteriaQuery):
    pass


class SegmentCreate(Schema):
    title = fields.String(required=True, validate=TITLE)
    description = fields.String(load_default="", validate=DESCRIPTION)
    group = GroupRef(load_default=None, allow_none=True, metadata=GROUP_REF)
    criteria = criteria_field(required=True)


class SegmentUpdate(Schema):
    version = fields.Integer(required=True, validate=ID, metadata={
        "description": "The version you read; a stale one gets 409 with the current version."})
    title = fields.String(validate=TITLE)
    description = fields.String(validate=DESCRIPTION)
    group = GroupRef(allow_none=True, metadata=GROUP_REF)
    criteria = criteria_field()


class SegmentMove(Schema):
    group = GroupRef(required=True, allow_none=True, metadata=GROUP_REF)
    position = fields.Integer(load_default=None, allow_none=True,
                              validate=validate.Range(min=0, max=1_000_000),
                              metadata={"description": "0-based; null or absent: last."})


class OverlapQuery(Schema):
    ids = fields.List(fields.Integer(validate=ID), required=True,
                      validate=validate.Length(min=1, max=20),
                      metadata={"description": "Segment ids: ids=1&ids=2 or ids=1,2."})


class GroupName(Schema):
    name = fields.String(required=True, validate=GROUP_NAME)


class GroupOrder(Schema):
    ids = fields.List(fields.Integer(validate=ID), required=True)


# -- responses ------------------------------------------------------------------------

class Error(Schema):
    message = fields.String(required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"description": 'Messages by path, e.g. '
                                   '{"criteria.rules[1].op": ["..."]}'})


class ConflictError(Schema):
    message = fields.String(required=True)
    current_version = fields.Integer(allow_none=True)


class Operator(Schema):
    key = fields.String()
    label = fields.String()
    arity = fields.String(metadata={"enum": ["none", "one", "list", "range", "days"]})
    value = fields.String(metadata={
        "enum": ["none", "days", "text", "number", "date", "choice", "segment"],
        "description": "What each value is: choice means one of the field's choices."})


class SegmentOption(Schema):
    value = fields.Integer(metadata={"description": "The segment id."})
    label = fields.String(metadata={"description": "Its title."})
    group = fields.String(metadata={"description": "Its group's name, or Ungrouped."})


class Field(Schema):
    key = fields.String()
    label = fields.String()
    type = fields.String(metadata={"enum": ["text", "enum", "number", "date", "boolean",
                                            "multi", "segment"]})
    category = fields.String()
    description = fields.String()
    provider = fields.String()
    operators = fields.List(fields.Nested(Operator))
    choices = fields.List(fields.String(), allow_none=True)
    choice_labels = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True,
                                metadata={"description": "Names of choices for people "
                                          '({"DE": "Germany"}), where the field has them.'})
    options = fields.List(fields.Nested(SegmentOption), metadata={
        "description": "Field `segment` only: every segment, with its group."})


class FieldList(Schema):
    fields = fields.List(fields.Nested(Field))  # type: ignore[assignment]  # the key is 'fields'


class SegmentRef(Schema):
    id = fields.Integer()
    title = fields.String()


class UsedBy(Schema):
    segments = fields.List(fields.Nested(SegmentRef), metadata={
        "description": "Segments whose criteria refer to this one (`segment in/not_in`)."})
    campaigns = fields.List(fields.String(), metadata={
        "description": "Where campaign modules use it (the campaigns.audience-usage signal)."})


class InUseError(Schema):
    message = fields.String(required=True)
    used_by = fields.List(fields.String(), metadata={"description": "Each use, in words."})


class Segment(Schema):
    id = fields.Integer()
    title = fields.String()
    description = fields.String()
    criteria = fields.Raw(metadata={"type": "object", "description": "As stored (a broken "
                          "segment may hold anything)."})
    sentence = fields.String(allow_none=True, metadata={"description": "The criteria in words."})
    group_id = fields.Integer(allow_none=True)
    position = fields.Integer()
    version = fields.Integer()
    count = fields.Integer(allow_none=True)
    percent = fields.Float(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "Why it is broken, or null."})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    updated_by = fields.String(allow_none=True)
    used_by = fields.Nested(UsedBy, metadata={"description": "Only when one segment is read."})


class SegmentList(Schema):
    total_members = fields.Integer()
    segments = fields.List(fields.Nested(Segment))


class SegmentCount(Schema):
    id = fields.Integer()
    title = fields.String()
    group_id = fields.Integer(allow_none=True)
    count = fields.Integer(allow_none=True)
    percent = fields.Float(allow_none=True)
    error = fields.String(allow_none=True)
    as_of = fields.DateTime(allow_none=True, metadata={
        "description": "when the count was taken (older than now with SEGMENTS_COUNTS_MAX_AGE)"})


class OverviewQuery(Schema):
    groups = fields.Boolean(load_default=False, metadata={
        "description": "also count each group's members in any of its segments"})


class GroupTotal(Schema):
    id = fields.Integer()
    members = fields.Integer(metadata={"description": "members in at least one segment of "
                                                      "the group that is not broken"})


class Overview(Schema):
    total_members = fields.Integer()
    segments = fields.List(fields.Nested(SegmentCount))
    groups = fields.List(fields.Nested(GroupTotal), metadata={
        "description": "with groups=true: the groups with a segment that is not broken"})


class CsrfToken(Schema):
    csrf_token = fields.String(metadata={"description": "send it as the X-CSRFToken header"})
    header = fields.String(metadata={"example": "X-CSRFToken"})


class Count(Schema):
    count = fields.Integer()
    total_members = fields.Integer()
    percent = fields.Float()
    sentence = fields.String()


class MemberPage(Schema):
    items = fields.List(fields.Dict(), metadata={"description": "Member rows (MemberView columns)."})
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
    sort = fields.String()
    direction = fields.String()
    next_after = fields.String(allow_none=True, metadata={
        "description": "Cursor of the next page (pass as `after`); null on the last page."})
    previous_before = fields.String(allow_none=True, metadata={
        "description": "Cursor of the page before (pass as `before`); null on page 1."})


class OverlapSegment(Schema):
    id = fields.Integer()
    title = fields.String()
    size = fields.Integer()


class Relation(Schema):
    kind = fields.String(metadata={"enum": ["duplicate", "subset"]})
    a = fields.Integer(metadata={"description": "For subset: every member of a is in b."})
    b = fields.Integer()


class OverlapResult(Schema):
    segments = fields.List(fields.Nested(OverlapSegment))
    matrix = fields.List(fields.List(fields.Integer()),
                         metadata={"description": "matrix[i][j]: members in both i and j."})
    shares = fields.List(fields.List(fields.Float()),
                         metadata={"description": "shares[i][j]: percent of i also in j."})
    relations = fields.List(fields.Nested(Relation))
    broken = fields.Dict(keys=fields.String(), values=fields.String())


class SegmentGroup(Schema):
    id = fields.Integer()
    name = fields.String()
    position = fields.Integer()
    segment_ids = fields.List(fields.Integer())


class GroupList(Schema):
    groups = fields.List(fields.Nested(SegmentGroup))
