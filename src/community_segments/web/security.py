"""Admin-only access, CSRF, request limits and response headers for every route of the blueprint.

Hosts with Flask-WTF's CSRFProtect (FlaskBB) already check every POST; elsewhere we
check a per-session token sent as the ``csrf_token`` form field or ``X-CSRFToken`` header.

Before any view runs, the guard also applies the outer text boundary: a body larger than
``SEGMENTS_MAX_REQUEST_BYTES`` (default 1 MiB) is a 413, and a query string, form field
or JSON body holding NUL, a lone surrogate or a control character is a 422 naming where.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from werkzeug.datastructures import MultiDict

from .. import text
from ..sharing import ARRIVED

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "_community_segments_csrf"
RETRY_AFTER_SECONDS = 30  # a timed-out query rarely gets faster within seconds
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
}


def host_csrf() -> bool:
    """True when the host's Flask-WTF CSRFProtect guards every state change already."""
    return "csrf" in current_app.extensions


def csrf_token() -> str:
    if host_csrf():
        from flask_wtf.csrf import generate_csrf
        return generate_csrf()
    if SESSION_KEY not in session:
        session[SESSION_KEY] = secrets.token_urlsafe(32)
    return session[SESSION_KEY]


def csrf_valid() -> bool:
    sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token", "")
    expected = session.get(SESSION_KEY, "")
    return bool(sent and expected) and hmac.compare_digest(sent, expected)


def wants_json() -> bool:
    return request.blueprint is not None and request.blueprint.endswith(".api")


def login_endpoint(state) -> str | None:
    """Where anonymous visitors of a page are sent: the configured endpoint, else
    Flask-Login's ``login_view``."""
    manager = getattr(current_app, "login_manager", None)
    return state.config.login_endpoint or getattr(manager, "login_view", None)


def _refuse_anonymous(state):
    if wants_json():
        return jsonify(message="Admin permission required."), 403
    login = login_endpoint(state)
    if login:
        return redirect(url_for(login, next=request.full_path))
    abort(403)


def guard(state):
    """A before_request handler: admins only, and a CSRF token on every state change.

    ``is_admin`` is only asked of authenticated users, so a host's
    ``lambda: current_user.is_admin`` never meets an anonymous user.
    """
    def check():
        request.environ[ARRIVED] = time.monotonic()  # for the counts shared between requests
        if not state.is_authenticated():
            return _refuse_anonymous(state)
        if not state.is_admin():
            if wants_json():
                return jsonify(message="Admin permission required."), 403
            abort(403)
        if request.method not in SAFE_METHODS and not host_csrf() and not csrf_valid():
            if wants_json():
                return jsonify(message="The CSRF token is missing or invalid."), 400
            abort(400, "The CSRF token is missing or invalid.")
        return limit_request(state.config.max_request_bytes)
    return check


def limit_request(limit: int):
    """413 for a body over ``limit`` bytes, 422 for bad text anywhere in the request;
    None when fine."""
    if (request.content_length or 0) > limit:
        return _refuse(413, f"The request body is larger than {limit} bytes.")
    try:
        request.max_content_length = limit  # Flask >= 3.1: also caps bodies sent chunked
    except AttributeError:
        pass
    errors = request_text_problems()
    if errors:
        return _refuse(422, "Invalid input: " + "; ".join(
            f"{path}: {msg}" for path, msgs in errors.items() for msg in msgs), errors)
    return None


def request_text_problems() -> dict[str, list[str]]:
    """Bad text in the query string, the form fields or the JSON body, by path."""
    for where, multi in (("query", request.args), ("form", _form())):
        for key, value in multi.items(multi=True):
            found = text.problem(key) or text.problem(value, multi_line=True)
            if found:
                return {text.join(where, key): [found]}
    data = _json_body()
    return {} if data is None else text.json_problems(data, "body")


def _form():
    if request.method in SAFE_METHODS or request.is_json:
        return MultiDict()
    return request.form


def _json_body():
    """The parsed JSON body, or None (absent or malformed: the view says what is wrong)."""
    if request.method in SAFE_METHODS or not request.is_json:
        return None
    try:
        return json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError):
        return None


def _refuse(status: int, message: str, errors: dict | None = None):
    if wants_json() or request.is_json:
        return jsonify(message=message, errors=errors or {}), status
    abort(status, message)


def finish_response(response):
    """Security headers where the host set none, and ``Retry-After`` on every 503."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.status_code == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return response
