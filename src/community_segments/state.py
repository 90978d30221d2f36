"""What one app knows about segments, kept in ``app.extensions["community_segments"]``.

A leaf of the package's import graph: the web layer, the CLI and the audiences import
:func:`get_state` from here, and nothing here imports them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from .config import SegmentsConfig
from .evaluation import Evaluator
from .host import Host
from .members import MemberView
from .query.values import Source
from .registry import FieldRegistry
from .service import SegmentService
from .sharing import SharedCounts, arrived, host_cache
from .suggest import Cache, ValueSuggester

EXTENSION = "community_segments"
READ_SESSION = "_segments_read_session"
_ENGINE_LOCK = threading.Lock()


def logged_in() -> bool:
    """The default ``is_authenticated``: Flask-Login's ``current_user`` where the app has a
    ``LoginManager``; without one, everyone (``is_admin`` alone then decides)."""
    if getattr(current_app, "login_manager", None) is None:
        return True
    from flask_login import current_user
    return bool(current_user.is_authenticated)


@dataclass
class SegmentsState:
    """One app's segments: database, host, member view, plugins, fields and configuration.

    ``is_admin`` answers whether the current request may use the pages and API;
    ``is_authenticated`` whether it comes from a logged-in user (``is_admin`` is asked
    only of those; the others are sent to ``config.login_endpoint``); ``actor`` names the current user.
    ``audiences`` is set when the app answers the campaign-audience signals.
    """

    db: Any
    host: Host
    view: MemberView
    pm: Any
    registry: FieldRegistry
    is_admin: Callable[[], bool]
    actor: Callable[[], str | None]
    config: SegmentsConfig = field(default_factory=SegmentsConfig)
    is_authenticated: Callable[[], bool] = logged_in
    audiences: bool = False
    shared: SharedCounts | None = field(default=None, repr=False)  # made at first use
    value_cache: Cache = field(default_factory=Cache)
    _evaluation_engine: Any = field(default=None, repr=False)

    def service(self, session: Session | None = None) -> SegmentService:
        session = session or self.db.session
        evaluator = Evaluator(self.evaluation_session(), self.registry, self.view,
                              timeout_ms=self.config.statement_timeout_ms)
        return SegmentService(session, evaluator, self.pm, self.host, self.shared_counts(),
                              since=arrived())

    def shared_counts(self) -> SharedCounts:
        """The app's single-flight table, and its cache (the host's) with a max age."""
        if self.shared is None:
            age = self.config.counts_max_age
            self.shared = SharedCounts(age, host_cache(current_app) if age else None)
        return self.shared

    def suggester(self) -> ValueSuggester:
        """Value suggestions over the member base, read where segments are read."""
        view = self.view
        members = view.model.__table__ if hasattr(view.model, "__table__") else view.model
        return ValueSuggester(self.evaluation_session(), self.registry,
                              Source(members, view.id, view.base), self.value_cache,
                              timeout_ms=self.config.statement_timeout_ms)

    def evaluation_session(self) -> Session:
        """This app context's session for evaluating segments, on its own connection: on
        the ``SEGMENTS_BIND_KEY`` bind (a replica) when set, else on the default engine.

        Never the host's ``db.session``: what evaluation sets (``SET LOCAL
        statement_timeout``, ``jit``) or rolls back after a timeout stays in its own
        transaction, and the host's pending work in the request is untouched.
        """
        if READ_SESSION not in g:
            setattr(g, READ_SESSION, Session(bind=self.evaluation_engine()))
        return g.get(READ_SESSION)

    def evaluation_engine(self) -> sa.Engine:
        """The bind's engine; without one, an engine of our own on the host's database.

        Its own, and without a pool: a request holds the host's connection while it
        evaluates, so taking the second connection from the host's pool could exhaust it
        under load (every request waiting for one another). A fresh connection per
        request costs a few milliseconds and is closed at the end of the app context.
        """
        if self.config.bind_key is not None:
            return self.db.engines[self.config.bind_key]
        with _ENGINE_LOCK:
            if self._evaluation_engine is None:
                self._evaluation_engine = _own_engine(self.db.engine)
        return self._evaluation_engine


def _own_engine(engine: sa.Engine) -> sa.Engine:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return engine  # an in-memory database lives on its one connection only
    own = sa.create_engine(url, poolclass=NullPool)
    with own.connect():  # the dialect learns the server (MariaDB or MySQL) on connecting
        pass
    return own


def close_read_session(_exc: BaseException | None = None) -> None:
    session = g.pop(READ_SESSION, None)
    if session is not None:
        session.close()


def get_state(app: Flask | None = None) -> SegmentsState:
    """The segments state of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
