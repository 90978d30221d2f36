"""An app per database (SQLite; PostgreSQL and MariaDB when reachable), without demo tables."""

import pytest
from flask import Flask

from community_segments.demo.models import DEMO_TABLES, db


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
