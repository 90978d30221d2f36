"""The field catalogue, the OpenAPI document and the CSRF token for API clients."""

from __future__ import annotations

from flask import current_app, jsonify

from ... import schemas
from ...catalogue import describe_fields
from ...state import get_state
from ..openapi import apidoc, build_spec
from ..security import csrf_token
from .blueprint import api
from .helpers import dump


@api.get("/fields")
@apidoc("Every filter field with its operators and choices", "fields",
        responses={200: schemas.FieldList})
def fields():
    state = get_state()
    return dump(schemas.FieldList, {"fields": describe_fields(state.registry, state.db.session)})


@api.get("/openapi.json")
@apidoc("This OpenAPI 3 document", "meta", responses={200: "application/json"})
def openapi():
    return jsonify(build_spec(current_app))


@api.get("/csrf")
@apidoc("The CSRF token of this session, for the X-CSRFToken header of every write", "meta",
        responses={200: schemas.CsrfToken})
def csrf():
    """A token read from the login page stops working once logging in renews the session,
    so API clients ask for it here after logging in (also in the ``X-CSRFToken`` header)."""
    token = csrf_token()
    response = jsonify(csrf_token=token, header="X-CSRFToken")
    response.headers["X-CSRFToken"] = token
    response.headers["Cache-Control"] = "no-store"
    return response
