"""The admin pages and JSON API: one blueprint at ``/admin/segments`` (configurable).

``pages`` and ``api`` are nested blueprints; the guard in :mod:`.security` runs before
every route of both.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify
from markupsafe import escape

from .security import csrf_token, guard, wants_json

URL_PREFIX = "/admin/segments"


def make_blueprint(state) -> Blueprint:
    bp = Blueprint("community_segments", __name__, template_folder="../templates",
                   static_folder="../static", static_url_path="/static")
    bp.before_request(guard(state))
    bp.context_processor(lambda: {"plugin_failures": state.registry.failures})
    bp.register_error_handler(sa.exc.DBAPIError, _database_error)
    from .api import api
    from .pages import pages
    bp.register_blueprint(pages)
    bp.register_blueprint(api, url_prefix="/api")
    return bp


def _database_error(exc: sa.exc.DBAPIError):
    """Our tables missing: one line naming the command that creates them (503, not a 500)."""
    from ..db_cli import schema_problem
    problem = schema_problem(exc)
    if problem is None:
        raise exc
    if wants_json():
        return jsonify(message=str(problem)), 503
    return f"<h1>Segments are not set up yet</h1><p>{escape(str(problem))}</p>", 503


def register(app: Flask, state) -> None:
    prefix = app.config.get("SEGMENTS_URL_PREFIX", URL_PREFIX)
    app.register_blueprint(make_blueprint(state), url_prefix=prefix)
    app.jinja_env.globals.setdefault("csrf_token", csrf_token)
