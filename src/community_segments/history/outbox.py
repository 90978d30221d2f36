"""Delivering the members-entered / members-left signals written by a refresh.

The outbox rows are written in the refresh's transaction, so a change is either
committed with a signal to send or not at all. After the commit, a process *claims* the
unsent rows under the refresh lock (so two processes never claim the same row), sends
each, and marks it sent. A process that dies between sending and marking leaves a claim
that expires after the lease; the next refresh sends that row again. Delivery is
therefore at-least-once: exactly once unless a process crashes in that window. Receivers
that must not act twice (the demo's welcome campaign) remember what they did.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from .. import signals
from ..base import table_of
from ..errors import SegmentsError
from ..models import Segment
from ..service import SegmentSnapshot
from .lock import locked
from .models import OutboxEntry

OUTBOX = table_of(OutboxEntry)


class DeliveryError(SegmentsError):
    """A receiver raised; the refresh is committed and its signals wait in the outbox."""


SEGMENTS = table_of(Segment)
SIGNALS = {"entered": signals.members_entered, "left": signals.members_left}


def deliver(engine: sa.Engine, options, now: datetime) -> int:
    """Send every unsent (or abandoned) outbox row; returns how many signals were sent."""
    claim = uuid.uuid4().hex
    with locked(engine, options.lock_wait_s, now) as connection:
        ids = _claim(connection, claim, now, timedelta(seconds=options.outbox_lease_s))
    sent = 0
    with engine.connect() as connection:
        try:
            for entry_id in ids:
                _send(connection, entry_id, claim, now)
                sent += 1
        except Exception as exc:
            _release(connection, claim)
            raise DeliveryError(f"a receiver of the membership signals failed "
                                f"({type(exc).__name__}: {exc}); {len(ids) - sent} signal(s) "
                                "stay in the outbox for the next refresh") from exc
        except BaseException:
            _release(connection, claim)
            raise
    return sent


def _claim(connection, claim: str, now: datetime, lease: timedelta) -> list[int]:
    free = sa.or_(OUTBOX.c.claimed_at.is_(None), OUTBOX.c.claimed_at < now - lease)
    ids = list(connection.scalars(sa.select(OUTBOX.c.id).where(OUTBOX.c.sent_at.is_(None), free)
                                  .order_by(OUTBOX.c.id)))
    for start in range(0, len(ids), 500):
        connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id.in_(ids[start:start + 500]))
                           .values(claim=claim, claimed_at=now))
    return ids


def _send(connection, entry_id: int, claim: str, now: datetime) -> None:
    entry = connection.execute(sa.select(OUTBOX).where(OUTBOX.c.id == entry_id,
                                                       OUTBOX.c.claim == claim)).first()
    connection.commit()
    if entry is None or entry.sent_at is not None:
        return  # our claim expired and another process took the row over
    SIGNALS[entry.kind].send(_snapshot(connection, entry), segment_id=entry.segment_id,
                             member_ids=json.loads(entry.member_ids), at=entry.at)
    connection.execute(sa.update(OUTBOX).where(OUTBOX.c.id == entry_id).values(sent_at=now))
    connection.commit()


def _release(connection, claim: str) -> None:
    """A receiver failed: our unsent rows go back to the next refresh without waiting."""
    connection.rollback()
    connection.execute(sa.update(OUTBOX).where(OUTBOX.c.claim == claim, OUTBOX.c.sent_at.is_(None))
                       .values(claim=None, claimed_at=None))
    connection.commit()


def _snapshot(connection, entry) -> SegmentSnapshot:
    """The segment as it is now; a deleted one keeps the title it had at the refresh."""
    row = connection.execute(sa.select(SEGMENTS).where(SEGMENTS.c.id == entry.segment_id)).first()
    if row is None:
        return SegmentSnapshot(entry.segment_id, entry.title, "", {}, None, 0)
    return SegmentSnapshot(row.id, row.title, row.description, row.criteria, row.group_id,
                           row.version)


def pending(connection) -> int:
    """Outbox rows not sent yet (waiting, claimed, or abandoned by a crash)."""
    return connection.scalar(sa.select(sa.func.count()).select_from(OUTBOX)
                             .where(OUTBOX.c.sent_at.is_(None)))
