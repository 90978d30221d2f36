"""Admin-only access and CSRF for every route of the blueprint.

Hosts with Flask-WTF's CSRFProtect (FlaskBB) already check every POST; elsewhere we
check a per-session token sent as the ``csrf_token`` form field or ``X-CSRFToken`` header.
"""

from __future__ import annotations

import hmac
import secrets

from flask import abort, current_app, jsonify, redirect, request, session, url_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_KEY = "_community_segments_csrf"


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


def guard(state):
    """A before_request handler: admins only, and a CSRF token on every state change."""
    def check():
        if not state.is_admin():
            if wants_json():
                return jsonify(message="Admin permission required."), 403
            login = state.config.login_endpoint
            if login and not state.is_authenticated():
                return redirect(url_for(login, next=request.full_path))
            abort(403)
        if request.method not in SAFE_METHODS and not host_csrf() and not csrf_valid():
            if wants_json():
                return jsonify(message="The CSRF token is missing or invalid."), 400
            abort(400, "The CSRF token is missing or invalid.")
        return None
    return check
