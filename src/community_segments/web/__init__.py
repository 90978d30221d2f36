"""The admin pages and JSON API: one blueprint at ``/admin/segments`` (configurable).

``pages`` and ``api`` are nested blueprints; the guard in :mod:`.security` runs before
every route of both.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify
from markupsafe import escape

from .. import migrate
from ..history.web import register as register_history
from ..state import get_state
from . import member_pages  # noqa: F401  (its routes join ``pages``)
from .api import api
from .pages import pages
from .security import csrf_token, finish_response, guard, wants_json


def make_blueprint(state) -> Blueprint:
    bp = Blueprint("community_segments", __name__, template_folder="../templates",
                   static_folder="../static", static_url_path="/static")
    bp.before_request(guard(state))
    bp.context_processor(lambda: {"plugin_failures": state.registry.failures})
    bp.register_error_handler(sa.exc.DBAPIError, _database_error)
    bp.after_request(finish_response)
    bp.register_blueprint(pages)
    register_history(bp)  # trends on the overview, history on the detail page
    bp.register_blueprint(api, url_prefix="/api")
    return bp


def _database_error(exc: sa.exc.DBAPIError):
    """Our tables missing: one line naming the command that creates them (503, not a 500)."""
    state = get_state()
    problem = migrate.schema_problem(state.db, state.host.name)
    if problem is None:
        raise exc
    if wants_json():
        return jsonify(message=str(problem)), 503
    return f"<h1>Segments are not set up yet</h1><p>{escape(str(problem))}</p>", 503


def register(app: Flask, state) -> None:
    app.register_blueprint(make_blueprint(state), url_prefix=state.config.url_prefix)
    app.jinja_env.globals.setdefault("csrf_token", csrf_token)
