"""What the overview and detail pages show of history, as template functions.

The page partials (templates/community_segments/history/) call these, so the page views
need no change: ``history_trend(segment_id)`` on the overview (all segments' trends are
read in one query per request), ``history_panel(segment_id)`` on the detail page.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Blueprint, g

from ..state import get_state
from . import charts, read
from .models import Membership
from .refresh import fingerprint

log = logging.getLogger(__name__)
TREND_DAYS = 30
CACHE = "_segments_trends"


def register(bp: Blueprint) -> None:
    bp.context_processor(lambda: {"history_trend": _tolerant(trend, None),
                                  "history_panel": _tolerant(panel, {"missing": True})})


def _tolerant(function, fallback):
    """History never breaks a page: tables not migrated yet (the package was upgraded
    before ``db upgrade``) show as "no history" and are logged."""
    def call(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
            _session().rollback()
            log.warning("membership history unavailable (run the db upgrade): %s", exc.orig)
            setattr(g, CACHE, {})
            return fallback
    return call


def _session():
    return get_state().db.session


def trend(segment_id: int) -> dict | None:
    """Recent counts as a sparkline and "+N / -M this week", or None before any refresh."""
    if CACHE not in g:
        ids = _session().scalars(sa.select(Membership.segment_id)).all()
        setattr(g, CACHE, read.trends(_session(), ids, datetime.now(UTC), days=TREND_DAYS))
    found = getattr(g, CACHE).get(segment_id)
    if found is None:
        return None
    label = (f"Members over the last {TREND_DAYS} days: " +
             ", ".join(f"{c:,}" for c in found.counts[-12:]))
    return {"sparkline": charts.sparkline(found.counts, label), "entered": found.entered,
            "left": found.left, "last_at": found.last_at}


def _last_counts(segments: list) -> dict[int, read.LastCount]:
    """The count of each segment at its last refresh, for the overview to show while the
    live counts are taken; a segment edited since (itself or a segment it refers to) has
    none: that count was of other criteria."""
    known = read.last_counts(_session())
    by_id = {segment.id: segment for segment in segments}
    return {sid: last for sid, last in known.items()
            if sid in by_id and fingerprint(by_id[sid], by_id) == last.criteria_hash}


last_counts = _tolerant(_last_counts, {})


def panel(segment_id: int, movers: int = 10) -> dict:
    """Size over time (chart + table), the latest members in and out, the last refresh."""
    session = _session()
    points = read.points(session, segment_id)
    latest = read.latest_movers(session, segment_id, movers)
    names = _names(session, {m for kind in latest.values() for m, _ in kind})
    series = [(p.at, p.count) for p in points]
    label = ("Segment size at each refresh: " +
             "; ".join(f"{at:%Y-%m-%d %H:%M} {count:,}" for at, count in series[-12:]))
    return {"points": points, "chart": charts.size_chart(series, label),
            "entered": [(m, names.get(m), at) for m, at in latest["entered"]],
            "left": [(m, names.get(m), at) for m, at in latest["left"]],
            "last_refresh": read.last_refresh(session, segment_id)}


def _names(session, ids) -> dict[int, str]:
    return read.usernames(session, get_state().view, list(ids))
