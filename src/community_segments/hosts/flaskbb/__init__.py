"""The FlaskBB plugin (entry point ``flaskbb_plugins: community_segments``).

``pip install community-segments``, ``flaskbb db upgrade`` and a restart are all a
forum admin does: the tables come from our Alembic branch ``community_segments``, the
pages join FlaskBB's management area as the "Segments" tab, and ``flaskbb segments``
offers the command line.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, session
from flask_allows2 import Permission
from flask_login import current_user
from flaskbb.extensions import db
from flaskbb.user.models import User
from flaskbb.utils.requirements import IsAdmin
from flaskbb.utils.settings import flaskbb_config
from pluggy import HookimplMarker

from ...cli import segments_cli
from ...extension import EXTENSION, Segments
from .fields import HOST, flaskbb_plugin, member_view

hookimpl = HookimplMarker("flaskbb")

SETTINGS = None
LAYOUT = "community_segments/flaskbb_layout.html"
OVERVIEW = "community_segments.pages.overview"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def is_admin() -> bool:
    return bool(Permission(IsAdmin, identity=current_user))


def actor() -> str | None:
    return current_user.username if current_user.is_authenticated else None


def is_authenticated() -> bool:
    return current_user.is_authenticated


def active_theme() -> dict:
    """FlaskBB's ``theme()`` needs the active theme, which its own views pass explicitly."""
    if current_user.is_authenticated and current_user.theme:
        return {"_theme": current_user.theme}
    return {"_theme": session.get("theme", flaskbb_config["DEFAULT_THEME"])}


@hookimpl
def flaskbb_load_migrations():
    return str(MIGRATIONS)


# Not flaskbb_extensions: FlaskBB skips that hook while its database is not set up, and
# our set-up needs no database, so the blueprint and CLI are there in every state.
@hookimpl
def flaskbb_additional_setup(app: Flask, pluggy):
    segments = Segments(db=db, user_model=User, member_view=member_view(),
                        plugins=[flaskbb_plugin], host_name=HOST, column_fields=False,
                        is_admin=is_admin, actor=actor)
    state = segments.init_app(app)
    state.options.update(layout=LAYOUT, login_endpoint=app.config.get("LOGIN_VIEW", "auth.login"),
                         is_authenticated=is_authenticated)
    app.template_context_processors[EXTENSION].append(active_theme)


@hookimpl
def flaskbb_cli(cli, app):
    cli.add_command(segments_cli)


@hookimpl(trylast=True)
def flaskbb_tpl_admin_settings_menu(user):
    if OVERVIEW in current_app.view_functions and Permission(IsAdmin, identity=user):
        return [(OVERVIEW, "Segments", "fa fa-filter")]
    return []
