"""An app per database (SQLite; PostgreSQL and MariaDB when reachable), without demo tables."""

import os

import pytest
import sqlalchemy as sa
from flask import Flask

from community_segments.demo.models import DEMO_TABLES, db

DATABASE_URLS = {
    "sqlite": "sqlite://",
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4",
}
_unreachable: dict[str, str] = {}


def _require(url: str) -> None:
    """Skip when a server is down, unless on CI, where every database must be tested."""
    if url not in _unreachable:
        try:
            with sa.create_engine(url).connect():
                _unreachable[url] = ""
        except sa.exc.OperationalError as error:
            _unreachable[url] = str(error.orig or error).splitlines()[0]
    if reason := _unreachable[url]:
        message = f"{url} is unreachable: {reason}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=list(DATABASE_URLS))
def app(request):
    url = DATABASE_URLS[request.param]
    _require(url)
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    with app.app_context():
        db.metadata.drop_all(db.engine, tables=DEMO_TABLES)
        yield app
        db.session.remove()
        db.metadata.drop_all(db.engine, tables=DEMO_TABLES)
        db.engine.dispose()


@pytest.fixture
def tables(app):
    db.metadata.create_all(db.engine, tables=DEMO_TABLES)
