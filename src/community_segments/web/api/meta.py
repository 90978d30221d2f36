"""The field catalogue and the OpenAPI document."""

from __future__ import annotations

from flask import current_app, jsonify

from ... import schemas
from ...query.operators import label, operators_for
from ...state import get_state
from ..openapi import apidoc, build_spec
from .blueprint import api
from .helpers import dump


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


@api.get("/openapi.json")
@apidoc("This OpenAPI 3 document", "meta", responses={200: "application/json"})
def openapi():
    return jsonify(build_spec(current_app))
