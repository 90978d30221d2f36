"""Sending a campaign: the audience evaluated now, in batches, each member at most once.

For each batch: members already in ``campaign_deliveries`` are skipped, the rest are
claimed (rows committed as ``sending``), mailed over one SMTP connection, then marked
``sent``. A failure releases the claims of messages that certainly did not go out, so a
retry sends exactly those; a message whose transfer broke stays ``unconfirmed``.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import batched

import sqlalchemy as sa
from flask import current_app

from ..models import db
from . import audiences, mail
from .models import INTERRUPTED, SENDING, SENT, Campaign, Delivery, Trigger, now

REFUSED, UNCONFIRMED = "refused", "unconfirmed"


class SendFailed(RuntimeError):
    """The send stopped; what went out is recorded, and sending again resumes it."""


@dataclass(frozen=True)
class Progress:
    total: int | None
    sent: int
    refused: int
    unconfirmed: int
    status: str

    @property
    def done(self) -> int:
        return self.sent + self.refused + self.unconfirmed


def progress(campaign: Campaign) -> Progress:
    rows = db.session.execute(sa.select(Delivery.status, sa.func.count())
                              .where(Delivery.campaign_id == campaign.id)
                              .group_by(Delivery.status)).all()
    counts = dict(rows)
    # Rows still "sending" outside a send belong to a send that died mid-batch.
    unconfirmed = counts.get(UNCONFIRMED, 0) + (
        counts.get(SENDING, 0) if campaign.status != SENDING else 0)
    return Progress(campaign.total, counts.get(SENT, 0), counts.get(REFUSED, 0), unconfirmed,
                    campaign.status)


def send_campaign(campaign_id: int) -> Progress:
    """Mail every current member of the audience not mailed yet; raises SendFailed."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise LookupError(f"no campaign {campaign_id}")
    if db.session.get(Trigger, campaign_id) is not None:
        raise LookupError(f"campaign {campaign_id} sends itself to each member who enters "
                          "its segment; it is not sent by hand")
    recipients = audiences.recipients(campaign.audience_id)
    _start(campaign)
    try:
        with Batches(campaign, current_app.config) as sending:
            for batch in batched(recipients, int(current_app.config["CAMPAIGNS_BATCH_SIZE"])):
                sending.send(batch)
    except (mail.Undelivered, mail.Unconfirmed, mail.TemplateError, OSError,
            mail.smtplib.SMTPException, audiences.AudiencesUnavailable) as exc:
        _finish(campaign, INTERRUPTED, f"{type(exc).__name__}: {exc}")
        raise SendFailed(f"sending stopped: {exc}; send again to resume") from exc
    except BaseException as exc:
        _finish(campaign, INTERRUPTED, f"{type(exc).__name__}: {exc}")
        raise
    _finish(campaign, SENT, None)
    return progress(campaign)


def _start(campaign: Campaign) -> None:
    audience = audiences.find(campaign.audience_id)
    delivered = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)
                                  .where(Delivery.campaign_id == campaign.id))
    campaign.status, campaign.last_error = SENDING, None
    campaign.total = max(delivered or 0, audience["count"] if audience else 0)
    db.session.commit()


def _finish(campaign: Campaign, status: str, error: str | None) -> None:
    db.session.rollback()
    error = error if error is None or len(error) <= 2000 else error[:1999] + "…"
    campaign.status, campaign.last_error, campaign.finished_at = status, error, now()
    db.session.commit()


class Batches:
    """One SMTP connection (opened when first needed) and the claim-send-mark cycle."""

    def __init__(self, campaign: Campaign, config):
        self.campaign_id, self.config = campaign.id, config
        self.subject = mail.compile_template(campaign.subject)
        self.body = mail.compile_template(campaign.body)
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (mail.smtplib.SMTPException, OSError):
                self.smtp.close()

    def send(self, batch: Iterable[dict]) -> int:
        """Mail the members of ``batch`` not mailed yet; returns how many were handed over."""
        fresh = self._not_yet_delivered(batch)
        if not fresh:
            return 0
        messages = [(r, self._message(r)) for r in fresh]  # template errors before any claim
        if self.smtp is None:
            self.smtp = mail.connect(self.config)
        self._claim(fresh)
        outcome: dict[int, str] = {}
        try:
            for recipient, message in messages:
                outcome[recipient["id"]] = self._deliver(message, recipient["email"])
        except mail.Unconfirmed:
            outcome[recipient["id"]] = UNCONFIRMED
            raise
        finally:
            self._settle(outcome, [r["id"] for r in fresh])
        return len(outcome)

    def _deliver(self, message, to: str) -> str:
        try:
            assert self.smtp is not None  # connected in send()
            mail.deliver(self.smtp, message, self.config["CAMPAIGNS_ENVELOPE_FROM"], to)
        except mail.Refused:
            return REFUSED
        return SENT

    def _message(self, recipient: dict):
        return mail.compose(self.config["CAMPAIGNS_SENDER"],
                            self.subject.render(recipient).strip(), self.body.render(recipient),
                            recipient, self.campaign_id)

    def _not_yet_delivered(self, batch: Iterable[dict]) -> list[dict]:
        batch = list(batch)
        done = set(db.session.scalars(sa.select(Delivery.member_id).where(
            Delivery.campaign_id == self.campaign_id,
            Delivery.member_id.in_([r["id"] for r in batch]))))
        return [r for r in batch if r["id"] not in done and r.get("email")]

    def _claim(self, recipients: list[dict]) -> None:
        db.session.execute(sa.insert(Delivery), [
            {"campaign_id": self.campaign_id, "member_id": r["id"], "email": r["email"],
             "status": SENDING} for r in recipients])
        db.session.commit()

    def _settle(self, outcome: dict[int, str], claimed: list[int]) -> None:
        """Record each outcome; release the claims of messages never handed over."""
        db.session.rollback()
        unsent = [member_id for member_id in claimed if member_id not in outcome]
        for status in (SENT, REFUSED, UNCONFIRMED):
            ids = [member_id for member_id, s in outcome.items() if s == status]
            if ids:
                db.session.execute(sa.update(Delivery).where(
                    Delivery.campaign_id == self.campaign_id, Delivery.member_id.in_(ids))
                    .values(status=status, sent_at=now()))
        if unsent:
            db.session.execute(sa.delete(Delivery).where(
                Delivery.campaign_id == self.campaign_id, Delivery.member_id.in_(unsent)))
        db.session.commit()
