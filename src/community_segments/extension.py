"""The Flask extension: ``Segments(app, db=db, user_model=User)`` or ``init_app``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask

from .config import SegmentsConfig
from .hooks import make_plugin_manager
from .host import Host
from .members import MemberView
from .registry import FieldRegistry
from .state import EXTENSION, SegmentsState, close_read_session, get_state, logged_in

__all__ = ["EXTENSION", "Segments", "SegmentsState", "get_state"]


class Segments:
    """Segments for a Flask + Flask-SQLAlchemy app.

    ``plugins`` are field providers registered before the installed entry points;
    with ``column_fields`` (the default) every plain column of ``user_model`` is a field.
    ``is_admin`` answers whether the current request may use the pages and API;
    ``is_authenticated`` whether a user is logged in at all (default: Flask-Login's
    ``current_user``; ``is_admin`` is asked only of those, the others are sent to the
    login endpoint); ``actor`` names the current user for created/updated by; with
    ``audiences`` (the default) segments answer the campaign-audience signals.
    ``defaults`` are the host's configuration defaults (:class:`SegmentsConfig`
    attributes, e.g. ``layout``); the app's ``SEGMENTS_*`` keys win over them.
    """

    def __init__(self, app: Flask | None = None, *, db, user_model,
                 member_view: MemberView | None = None, plugins: Iterable = (),
                 host_name: str = "generic", column_fields: bool = True,
                 is_admin: Callable[[], bool] | None = None,
                 actor: Callable[[], str | None] | None = None,
                 is_authenticated: Callable[[], bool] | None = None,
                 defaults: Mapping[str, Any] | None = None,
                 entry_points: bool = True, web: bool = True, audiences: bool = True):
        self.db = db
        self.user_model = user_model
        self.member_view = member_view or MemberView.for_model(user_model)
        from .hooks.segments import segment_plugin
        self.plugins = [segment_plugin, *plugins]  # the field `segment`, on every host
        if column_fields:
            from .hooks.columns import columns_plugin
            self.plugins.append(columns_plugin)
        self.host_name = host_name
        self.is_admin = is_admin or (lambda: False)
        self.actor = actor or (lambda: None)
        self.is_authenticated = is_authenticated or logged_in
        self.defaults = dict(defaults or {})
        self.entry_points = entry_points
        self.web = web
        self.audiences = audiences
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> SegmentsState:
        host = Host(self.host_name, self.user_model, self.db)
        pm = make_plugin_manager(self.plugins, entry_points=self.entry_points)
        state = SegmentsState(
            db=self.db, host=host, view=self.member_view, pm=pm,
            registry=FieldRegistry.from_plugins(pm, host), is_admin=self.is_admin,
            actor=self.actor, is_authenticated=self.is_authenticated,
            config=SegmentsConfig.load(app.config, **self.defaults))
        app.extensions[EXTENSION] = state
        app.teardown_appcontext(close_read_session)
        from .cli import segments_cli
        app.cli.add_command(segments_cli)
        if self.audiences:
            from . import audiences
            audiences.connect(app)
        if self.web:
            from .web import register
            register(app, state)
        return state
