"""``GET /fields/<key>/values``: the most common values of a field, for the builder."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from ...state import get_state
from ...suggest import MAX_LIMIT, MAX_TYPED
from ..openapi import apidoc
from .blueprint import api
from .helpers import dump, query


class ValuesQuery(Schema):
    prefix = fields.String(load_default="", validate=validate.Length(max=MAX_TYPED), metadata={
        "description": "Typed text, matched case-insensitively: values starting with it "
                       "first, then values containing it."})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))


class ValueCount(Schema):
    value = fields.String(metadata={"description": "The value as criteria take it."})
    label = fields.String(metadata={"description": 'Readable: "United States (US)".'})
    count = fields.Integer(metadata={"description": "Members an `equals` (multi: `has_any`) "
                                                    "rule with this value matches; "
                                                    "estimated when `about` is true."})


class ValueList(Schema):
    field = fields.String()
    prefix = fields.String()
    values = fields.List(fields.Nested(ValueCount))
    about = fields.Boolean(metadata={"description": "Counts are estimated from a sample of "
                                                    "`sampled` members (large member bases)."})
    sampled = fields.Integer(allow_none=True)


@api.get("/fields/<key>/values")
@apidoc("The most common values of a text, enum or multi field, with member counts",
        "fields", query=ValuesQuery, responses={200: ValueList})
def field_values(key: str):
    args = query(ValuesQuery)
    found = get_state().suggester().suggest(key, args["prefix"], args["limit"])
    return dump(ValueList, {"field": found.field, "prefix": found.prefix, "values": found.items,
                            "about": found.about, "sampled": found.sampled})
