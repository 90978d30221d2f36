"""Running a refresh for a Flask app: its options from the config, its primary database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from ..errors import SegmentsError

from .models import OutboxEntry
from .refresh import Options, RefreshReport, refresh

DEFAULTS = Options()


def options_from(config) -> Options:
    """``SEGMENTS_HISTORY_RETENTION_DAYS`` (90), ``SEGMENTS_REFRESH_LOCK_WAIT`` (seconds,
    300) and ``SEGMENTS_OUTBOX_LEASE`` (seconds, 600) from a Flask config."""
    return Options(
        retention_days=int(config.get("SEGMENTS_HISTORY_RETENTION_DAYS", DEFAULTS.retention_days)),
        lock_wait_s=float(config.get("SEGMENTS_REFRESH_LOCK_WAIT", DEFAULTS.lock_wait_s)),
        outbox_lease_s=float(config.get("SEGMENTS_OUTBOX_LEASE", DEFAULTS.outbox_lease_s)))


def refresh_app(app: Flask, now: datetime | None = None) -> RefreshReport:
    """Refresh every segment of ``app`` on its primary database (never a read replica:
    the lock and the stored memberships must be the ones every process sees)."""
    from ..extension import get_state
    state = get_state(app)
    _require_tables(state.db.engine)
    return refresh(state.db.engine, state.registry, state.view, options_from(app.config), now)


def _require_tables(engine: sa.Engine) -> None:
    if not sa.inspect(engine).has_table(OutboxEntry.__tablename__):
        raise SegmentsError("the membership history tables are missing: run this plugin's "
                            "migrations first (community_segments.migrate.upgrade; "
                            "FlaskBB: `flaskbb db upgrade`)")
