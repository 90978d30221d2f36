"""Campaigns and their deliveries: one row per member mailed, unique per campaign."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..models import Model

DRAFT, SENDING, SENT, INTERRUPTED = "draft", "sending", "sent", "interrupted"


def now() -> datetime:
    """Naive UTC, the same on every database."""
    return datetime.now(UTC).replace(tzinfo=None)


class Campaign(Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    audience_id: Mapped[str] = mapped_column(sa.String(100))
    audience_label: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20), default=DRAFT)
    total: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[str | None] = mapped_column(sa.String(80))
    created_at: Mapped[datetime] = mapped_column(default=now)
    finished_at: Mapped[datetime | None]


class Delivery(Model):
    """A member this campaign was mailed to (or, while ``sending``, is being mailed to).

    A row is claimed before the message goes out, so a retried or interrupted send never
    mails anyone twice; ``unconfirmed`` marks the rare message whose connection broke
    during its transfer.
    """

    __tablename__ = "campaign_deliveries"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "member_id",
                                          name="uq_campaign_deliveries_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int]
    email: Mapped[str] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(20), default=SENDING)
    sent_at: Mapped[datetime | None]


class Trigger(Model):
    """A campaign that sends itself: to each member when they enter its segment audience.

    Triggered by the ``community-segments.members-entered`` signal of a refresh; every
    member is mailed at most once per campaign (its deliveries are unique per member).
    """

    __tablename__ = "campaign_triggers"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(20), default="entered")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


TABLES = tuple(cast(sa.Table, model.__table__) for model in (Campaign, Delivery, Trigger))
