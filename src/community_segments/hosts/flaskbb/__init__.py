"""The FlaskBB plugin (entry point ``flaskbb_plugins: community_segments``).

``pip install``, ``flaskbb segments db upgrade`` (or FlaskBB's own ``flaskbb db upgrade``)
and a restart are all a forum admin does: the tables come from our migrations with a
version table of our own (see ``schema.py``), the pages join FlaskBB's management area
as the "Segments" tab, and ``flaskbb segments`` offers the command line.
"""

from __future__ import annotations

import copy

from flask import Blueprint, Flask, request, session, url_for
from flask_allows2 import Permission
from flask_login import current_user
from flaskbb.extensions import db
from flaskbb.plugins.models import PluginRegistry
from flaskbb.user.models import User
from flaskbb.utils.forms import SettingValueType
from flaskbb.utils.requirements import IsAdmin
from flaskbb.utils.settings import flaskbb_config
from markupsafe import Markup, escape
from pluggy import HookimplMarker

from ...cli import segments_cli
from ...extension import Segments
from ...state import EXTENSION
from . import schema
from .fields import HOST, flaskbb_plugin, member_view

hookimpl = HookimplMarker("flaskbb")

PLUGIN = "community_segments"  # our flaskbb_plugins entry-point name
PER_PAGE = (25, 5, 500)  # default, min, max
# Copied into FlaskBB's plugin store by `flaskbb plugins install community_segments`,
# then edited at /admin/settings/plugin/community_segments.
SETTINGS = {
    "members_per_page": {
        "value": PER_PAGE[0],
        "value_type": SettingValueType.integer,
        "name": "Members per page",
        "description": f"Rows per page of member lists ({PER_PAGE[1]} to {PER_PAGE[2]}).",
        "extra": {"min": PER_PAGE[1], "max": PER_PAGE[2]},
    },
}
LAYOUT = "community_segments/flaskbb_layout.html"  # in this package's templates/
OVERVIEW = "community_segments.pages.overview"


def is_admin() -> bool:
    return bool(Permission(IsAdmin, identity=current_user))


def actor() -> str | None:
    return current_user.username if current_user.is_authenticated else None


def is_authenticated() -> bool:
    return current_user.is_authenticated


def members_per_page() -> int:
    """The admin's setting, read per request as FlaskBB's own plugins do; else the default."""
    default, low, high = PER_PAGE
    plugin = PluginRegistry.get_by(name=PLUGIN)
    value = plugin.settings.get("members_per_page") if plugin else None
    return min(max(value, low), high) if isinstance(value, int) else default


def active_theme() -> dict:
    """FlaskBB's ``theme()`` needs the active theme, which its own views pass explicitly."""
    if current_user.is_authenticated and current_user.theme:
        return {"_theme": current_user.theme}
    return {"_theme": session.get("theme", flaskbb_config["DEFAULT_THEME"])}


# No flaskbb_load_migrations: our revision must never sit in FlaskBB's alembic_version,
# where it would block `flaskbb db upgrade` once the plugin is disabled (schema.py).


# Not flaskbb_extensions: FlaskBB skips that hook while its database is not set up, and
# our set-up needs no database, so the blueprint and CLI are there in every state.
@hookimpl
def flaskbb_additional_setup(app: Flask, pluggy):
    segments = Segments(db=db, user_model=User, member_view=member_view(),
                        plugins=[flaskbb_plugin], host_name=HOST, column_fields=False,
                        is_admin=is_admin, actor=actor, is_authenticated=is_authenticated,
                        defaults={"layout": LAYOUT, "per_page": members_per_page,
                                  "login_endpoint": app.config.get("LOGIN_VIEW", "auth.login")})
    segments.init_app(app)
    # only FlaskBB needs its layout, so it lives here, served by a route-less blueprint
    app.register_blueprint(Blueprint("community_segments_flaskbb", __name__,
                                     template_folder="templates"))
    app.template_context_processors[EXTENSION].append(active_theme)
    with app.app_context():
        schema.adopt_at_startup(db.engine)
    from .schedule import schedule
    schedule(app)  # the periodic refresh on FlaskBB's Celery app (SEGMENTS_REFRESH_INTERVAL)


@hookimpl
def flaskbb_cli(cli, app):
    cli.add_command(flaskbb_segments_cli())
    schema.chain_flaskbb_commands(cli, app)


def flaskbb_segments_cli():
    """``flaskbb segments``: the shared commands plus FlaskBB's ``db`` (schema.py).

    A copy, so the shared group other hosts use is left as it is.
    """
    group = copy.copy(segments_cli)
    group.commands = {**segments_cli.commands, "db": schema.db_cli}
    return group


@hookimpl(trylast=True)
def flaskbb_tpl_admin_settings_menu(user):
    if Permission(IsAdmin, identity=user):
        return [(OVERVIEW, "Segments", "fa fa-filter")]
    return []


# FlaskBB 2.2's admin user form (management/user_form.html) has a template hook after the
# user's details; its public profile's action hook has no hookspec, so we use this one.
@hookimpl
def flaskbb_tpl_form_user_details_after(form):
    user_id = (request.view_args or {}).get("user_id")
    if request.endpoint != "management.edit_user" or user_id is None or not is_admin():
        return None
    url = url_for("community_segments.pages.member", member_id=user_id)
    return Markup('<div class="offset-3 col-9 mb-3"><a class="cs-segments-of-user" '
                  f'href="{escape(url)}">Segments of this user</a></div>')
