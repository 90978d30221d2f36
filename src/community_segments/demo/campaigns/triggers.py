"""Campaigns that react: "send when a member enters this segment".

Listens to ``community-segments.members-entered`` by name (nothing of the segments package
is imported). The segments side sends each change at least once, from an outbox that
survives a crash between its refresh and the send; this side makes the mail exactly
once: every member gets a delivery row, unique per campaign, claimed before the message
goes out (the same claim-send-mark cycle as a manual send). If the mail server fails,
the error goes back to the sender, whose outbox keeps the change for the next refresh;
the members mailed already are skipped then.
"""

from __future__ import annotations

import blinker
import sqlalchemy as sa
from flask import current_app, has_app_context

from ..models import Member, db
from .models import Campaign, Trigger
from .sender import Batches

members_entered = blinker.signal("community-segments.members-entered")
EXTENSION = "demo_campaigns"


def audience_of(segment_id: int) -> str:
    """The audience id segments offer for a segment (``segment:<id>``, DESIGN.md)."""
    return f"segment:{segment_id}"


def on_members_entered(sender, segment_id=None, member_ids=(), at=None, **_kwargs) -> int:
    """Mail the welcome of every active triggered campaign on this segment; returns mails sent."""
    if not has_app_context() or EXTENSION not in current_app.extensions or segment_id is None:
        return 0
    campaigns = db.session.scalars(
        sa.select(Campaign).join(Trigger, Trigger.campaign_id == Campaign.id)
        .where(Trigger.active.is_(True), Trigger.event == "entered",
               Campaign.audience_id == audience_of(segment_id))).all()
    if not campaigns:
        return 0
    recipients = _recipients(list(member_ids))
    sent = 0
    for campaign in campaigns:
        with Batches(campaign, current_app.config) as sending:
            sent += sending.send(recipients) or 0
    return sent


def _recipients(ids: list[int]) -> list[dict]:
    """The entered members as recipients (the merge fields of a segment audience)."""
    rows = db.session.execute(sa.select(
        Member.id, Member.username, Member.email, Member.job_title, Member.department,
        Member.country, Member.primary_role, Member.signed_up, Member.last_activity,
        Member.post_count).where(Member.id.in_(ids)).order_by(Member.id)).all()
    return [{**row._mapping, "name": row.username} for row in rows]


def is_triggered(campaign: Campaign) -> bool:
    return db.session.get(Trigger, campaign.id) is not None


def connect(app) -> None:
    app.extensions[EXTENSION] = True
    members_entered.connect(on_members_entered)


def create_triggered(audience: dict, subject: str, body: str) -> Campaign:
    """A campaign on a segment audience that mails each member entering it."""
    campaign = Campaign(subject=subject.strip(), body=body, audience_id=audience["id"],
                        audience_label=audience["label"], status="triggered")
    db.session.add(campaign)
    db.session.flush()
    db.session.add(Trigger(campaign_id=campaign.id))
    db.session.commit()
    return campaign


WELCOME = ("Welcome to the Logoipsum Community, {{ name }}!",
           "Hello {{ name }},\n\nglad you joined us. Introduce yourself in the forum, and "
           "tell us what you work on.\n\nThe Logoipsum Community team\n")


def seed_welcome(label: str = "Newcomers") -> Campaign | None:
    """The demo's welcome mail on the Newcomers segment, unless a triggered campaign exists."""
    from . import audiences
    if db.session.scalar(sa.select(Trigger.campaign_id).limit(1)) is not None:
        return None
    audience = next((a for a in audiences.collect() if a["label"] == label
                     and a["id"].startswith("segment:")), None)
    return create_triggered(audience, *WELCOME) if audience else None
