"""The demo app on each database, with an admin, a plain member and an anonymous client."""

from __future__ import annotations

import pytest

from community_segments.demo.app import create_app
from community_segments.demo.models import Member, db
from community_segments.demo.seed import ensure_admin, seed_database
from community_segments.extension import get_state
from community_segments.types import utcnow
from community_segments.web.security import SESSION_KEY

from ..demo_client import log_in

TOKEN = "test-csrf-token"
MEMBERS = 60


@pytest.fixture
def app(db_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "web-tests",
                      "TESTING": True})
    with app.app_context():
        seed_database(db.session, MEMBERS, seed=3)
        ensure_admin(db.session)
        member = Member(username="member", email="member@example.com",
                        primary_role="Registered user", signed_up=utcnow())
        member.set_password("member")
        db.session.add(member)
        db.session.commit()
        get_state().service().seed_defaults()
        yield app
        db.session.remove()
        db.engine.dispose()


def _client(app, username: str | None):
    client = app.test_client()
    if username:
        log_in(client, username, username)
    with client.session_transaction() as session:
        session[SESSION_KEY] = TOKEN
    return client


@pytest.fixture
def admin(app):
    return _client(app, "admin")


@pytest.fixture
def member(app):
    return _client(app, "member")


@pytest.fixture
def anonymous(app):
    return _client(app, None)


@pytest.fixture
def service(app):
    return get_state(app).service()
