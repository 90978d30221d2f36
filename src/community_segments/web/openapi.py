"""The OpenAPI 3 document of the JSON API, built from the marshmallow schemas with apispec.

Each API view carries an :func:`apidoc` note; :func:`build_spec` walks the app's url_map,
so every route of the API blueprint is in the document (a view without a note fails loudly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from .. import schemas

API_ENDPOINT_PREFIX = "community_segments.api."
_CONVERTER = re.compile(r"<(?:(?P<conv>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_TYPES = {"int": "integer", "float": "number"}


@dataclass(frozen=True)
class ApiDoc:
    summary: str
    tag: str
    query: type | None = None
    body: type | None = None
    responses: dict[int, type | str | tuple | None] = field(default_factory=dict)


def apidoc(summary: str, tag: str, *, query=None, body=None, responses=None):
    """Describe a view for the OpenAPI document: its schemas and its success responses."""
    def mark(view):
        view.apidoc = ApiDoc(summary, tag, query, body, responses or {})
        return view
    return mark


def build_spec(app: Flask) -> dict:
    spec = APISpec(title="community-segments admin API", version=_version(),
                   openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "Admin-only. Writes need the X-CSRFToken header."})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie",
                                                "name": app.config.get("SESSION_COOKIE_NAME",
                                                                       "session")})
    spec.components.security_scheme("csrf", {"type": "apiKey", "in": "header",
                                             "name": "X-CSRFToken"})
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith(API_ENDPOINT_PREFIX):
            view = app.view_functions[rule.endpoint]
            path, parameters = openapi_path(rule.rule)
            entry = paths.setdefault(path, {"parameters": parameters, "operations": {}})
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                doc = getattr(view, "apidoc")  # noqa: B009  # set by @apidoc
                entry["operations"][method.lower()] = _operation(doc, method, parameters)
    for path, entry in paths.items():
        spec.path(path=path, operations=entry["operations"], parameters=entry["parameters"])
    return spec.to_dict()


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """``/segments/<int:segment_id>`` -> ``/segments/{segment_id}`` and its path parameters."""
    parameters = [{"in": "path", "name": m["name"], "required": True,
                   "schema": {"type": _TYPES.get(m["conv"], "string")}}
                  for m in _CONVERTER.finditer(rule)]
    return _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule), parameters


def _operation(doc: ApiDoc, method: str, path_parameters: list) -> dict:
    operation: dict[str, Any] = {"summary": doc.summary, "tags": [doc.tag],
                 "responses": {str(code): _response(what)
                               for code, what in doc.responses.items()}}
    if doc.query:
        operation["parameters"] = [{"in": "query", "schema": doc.query}]
    if doc.body:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": doc.body}}}
    operation["security"] = [{"session": [], "csrf": []}] if method != "GET" else [{"session": []}]
    for code, description in _errors(doc, method, path_parameters).items():
        operation["responses"].setdefault(str(code), _error(description))
    return operation


def _errors(doc: ApiDoc, method: str, path_parameters: list) -> dict[int, str]:
    errors = {403: "Not an admin."}
    if method != "GET" or doc.body:
        errors[400] = "Malformed JSON, or the CSRF token is missing or invalid."
    if doc.query or doc.body:
        errors[422] = 'Invalid input: {"message", "errors": {path: [messages]}}.'
    if path_parameters:
        errors[404] = "No such id."
    return errors


def _response(what) -> dict:
    if isinstance(what, tuple):
        description, schema = what
        return {"description": description,
                "content": {"application/json": {"schema": schema}}}
    if what is None:
        return {"description": "Done; no content."}
    if isinstance(what, str):
        return {"description": what, "content": {what: {"schema": {"type": "string"}}}}
    return {"description": "OK", "content": {"application/json": {"schema": what}}}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": schemas.Error}}}


def _version() -> str:
    try:
        return version("community-segments")
    except PackageNotFoundError:
        return "0"
