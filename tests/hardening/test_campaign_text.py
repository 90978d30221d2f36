"""Issue 10, found by bench/fuzz.py on PostgreSQL and MariaDB: a campaign subject longer
than its column (or a body past MariaDB's TEXT) was a 500; now a 422 naming the limit,
and nothing is stored, on every database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from community_segments import get_state
from community_segments.demo.campaigns.models import Campaign
from community_segments.demo.models import db

from ..campaigns.conftest import SmtpServer, logged_in, make_app
from ..demo_client import csrf_token


@pytest.fixture
def demo(db_url):
    smtp = SmtpServer()  # not started: nothing here sends
    app = make_app(db_url, smtp.port, members=20)
    with app.app_context():
        segment = get_state(app).service().create("Everyone", {"match": "all", "rules": []})
        audience = f"segment:{segment.id}"
    yield app, audience
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize(("subject", "body", "message"), [
    ("é" * 201, "Hello", "The subject is too long: at most 200 characters (201 given)."),
    ("Hi", "😀" * 16_384, "The body is too long: at most 65,535 bytes of UTF-8."),
])
def test_text_past_its_column_is_refused_with_the_limit(demo, subject, body, message):
    app, audience = demo
    admin = logged_in(app)
    response = admin.post("/admin/campaigns/new", data={
        "subject": subject, "body": body, "audience": audience, "csrf_token": csrf_token(admin)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 0
    fits = admin.post("/admin/campaigns/new", data={
        "subject": subject[:200], "body": body[:16_383], "audience": audience,
        "csrf_token": csrf_token(admin)})
    assert fits.status_code == 302, fits.get_data(as_text=True)  # right at the limits: stored
