"""An app per database (SQLite; PostgreSQL and MariaDB when reachable), without demo tables;
and ``demo``: the demo community app itself, with its admin."""

import re

import pytest
from flask import Flask

from community_segments.demo.app import create_app
from community_segments.demo.models import DEMO_TABLES, db
from community_segments.demo.seed import ensure_admin


@pytest.fixture
def app(db_url):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = db_url
    db.init_app(app)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def tables(app):
    db.metadata.create_all(db.engine, tables=DEMO_TABLES)


@pytest.fixture
def demo(db_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "test", "TESTING": True})
    with app.app_context():
        ensure_admin(db.session)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def token(client, path="/login"):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)
