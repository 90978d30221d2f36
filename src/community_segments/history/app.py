"""Running a refresh for a Flask app: its options from the typed config, its primary database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from ..config import SegmentsConfig
from ..errors import SegmentsError
from .models import OutboxEntry
from .refresh import Options, RefreshReport, refresh


def options_from(config: SegmentsConfig) -> Options:
    """``SEGMENTS_HISTORY_RETENTION_DAYS`` (90), ``SEGMENTS_REFRESH_LOCK_WAIT`` (seconds,
    300) and ``SEGMENTS_OUTBOX_LEASE`` (seconds, 600), as read into the app's config."""
    return Options(retention_days=int(config.history_retention_days),
                   lock_wait_s=float(config.refresh_lock_wait),
                   outbox_lease_s=float(config.outbox_lease))


def refresh_app(app: Flask, now: datetime | None = None) -> RefreshReport:
    """Refresh every segment of ``app`` on its primary database (never a read replica:
    the lock and the stored memberships must be the ones every process sees)."""
    from ..state import get_state
    state = get_state(app)
    _require_tables(state.db.engine)
    return refresh(state.db.engine, state.registry, state.view, options_from(state.config), now)


def _require_tables(engine: sa.Engine) -> None:
    if not sa.inspect(engine).has_table(OutboxEntry.__tablename__):
        raise SegmentsError("the membership history tables are missing: run this plugin's "
                            "migrations first (community_segments.migrate.upgrade; "
                            "FlaskBB: `flaskbb db upgrade`)")
