"""Issue 10, item 4: the demo's campaign pages under a statement timeout answer 503 with
``Retry-After`` (the audience list counts every segment), and a send whose recipients
time out stops resumably instead of answering 500."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from community_segments import get_state
from community_segments.audiences import BATCH_SIZE
from community_segments.demo.campaigns.models import DRAFT, INTERRUPTED, SENT, Campaign, Delivery
from community_segments.demo.fields import demo_plugin
from community_segments.demo.models import db
from community_segments.hooks import make_plugin_manager
from community_segments.registry import FieldRegistry

from ..campaigns.conftest import Inbox, SmtpServer, logged_in, make_app
from ..demo_client import csrf_token
from .test_timeouts import SWITCH, SlowFields, criteria


class FlippingInbox(Inbox):
    """Turns the ``late`` field slow once the first message arrives: the recipients'
    next batch then runs past the statement timeout, mid-send."""

    engine = None

    async def handle_DATA(self, server, session, envelope):
        if self.engine is not None and not self.raw:
            with self.engine.begin() as connection:
                connection.execute(SWITCH.update().values(slow=1))
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_demo(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has no statement timeout")
    smtp = SmtpServer()
    smtp.inbox = FlippingInbox()
    smtp.start()
    app = make_app(db_url, smtp.port, members=BATCH_SIZE + 100)
    state = get_state(app)
    state.registry = FieldRegistry.from_plugins(
        make_plugin_manager([demo_plugin, SlowFields()], entry_points=False), state.host)
    state.config = replace(state.config, statement_timeout_ms=2000)
    with app.app_context():
        SWITCH.create(db.engine)
        db.session.execute(SWITCH.insert().values(slow=0))
        for title in ("Late", "Late too"):  # quick until SWITCH turns them slow
            segment = state.service().create(title, criteria("late"))
            db.session.add(Campaign(subject="Hi", body="Hello {{ name }}",
                                    audience_id=f"segment:{segment.id}",
                                    audience_label=segment.title))
        db.session.commit()
    app.smtp = smtp
    yield app
    smtp.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def campaign(app, campaign_id: int) -> tuple[str, str | None, int]:
    with app.app_context():
        found = db.session.get(Campaign, campaign_id)
        sent = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery).where(
            Delivery.campaign_id == campaign_id))
        return found.status, found.last_error, sent


def test_the_audience_pages_answer_503_with_retry_after(slow_demo):
    admin = logged_in(slow_demo)
    with slow_demo.app_context(), db.engine.begin() as connection:
        connection.execute(SWITCH.update().values(slow=1))  # both segments slow now
    for method, url in (("get", "/admin/campaigns/new"), ("get", "/admin/campaigns/1"),
                        ("post", "/admin/campaigns/1/send")):
        response = getattr(admin, method)(url, data={"csrf_token": csrf_token(admin)})
        assert response.status_code == 503, url
        assert int(response.headers["Retry-After"]) > 0
        assert "took longer than" in response.get_data(as_text=True)
    assert admin.get("/admin/campaigns/").status_code == 200  # the list counts nothing
    assert campaign(slow_demo, 1) == (DRAFT, None, 0)  # the refused send wrote nothing


def test_a_send_whose_recipients_time_out_mid_send_stops_resumably(slow_demo):
    admin = logged_in(slow_demo)
    with slow_demo.app_context():
        slow_demo.smtp.inbox.engine = db.engine
    response = admin.post("/admin/campaigns/2/send", data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 302, response.get_data(as_text=True)
    status, error, sent = campaign(slow_demo, 2)
    assert status == INTERRUPTED and "took longer than" in error
    assert sent == BATCH_SIZE  # the first batch went out; the second timed out
    slow_demo.smtp.inbox.engine = None
    with slow_demo.app_context(), db.engine.begin() as connection:
        connection.execute(SWITCH.update().values(slow=0))
    response = admin.post("/admin/campaigns/2/send", data={"csrf_token": csrf_token(admin)})
    assert response.status_code == 302
    status, error, sent = campaign(slow_demo, 2)
    recipients = slow_demo.smtp.inbox.recipients()
    assert status == SENT and sent == len(recipients) > BATCH_SIZE
    assert len(set(recipients)) == len(recipients)  # nobody mailed twice
