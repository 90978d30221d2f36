"""What one app knows about segments, kept in ``app.extensions["community_segments"]``.

A leaf of the package's import graph: the web layer, the CLI and the audiences import
:func:`get_state` from here, and nothing here imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from .config import SegmentsConfig
from .evaluation import Evaluator
from .host import Host
from .members import MemberView
from .registry import FieldRegistry
from .service import SegmentService
from .sharing import SharedCounts, host_cache

EXTENSION = "community_segments"
READ_SESSION = "_segments_read_session"


def _yes() -> bool:
    return True


@dataclass
class SegmentsState:
    """One app's segments: database, host, member view, plugins, fields and configuration.

    ``is_admin`` answers whether the current request may use the pages and API;
    ``is_authenticated`` whether it comes from a logged-in user (non-admins who are not
    logged in are sent to ``config.login_endpoint``); ``actor`` names the current user.
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
    is_authenticated: Callable[[], bool] = _yes
    audiences: bool = False
    shared: SharedCounts | None = field(default=None, repr=False)  # made at first use

    def service(self, session: Session | None = None) -> SegmentService:
        session = session or self.db.session
        evaluator = Evaluator(self.read_session() or session, self.registry, self.view,
                              timeout_ms=self.config.statement_timeout_ms)
        return SegmentService(session, evaluator, self.pm, self.host, self.shared_counts())

    def shared_counts(self) -> SharedCounts:
        """The app's single-flight table, and its cache (the host's) with a max age."""
        if self.shared is None:
            age = self.config.counts_max_age
            self.shared = SharedCounts(age, host_cache(current_app) if age else None)
        return self.shared

    def read_session(self) -> Session | None:
        """With ``SEGMENTS_BIND_KEY``: this app context's session on that bind (a replica)."""
        key = self.config.bind_key
        if key is None:
            return None
        if READ_SESSION not in g:
            setattr(g, READ_SESSION, Session(bind=self.db.engines[key]))
        return g.get(READ_SESSION)


def close_read_session(_exc: BaseException | None = None) -> None:
    session = g.pop(READ_SESSION, None)
    if session is not None:
        session.close()


def get_state(app: Flask | None = None) -> SegmentsState:
    """The segments state of ``app`` (default: the current app)."""
    return (app or current_app).extensions[EXTENSION]
