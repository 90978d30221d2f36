"""Marshmallow schemas of the history API (documented in the OpenAPI document)."""

from __future__ import annotations

from datetime import UTC

from marshmallow import Schema, fields, validate


class HistoryPoint(Schema):
    at = fields.String(metadata={"description": "Refresh time, ISO 8601 UTC."})
    count = fields.Integer()
    entered = fields.Integer()
    left = fields.Integer()
    baseline = fields.Boolean(metadata={"description": "First refresh, or first after a "
                                                       "criteria change: no entered/left."})
    criteria_changed = fields.Boolean()


class History(Schema):
    segment_id = fields.Integer()
    last_refresh = fields.String(allow_none=True)
    points = fields.List(fields.Nested(HistoryPoint))


class ChangesQuery(Schema):
    since = fields.AwareDateTime(load_default=None, default_timezone=UTC, metadata={
        "description": "Only changes recorded after this time (ISO 8601; no zone = UTC)."})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class Change(Schema):
    member_id = fields.Integer()
    username = fields.String(allow_none=True, metadata={"description": "None: member deleted."})
    change = fields.String(metadata={"description": '"entered" or "left".'})
    at = fields.String()


class ChangesPage(Schema):
    segment_id = fields.Integer()
    since = fields.String(allow_none=True)
    items = fields.List(fields.Nested(Change))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()
