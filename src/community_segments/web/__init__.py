"""The admin pages and JSON API: one blueprint at ``/admin/segments`` (configurable).

``pages`` and ``api`` are nested blueprints; the guard in :mod:`.security` runs before
every route of both.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from ..history.web import register as register_history
from . import member_pages  # noqa: F401  (its routes join ``pages``)
from .api import api
from .pages import pages
from .security import csrf_token, guard


def make_blueprint(state) -> Blueprint:
    bp = Blueprint("community_segments", __name__, template_folder="../templates",
                   static_folder="../static", static_url_path="/static")
    bp.before_request(guard(state))
    bp.register_blueprint(pages)
    register_history(bp)  # trends on the overview, history on the detail page
    bp.register_blueprint(api, url_prefix="/api")
    return bp


def register(app: Flask, state) -> None:
    app.register_blueprint(make_blueprint(state), url_prefix=state.config.url_prefix)
    app.jinja_env.globals.setdefault("csrf_token", csrf_token)
