"""The demo app with a seeded community and an admin logged in through /login."""

from __future__ import annotations

import pytest

from community_segments.demo.app import create_app
from community_segments.demo.models import Member, db
from community_segments.demo.seed import ensure_admin, seed_database

from ..demo_client import csrf_token, log_in

API = "/admin/segments/api"
MEMBERS = 300


def make_app(url: str, members: int = MEMBERS):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        seed_database(db.session, members, seed=7)
        ensure_admin(db.session)
        db.session.add(Member(username="mallory", email="mallory@example.org",
                              primary_role="Registered user", signed_up=_now()))
        mallory = db.session.query(Member).filter_by(username="mallory").one()
        mallory.set_password("mallory")
        db.session.commit()
    return app


def _now():
    from community_segments.types import utcnow
    return utcnow()


class Api:
    """A test client speaking JSON to the API, with the CSRF header unless told not to."""

    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def __call__(self, method: str, path: str, json=None, csrf: bool = True, **kwargs):
        headers = {"X-CSRFToken": self.token} if csrf and self.token else {}
        return self.client.open(API + path, method=method, json=json, headers=headers, **kwargs)

    def ok(self, method: str, path: str, json=None, status: int = 200):
        response = self(method, path, json)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()


def dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    yield app
    dispose(app)


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.sqlite'}")
    yield app
    dispose(app)


def api_for(app, username: str | None) -> Api:
    client = app.test_client()
    if username:
        log_in(client, username, username)
        return Api(client, csrf_token(client))
    return Api(client, None)


@pytest.fixture
def admin(sqlite_app) -> Api:
    return api_for(sqlite_app, "admin")


@pytest.fixture
def mallory(sqlite_app) -> Api:
    return api_for(sqlite_app, "mallory")
