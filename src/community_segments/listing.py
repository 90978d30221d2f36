"""The segment table as the overview reads it: a light query a request, the whole read
(rows loaded, criteria parsed and checked) only when the table has changed.

Fifty admins opening the overview at once each need the segment list; loading it as ORM
objects (criteria decoded from JSON) and checking every criteria tree was a third of the
server's work per request (docs/BENCHMARKS.md). Each request now reads only what tells
one state of the table from another, the stamp, as plain rows in the overview's order:
every segment's id, version (bumped by every update through the ORM), creation time (an
id that SQLite hands out again after a delete is another segment), place, group name,
and what the overview shows of it (title, description, criteria as stored text, so even
a hand edit in SQL is seen). The summaries and checked criteria are kept per stamp, so a
change made anywhere, by any process, is seen by the next request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from .models import Segment, SegmentGroup
from .sharing import remembered

ORDER = (SegmentGroup.position.is_(None), SegmentGroup.position, SegmentGroup.id,
         Segment.position, Segment.id)


@dataclass(frozen=True)
class Summary:
    """A segment's columns (and its group's name), detached from any session."""

    id: int
    title: str
    description: str
    criteria: Any
    group_id: int | None
    group_name: str | None
    position: int
    version: int
    created_at: datetime | None
    updated_at: datetime | None
    created_by: str | None
    updated_by: str | None


def ordered(query: sa.Select) -> sa.Select:
    """``query`` over segments in the overview's order (by group, then within it)."""
    return query.outerjoin(SegmentGroup, Segment.group_id == SegmentGroup.id).order_by(*ORDER)


# Built once: a statement object reused keeps its cache key (SQLAlchemy builds and hashes
# a new one's at every execution). The creation time is compared, never shown: read as
# the driver gives it, without the UTC conversion of its column type.
STAMP = ordered(sa.select(Segment.id, Segment.version,
                          sa.type_coerce(Segment.created_at, sa.String), Segment.group_id,
                          Segment.position, SegmentGroup.name, Segment.title,
                          Segment.description, sa.cast(Segment.criteria, sa.Text)))


def stamp(session) -> tuple:
    """What tells this state of the segment table from any other, in one small query."""
    return tuple(session.connection().execute(STAMP).all())  # rows hash and compare as tuples


def summary(segment: Segment) -> Summary:
    return Summary(segment.id, segment.title, segment.description or "", segment.criteria,
                   segment.group_id, segment.group_name, segment.position, segment.version,
                   segment.created_at, segment.updated_at, segment.created_by,
                   segment.updated_by)


def listing(session, table: OrderedDict, key: Any, build: Callable[[], Any]) -> Any:
    """``build()`` (which reads the segments itself), kept under ``key`` and the stamp.

    It is kept only when the stamp is the same after ``build`` read as before: a change
    committed meanwhile (even one a hand edit undoes later) is never kept under a stamp
    it does not match.
    """
    before = (key, stamp(session))
    try:
        return table[before]
    except KeyError:
        pass
    value = build()
    if (key, stamp(session)) == before:
        remembered(table, before, lambda: value)
    return value
