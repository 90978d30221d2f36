"""Reading recorded history: points, changes (paginated), trends, latest movers."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from pyroaring import BitMap

from ..base import table_of
from ..errors import ValidationError
from .models import HistoryChange, HistoryPoint, Membership

POINT = table_of(HistoryPoint)
CHANGE = table_of(HistoryChange)
MEMBERSHIP = table_of(Membership)
MAX_PER_PAGE = 1000


def point_dict(row) -> dict:
    return {"at": row.at.isoformat(), "count": row.count, "entered": row.entered,
            "left": row.left, "baseline": bool(row.baseline),
            "criteria_changed": bool(row.criteria_changed)}


def points(session, segment_id: int, since: datetime | None = None) -> list:
    """History points of a segment, oldest first."""
    query = sa.select(POINT).where(POINT.c.segment_id == segment_id)
    if since is not None:
        query = query.where(POINT.c.at >= since)
    return session.execute(query.order_by(POINT.c.at, POINT.c.id)).all()


@dataclass(frozen=True)
class ChangesPage:
    items: list[dict]  # {"member_id", "change": "entered"|"left", "at"}
    total: int
    page: int
    per_page: int


def changes(session, segment_id: int, since: datetime | None, page: int = 1,
            per_page: int = 100) -> ChangesPage:
    """Members who entered or left since ``since``, oldest refresh first, then by id."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError({"page": [f"page must be >= 1 and per_page 1 to {MAX_PER_PAGE}"]})
    query = sa.select(CHANGE).where(CHANGE.c.segment_id == segment_id)
    if since is not None:
        query = query.where(CHANGE.c.at > since)
    rows = session.execute(query.order_by(CHANGE.c.at, CHANGE.c.kind, CHANGE.c.id)).all()
    start, items, total = (page - 1) * per_page, [], 0
    for row in rows:
        ids = BitMap.deserialize(row.members)
        lo, hi = max(start - total, 0), min(start + per_page - total, len(ids))
        if lo < hi:  # this refresh's ids overlap the page: decode just that slice
            items += [{"member_id": member_id, "change": row.kind, "at": row.at.isoformat()}
                      for member_id in ids[lo:hi]]
        total += len(ids)
    return ChangesPage(items, total, page, per_page)


@dataclass(frozen=True)
class Trend:
    counts: list[int]  # recent counts, oldest first
    entered: int  # this week
    left: int
    last_at: datetime | None


def trends(session, segment_ids: Iterable[int], now: datetime, days: int = 30,
           week: int = 7) -> dict[int, Trend]:
    """Each segment's count at the end of each of the last ``days`` days (a refresh every
    15 minutes is ~3,000 points a month: the sparkline needs one a day) and its
    entered/left summed over the last ``week`` days, in SQL."""
    ids = list(segment_ids)
    if not ids:
        return {}
    rows = session.execute(sa.select(POINT.c.segment_id, POINT.c.at, POINT.c.count)
                           .where(POINT.c.segment_id.in_(ids),
                                  POINT.c.at >= now - timedelta(days=days))
                           .order_by(POINT.c.at, POINT.c.id))
    daily: dict[int, dict] = {}
    recent: dict[int, deque] = {}  # the latest refreshes, for a segment younger than 2 days
    last: dict[int, datetime] = {}
    for segment_id, at, count in rows:
        daily.setdefault(segment_id, {})[at.date()] = count  # the day's last refresh wins
        recent.setdefault(segment_id, deque(maxlen=days)).append(count)
        last[segment_id] = at
    moved: dict[int, tuple[int, int]] = {sid: (int(e or 0), int(l or 0)) for sid, e, l in session.execute(  # noqa: E741
        sa.select(POINT.c.segment_id, sa.func.sum(POINT.c.entered), sa.func.sum(POINT.c.left))
        .where(POINT.c.segment_id.in_(ids), POINT.c.at >= now - timedelta(days=week))
        .group_by(POINT.c.segment_id))}
    return {sid: Trend(list(by_day.values()) if len(by_day) > 1 else list(recent[sid]),
                       *moved.get(sid, (0, 0)), last[sid])
            for sid, by_day in daily.items()}


def latest_movers(session, segment_id: int, limit: int = 10) -> dict[str, list[tuple[int, datetime]]]:
    """The newest ``limit`` members in and out, each with when it happened."""
    found: dict[str, list[tuple[int, datetime]]] = {"entered": [], "left": []}
    for kind, bucket in found.items():
        rows = session.execute(sa.select(CHANGE.c.members, CHANGE.c.at)
                               .where(CHANGE.c.segment_id == segment_id, CHANGE.c.kind == kind)
                               .order_by(CHANGE.c.at.desc(), CHANGE.c.id.desc()).limit(limit))
        for members, at in rows:
            ids = BitMap.deserialize(members)
            bucket += [(member_id, at) for member_id in list(ids[-(limit - len(bucket)):])[::-1]]
            if len(bucket) >= limit:
                break
    return found


@dataclass(frozen=True)
class LastCount:
    count: int
    at: datetime
    criteria_hash: str  # what the count was taken of (see refresh.fingerprint)


def last_counts(session) -> dict[int, LastCount]:
    """Every refreshed segment's count at its last refresh, in one query (the stored
    memberships are not read)."""
    rows = session.execute(sa.select(MEMBERSHIP.c.segment_id, MEMBERSHIP.c.count,
                                     MEMBERSHIP.c.refreshed_at, MEMBERSHIP.c.criteria_hash))
    return {int(segment_id): LastCount(int(count), at, digest)
            for segment_id, count, at, digest in rows}


def last_refresh(session, segment_id: int) -> datetime | None:
    return session.scalar(sa.select(MEMBERSHIP.c.refreshed_at)
                          .where(MEMBERSHIP.c.segment_id == segment_id))


def usernames(session, view, ids: list[int]) -> dict[int, str]:
    """Display names of members by id (deleted members are simply missing)."""
    if not ids:
        return {}
    name = view.columns.get(view.name_column, view.columns["username"])
    rows = session.execute(sa.select(view.id, name).where(view.id.in_(ids)))
    return {int(member_id): value for member_id, value in rows}
