"""The API blueprint and how our errors become JSON responses.

Errors: 400 malformed JSON or missing CSRF token, 403 not an admin, 404 unknown id,
409 stale version, 422 ``{"message", "errors"}`` keyed by path (``criteria.rules[1].op``),
503 a query past the statement timeout.
"""

from __future__ import annotations

import marshmallow
from flask import Blueprint, request
from werkzeug.exceptions import HTTPException

from ...errors import (
    Conflict,
    CriteriaError,
    InUse,
    MissingGroup,
    NotFound,
    QueryTimeout,
    SegmentsError,
    ValidationError,
)
from ...inputs import MAX_ID
from ...query.parse import flatten_errors
from .helpers import error

api = Blueprint("api", __name__)


@api.before_request
def _ids_in_range():
    """Ids wider than any database column are unknown: 404, not a driver overflow."""
    for name, value in (request.view_args or {}).items():
        if name.endswith("_id") and value > MAX_ID:
            raise NotFound(f"no {name.removesuffix('_id')} with id {value}")


@api.errorhandler(CriteriaError)
def _criteria_error(exc: CriteriaError):
    # Paths carry their "criteria" prefix when criteria were parsed at the boundary; the
    # service's reference checks (missing ids, cycles) name rule paths, prefixed here.
    errors = {_in_criteria(path): msgs for path, msgs in exc.errors.items()}
    return error(422, f"Invalid criteria: {CriteriaError(errors).one_line()}", errors=errors)


def _in_criteria(path: str) -> str:
    if path == "criteria" or path.startswith(("criteria.", "criteria[")):
        return path
    return f"criteria.{path}" if path else "criteria"


@api.errorhandler(InUse)
def _in_use(exc: InUse):
    return error(409, str(exc), used_by=exc.uses)


@api.errorhandler(ValidationError)
def _validation_error(exc: ValidationError):
    return error(422, f"Invalid input: {exc}", errors=exc.errors)


@api.errorhandler(MissingGroup)
def _missing_group(exc: MissingGroup):
    """A group named in a body must exist (422, not 404: the URL itself is fine)."""
    return error(422, f"Invalid input: group: {exc}", errors=exc.errors)


@api.errorhandler(marshmallow.ValidationError)
def _schema_error(exc: marshmallow.ValidationError):
    errors = flatten_errors(exc.messages)
    errors = {path or "body": msgs for path, msgs in errors.items()}
    return error(422, "Invalid input: " + "; ".join(
        f"{path}: {msg}" for path, msgs in errors.items() for msg in msgs), errors=errors)


@api.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return error(404, str(exc))


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
