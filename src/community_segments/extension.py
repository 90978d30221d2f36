"""The Flask extension: ``Segments(app, db=db, user_model=User)`` or ``init_app``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, g
from sqlalchemy.orm import Session

from .evaluation import Evaluator
from .hooks import make_plugin_manager
from .host import Host
from .members import MemberView
from .registry import FieldRegistry
from .query.values import Source
from .service import SegmentService
from .suggest import Cache, ValueSuggester

EXTENSION = "community_segments"
READ_SESSION = "_segments_read_session"
DEFAULT_TIMEOUT_MS = 30_000


@dataclass
class SegmentsState:
    """What one app knows about segments: kept in ``app.extensions["community_segments"]``."""

    db: Any
    host: Host
    view: MemberView
    pm: Any
    registry: FieldRegistry
    is_admin: Callable[[], bool]
    actor: Callable[[], str | None]
    options: dict[str, Any] = field(default_factory=dict)
    value_cache: Cache = field(default_factory=Cache)

    def service(self, session=None) -> SegmentService:
        session = session or self.db.session
        evaluator = Evaluator(self.read_session() or session, self.registry, self.view,
                              timeout_ms=self.options.get("statement_timeout_ms"))
        return SegmentService(session, evaluator, self.pm, self.host)

    def suggester(self) -> ValueSuggester:
        """Value suggestions over the member base, read where segments are read."""
        view = self.view
        members = view.model.__table__ if hasattr(view.model, "__table__") else view.model
        return ValueSuggester(self.read_session() or self.db.session, self.registry,
                              Source(members, view.id, view.base), self.value_cache,
                              timeout_ms=self.options.get("statement_timeout_ms"))

    def read_session(self) -> Session | None:
        """With ``SEGMENTS_BIND_KEY``: this app context's session on that bind (a replica)."""
        key = self.options.get("bind_key")
        if key is None:
            return None
        if READ_SESSION not in g:
            setattr(g, READ_SESSION, Session(bind=self.db.engines[key]))
        return g.get(READ_SESSION)


class Segments:
    """Segments for a Flask + Flask-SQLAlchemy app.

    ``plugins`` are field providers registered before the installed entry points;
    with ``column_fields`` (the default) every plain column of ``user_model`` is a field.
    ``is_admin`` answers whether the current request may use the pages and API;
    ``actor`` names the current user for created/updated by; with ``audiences`` (the
    default) segments answer the campaign-audience signals.
    """

    def __init__(self, app: Flask | None = None, *, db, user_model,
                 member_view: MemberView | None = None, plugins: Iterable = (),
                 host_name: str = "generic", column_fields: bool = True,
                 is_admin: Callable[[], bool] | None = None,
                 actor: Callable[[], str | None] | None = None,
                 entry_points: bool = True, web: bool = True, audiences: bool = True):
        self.db = db
        self.user_model = user_model
        self.member_view = member_view or MemberView.for_model(user_model)
        from .hooks.segments import segment_plugin
        self.plugins = [segment_plugin, *plugins]
        if column_fields:
            from .hooks.columns import columns_plugin
            self.plugins.append(columns_plugin)
        self.host_name = host_name
        self.is_admin = is_admin or (lambda: False)
        self.actor = actor or (lambda: None)
        self.entry_points = entry_points
        self.web = web
        self.audiences = audiences
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> SegmentsState:
        host = Host(self.host_name, self.user_model, self.db, dict(app.config))
        pm = make_plugin_manager(self.plugins, entry_points=self.entry_points)
        state = SegmentsState(
            db=self.db, host=host, view=self.member_view, pm=pm,
            registry=FieldRegistry.from_plugins(pm, host), is_admin=self.is_admin,
            actor=self.actor)
        state.options.update(_options(app.config))
        app.extensions[EXTENSION] = state
        app.teardown_appcontext(_close_read_session)
        from .cli import segments_cli
        app.cli.add_command(segments_cli)
        if self.audiences:
            from . import audiences
            audiences.connect(app)
        if self.web:
            from .web import register
            register(app, state)
        return state


def _options(config) -> dict[str, Any]:
    timeout = config.get("SEGMENTS_STATEMENT_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)
    return {"bind_key": config.get("SEGMENTS_BIND_KEY"),
            "statement_timeout_ms": int(timeout) if timeout else None}


def _close_read_session(_exc=None) -> None:
    session = g.pop(READ_SESSION, None)
    if session is not None:
        session.close()


def get_state(app: Flask | None = None) -> SegmentsState:
    from flask import current_app
    return (app or current_app).extensions[EXTENSION]
