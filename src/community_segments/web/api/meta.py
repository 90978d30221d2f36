"""The field catalogue and the OpenAPI document."""

from __future__ import annotations

from flask import current_app, jsonify

from ... import schemas
from ...catalogue import describe_fields
from ...state import get_state
from ..openapi import apidoc, build_spec
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
