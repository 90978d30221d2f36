"""``segments refresh`` as a periodic task on FlaskBB's own Celery app.

FlaskBB runs Celery (``celery -A celery_worker.celery worker``); with ``--beat`` (or a
separate ``celery -A celery_worker.celery beat``) the refresh runs every
``SEGMENTS_REFRESH_INTERVAL`` seconds (FlaskBB config or ``FLASKBB_SEGMENTS_REFRESH_INTERVAL``;
default 900, 0 turns the schedule off). FlaskBB's tasks run inside an app context. Several
workers or beats are safe: the refresh lock lets one refresh at a time, and none sends a
change twice.
"""

from __future__ import annotations

from flask import Flask, current_app
from flaskbb.extensions import celery

TASK = "community_segments.refresh"
ENTRY = "community-segments-refresh"
DEFAULT_INTERVAL = 900


@celery.task(name=TASK)
def refresh_segments() -> dict:
    from ...history.app import refresh_app
    report = refresh_app(current_app._get_current_object())  # type: ignore[attr-defined]
    return {"at": report.at.isoformat(), "segments": len(report.segments),
            "skipped": [title for _, title, _ in report.skipped], "signals_sent": report.sent}


def schedule(app: Flask) -> float | None:
    """Add the refresh to Celery beat's schedule; returns the interval (None: off)."""
    interval = float(app.config.get("SEGMENTS_REFRESH_INTERVAL", DEFAULT_INTERVAL) or 0)
    if interval <= 0:
        celery.conf.beat_schedule = {k: v for k, v in (celery.conf.beat_schedule or {}).items()
                                     if k != ENTRY}
        return None
    celery.conf.beat_schedule = {**(celery.conf.beat_schedule or {}),
                                 ENTRY: {"task": TASK, "schedule": interval}}
    return interval
