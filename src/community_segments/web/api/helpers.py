"""What every API route uses: the service, the request body and query, the response.

A leaf of the API package: route modules import from here, never the other way round.
"""

from __future__ import annotations

from typing import Any

import marshmallow
from flask import Response, jsonify, request
from werkzeug.exceptions import BadRequest

from ... import schemas
from ...export import plain
from ...inputs import BadJSON, load_json, percent
from ...query.criteria import Criteria, parse
from ...service import CriteriaInput, SegmentService
from ...state import get_state
from ..export import csv_download


def service() -> SegmentService:
    return get_state().service()


def actor() -> str | None:
    return get_state().actor()


def json_object() -> Any:
    """The JSON body; malformed JSON (or none) is a 400."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequest("The request body is empty: send a JSON object.")
    try:
        return load_json(raw)
    except BadJSON as exc:
        if exc.too_deep:
            raise BadRequest("The request body nests too deeply.") from None
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None


def body(schema: type[marshmallow.Schema]) -> dict:
    """The JSON body loaded with ``schema``; malformed JSON is a 400, bad data a 422."""
    return schema().load(json_object())


def query(schema: type[marshmallow.Schema]) -> dict:
    return schema().load(request.args.to_dict())


def criteria_of(data: Any) -> Criteria:
    """Criteria from a request (a dict, or JSON text from the query string), parsed once;
    error paths start with ``criteria``."""
    return parse(data, get_state().registry, prefix="criteria")


def dump(schema: type[marshmallow.Schema], data: Any, status: int = 200):
    return jsonify(schema().dump(data)), status


def error(status: int, message: str, **extra: Any):
    return jsonify(message=message, **extra), status


def member_page(svc: SegmentService, criteria: CriteriaInput, paging: dict):
    page = svc.members(criteria, **paging)
    items = [{key: plain(value) for key, value in row.items()} for row in page.items]
    return dump(schemas.MemberPage, {**page.__dict__, "items": items, "pages": page.pages})


def count_json(svc: SegmentService, criteria: CriteriaInput):
    count, total = svc.count(criteria), svc.total_members()
    return dump(schemas.Count, {"count": count, "total_members": total,
                                "percent": percent(count, total),
                                "sentence": svc.describe(criteria)})


def csv_response(svc: SegmentService, criteria: CriteriaInput, filename: str) -> Response:
    """Members streamed as CSV in keyset batches: memory stays bounded whatever the size."""
    return csv_download(svc, criteria, filename.removesuffix(".csv"))
