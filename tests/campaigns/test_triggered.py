"""'Send when a member enters this segment': a welcome mail through real SMTP (aiosmtpd),
each new member exactly once, across refreshes, crashes and a mail server that is down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from community_segments.demo.campaigns.models import Delivery
from community_segments.demo.models import Member, db
from community_segments.extension import get_state
from community_segments.history import outbox
from community_segments.history.app import refresh_app
from community_segments.history.outbox import DeliveryError

from .conftest import logged_in, make_app, token

NEWCOMERS = {"match": "all", "rules": [
    {"field": "signed_up", "op": "less_than_days_ago", "value": 7}]}


@pytest.fixture
def app(smtp, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'triggered.sqlite'}", smtp.port, 300)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def welcome(app):
    """Newcomers, a welcome campaign on it made through the page, and a baseline refresh."""
    with app.app_context():
        segment_id = get_state().service().create("Newcomers", NEWCOMERS).id
    admin = logged_in(app)
    response = admin.post("/admin/campaigns/new", data={
        "csrf_token": token(admin), "audience": f"segment:{segment_id}", "trigger": "entered",
        "subject": "Welcome, {{ name }}!", "body": "Hello {{ name }}, glad you joined."})
    assert response.status_code == 302, response.get_data(as_text=True)
    campaign_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    page = admin.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert 'id="trigger"' in page and "Send</button>" not in page
    with app.app_context():
        refresh_app(app)
    return campaign_id


def join(app, *names: str, signed_up: datetime | None = None) -> None:
    with app.app_context():
        for name in names:
            db.session.add(Member(username=name, email=f"{name}@example.org",
                                  primary_role="Registered user",
                                  signed_up=signed_up or datetime.now(UTC)))
        db.session.commit()


def mailed(app, campaign_id: int) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(Delivery.email).where(
            Delivery.campaign_id == campaign_id, Delivery.status == "sent")))


def test_new_members_who_match_get_exactly_one_mail(app, welcome, inbox):
    assert inbox.recipients() == []  # the baseline mails nobody
    join(app, "ann", "bob")
    join(app, "old", signed_up=datetime.now(UTC) - timedelta(days=400))  # does not match
    with app.app_context():
        refresh_app(app)
    assert sorted(inbox.recipients()) == ["ann@example.org", "bob@example.org"]
    subjects = sorted(str(inbox.message(i)["Subject"]) for i in range(2))
    assert subjects == ["Welcome, ann!", "Welcome, bob!"]
    with app.app_context():
        refresh_app(app)
        refresh_app(app)
    assert len(inbox.recipients()) == 2
    assert mailed(app, welcome) == ["ann@example.org", "bob@example.org"]


def test_a_crash_between_refresh_and_send_loses_nothing(app, welcome, inbox, monkeypatch):
    join(app, "cat")
    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(outbox, "deliver", lambda engine, options, now: 0)  # died after commit
        refresh_app(app)
    assert inbox.recipients() == []
    with app.app_context():
        refresh_app(app)
    assert inbox.recipients() == ["cat@example.org"]


def test_a_crash_after_sending_before_marking_never_mails_twice(app, welcome, inbox,
                                                                monkeypatch):
    join(app, "dan")

    def send_then_die(connection, entry_id, claim, now):
        entry = connection.execute(sa.select(outbox.OUTBOX)
                                   .where(outbox.OUTBOX.c.id == entry_id)).first()
        connection.commit()
        outbox.SIGNALS[entry.kind].send(None, segment_id=entry.segment_id,  # the signal goes out
                                        member_ids=json.loads(entry.member_ids), at=entry.at)
        raise SystemExit("killed before marking the signal sent")  # ... and is never marked

    with monkeypatch.context() as patched, app.app_context():
        patched.setattr(outbox, "_send", send_then_die)
        with pytest.raises(SystemExit):
            refresh_app(app)
    assert inbox.recipients() == ["dan@example.org"]
    with app.app_context():
        refresh_app(app)  # the signal is sent again; the campaign remembers dan
    assert inbox.recipients() == ["dan@example.org"]
    assert mailed(app, welcome) == ["dan@example.org"]


def test_a_mail_server_that_is_down_delays_the_welcome_and_loses_nothing(app, welcome, inbox):
    join(app, "eve", "fay")
    inbox.fail_after = 0
    with app.app_context(), pytest.raises(DeliveryError, match="outbox"):
        refresh_app(app)
    assert inbox.recipients() == []
    inbox.fail_after = None
    with app.app_context():
        refresh_app(app)
    assert sorted(inbox.recipients()) == ["eve@example.org", "fay@example.org"]


def test_a_triggered_campaign_is_not_sent_by_hand(app, welcome):
    from community_segments.demo.campaigns.sender import send_campaign
    with app.app_context(), pytest.raises(LookupError, match="sends itself"):
        send_campaign(welcome)
