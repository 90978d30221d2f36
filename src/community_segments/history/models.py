"""Tables of membership history, on our models' metadata (no foreign keys into host tables).

Segment ids are plain integers, not foreign keys: history outlives the segment it
describes, and deleting a segment must never be blocked by its past.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from ..base import Base
from ..types import UTCDateTime

# MariaDB's BLOB stops at 64 KiB; a stored membership can be larger.
Blob = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")


class RefreshLock(Base):
    """One row; a refresh locks it first, so refreshes (and outbox claims) run one at a time."""

    __tablename__ = "cs_refresh_lock"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    runs: Mapped[int] = mapped_column(default=0)


class Membership(Base):
    """A segment's members at its last refresh, as a serialized roaring bitmap."""

    __tablename__ = "cs_membership"

    segment_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    criteria_hash: Mapped[str] = mapped_column(sa.String(64))
    members: Mapped[bytes] = mapped_column(Blob)
    count: Mapped[int]
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HistoryPoint(Base):
    """A segment's size at one refresh and how many entered and left since the one before.

    ``baseline``: the first refresh of the segment, or the first after its criteria changed
    (``criteria_changed``); then entered and left are 0 and no signal is sent.
    """

    __tablename__ = "cs_history_point"
    __table_args__ = (sa.Index("ix_cs_history_point_segment_at", "segment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int]
    entered: Mapped[int] = mapped_column(default=0)
    left: Mapped[int] = mapped_column(default=0)
    baseline: Mapped[bool] = mapped_column(default=False)
    criteria_changed: Mapped[bool] = mapped_column(default=False)


class HistoryChange(Base):
    """The ids that entered (``kind`` "entered") or left a segment at one point.

    Kept for the configured retention (``SEGMENTS_HISTORY_RETENTION_DAYS``); points stay.
    """

    __tablename__ = "cs_history_change"
    __table_args__ = (sa.Index("ix_cs_history_change_segment_at", "segment_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(index=True)
    segment_id: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(sa.String(8))
    members: Mapped[bytes] = mapped_column(Blob)


class OutboxEntry(Base):
    """One signal to send (at most 1000 ids), written in the refresh's transaction.

    ``claimed_at``: a process took it to send; ``sent_at``: sent. A claim older than the
    lease is taken again by the next refresh (the sender crashed in between).
    """

    __tablename__ = "cs_history_outbox"
    __table_args__ = (sa.Index("ix_cs_history_outbox_sent_at", "sent_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    segment_id: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    member_ids: Mapped[str] = mapped_column(sa.Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
