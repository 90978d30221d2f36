"""The JSON API under ``/admin/segments/api/``, thin over the service.

Errors: 400 malformed JSON or missing CSRF token, 403 not an admin, 404 unknown id,
409 stale version, 422 ``{"message", "errors"}`` keyed by path (``criteria.rules[1].op``).
Routes for segments and groups live in :mod:`.api_segments` and :mod:`.api_groups`.
"""

from __future__ import annotations

import json

import marshmallow
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException

from .. import schemas
from ..export import plain
from ..errors import Conflict, CriteriaError, InUse, NotFound, QueryTimeout, SegmentsError, ValidationError
from ..extension import get_state
from ..query.operators import label, operators_for
from ..query.parse import flatten_errors, parse_criteria
from .export import csv_download
from .openapi import apidoc, build_spec

api = Blueprint("api", __name__)



# -- helpers ----------------------------------------------------------------------------

def service():
    return get_state().service()


def body(schema: type[marshmallow.Schema]) -> dict:
    """The JSON body loaded with ``schema``; malformed JSON is a 400, bad data a 422."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise BadRequest("The request body is empty: send a JSON object.")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("The request body nests too deeply.") from None
    return schema().load(data)


def query(schema: type[marshmallow.Schema]) -> dict:
    return schema().load(request.args.to_dict())


def criteria_of(data) -> dict:
    """Criteria from a request (a dict, or JSON text from the query string), validated."""
    state = get_state()
    try:
        return parse_criteria(data, state.registry).to_dict()
    except CriteriaError as exc:
        raise CriteriaError({_prefixed("criteria", path): msgs
                             for path, msgs in exc.errors.items()}) from None


def _prefixed(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"


def dump(schema: type[marshmallow.Schema], data, status: int = 200):
    return jsonify(schema().dump(data)), status


def error(status: int, message: str, **extra):
    return jsonify(message=message, **extra), status


# -- errors -----------------------------------------------------------------------------

@api.before_request
def _ids_in_range():
    """Ids wider than any database column are unknown: 404, not a driver overflow."""
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id") and value > schemas.MAX_ID:
            raise NotFound(f"no {name.removesuffix('_id')} with id {value}")


@api.errorhandler(CriteriaError)
def _criteria_error(exc: CriteriaError):
    errors = exc.errors
    if not any(path == "criteria" or path.startswith("criteria.") for path in errors):
        errors = {_prefixed("criteria", path): msgs for path, msgs in errors.items()}
    return error(422, f"Invalid criteria: {CriteriaError(errors).one_line()}", errors=errors)


@api.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    return error(422, f"Invalid input: {exc}", errors=exc.errors)


@api.errorhandler(marshmallow.ValidationError)
def _schema_error(exc: marshmallow.ValidationError):
    errors = flatten_errors(exc.messages)
    errors = {path or "body": msgs for path, msgs in errors.items()}
    return error(422, "Invalid input: " + "; ".join(
        f"{path}: {msg}" for path, msgs in errors.items() for msg in msgs), errors=errors)


@api.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return error(404, str(exc))


@api.errorhandler(InUse)
def _in_use(exc: InUse):
    return error(409, str(exc), used_by=exc.uses)


@api.errorhandler(Conflict)
def _conflict(exc: Conflict):
    return error(409, str(exc), current_version=exc.current_version)


@api.errorhandler(QueryTimeout)
def _timeout(exc: QueryTimeout):
    return error(503, str(exc))


@api.errorhandler(SegmentsError)
def _segments_error(exc: SegmentsError):
    return error(400, str(exc))


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    return error(exc.code or 500, exc.description or exc.name)


# -- fields, counts, members -------------------------------------------------------------

@api.get("/fields")
@apidoc("Every filter field with its operators and choices", "fields",
        responses={200: schemas.FieldList})
def fields():
    state = get_state()
    session = state.db.session
    items = [{"key": f.key, "label": f.label, "type": str(f.type), "category": f.category,
              "description": f.description, "provider": f.provider,
              "operators": [{"key": op.key, "label": label(f.type, op.key), "arity": str(op.arity)}
                            for op in operators_for(f.type)],
              "choices": f.choice_list(session)} for f in state.registry]
    return dump(schemas.FieldList, {"fields": items})


def _count(criteria: dict):
    svc = service()
    count, total = svc.count(criteria), svc.total_members()
    percent = round(100.0 * count / total, 1) if total else 0.0
    return dump(schemas.Count, {"count": count, "total_members": total, "percent": percent,
                                "sentence": svc.describe(criteria)})


@api.get("/count")
@apidoc("Count the members matching criteria (query string)", "members",
        query=schemas.CriteriaQuery, responses={200: schemas.Count})
def count_get():
    return _count(criteria_of(query(schemas.CriteriaQuery)["criteria"]))


@api.post("/count")
@apidoc("Count the members matching criteria (JSON body)", "members",
        body=schemas.CriteriaRequest, responses={200: schemas.Count})
def count_post():
    return _count(criteria_of(body(schemas.CriteriaRequest)["criteria"]))


def member_page(criteria: dict, paging: dict):
    page = service().members(criteria, **paging)
    items = [{key: plain(value) for key, value in row.items()} for row in page.items]
    return dump(schemas.MemberPage, {**page.__dict__, "items": items, "pages": page.pages})


@api.get("/members")
@apidoc("A page of the members matching criteria (query string)", "members",
        query=schemas.AdhocMembersQuery, responses={200: schemas.MemberPage})
def members_get():
    args = query(schemas.AdhocMembersQuery)
    return member_page(criteria_of(args.pop("criteria")), args)


@api.post("/members")
@apidoc("A page of the members matching criteria (JSON body)", "members",
        body=schemas.MembersRequest, responses={200: schemas.MemberPage})
def members_post():
    data = body(schemas.MembersRequest)
    return member_page(criteria_of(data.pop("criteria")), data)


@api.get("/export.csv")
@apidoc("Every member matching criteria as CSV, streamed", "members",
        query=schemas.CriteriaQuery, responses={200: "text/csv"})
def export_adhoc():
    return csv_response(criteria_of(query(schemas.CriteriaQuery)["criteria"]), "members.csv")


def csv_response(criteria: dict, filename: str) -> Response:
    """Members streamed as CSV in keyset batches: memory stays bounded whatever the size."""
    return csv_download(service(), criteria, filename.removesuffix(".csv"))


# -- overview and overlap ----------------------------------------------------------------

@api.get("/overview")
@apidoc("Member count and share of every segment, and the member total", "segments",
        responses={200: schemas.Overview})
def overview():
    svc = service()
    items = [{"id": c.segment.id, "title": c.segment.title, "group_id": c.segment.group_id,
              "count": c.count, "percent": c.percent, "error": c.error} for c in svc.counts()]
    return dump(schemas.Overview, {"total_members": svc.total_members(), "segments": items})


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


@api.get("/openapi.json")
@apidoc("This OpenAPI 3 document", "meta", responses={200: "application/json"})
def openapi():
    return jsonify(build_spec(current_app))


from . import api_groups, api_segments, api_values  # noqa: E402,F401  (their routes join this blueprint)
