"""Fixtures for tests against a real FlaskBB 2.2 (see README.md in this folder)."""

from __future__ import annotations

import os
import socket
import urllib.parse
from pathlib import Path

import pytest

from harness import FlaskBBSite, ensure_venv

HERE = Path(__file__).resolve().parent
PG_URL = os.environ.get(
    "FLASKBB_TEST_PG_URL",
    f"postgresql+psycopg2://postgres@127.0.0.1:5432/flaskbb_test_{os.getpid()}",
)


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.flaskbb)


@pytest.fixture(scope="session")
def flaskbb_venv() -> Path:
    """The cached venv with FlaskBB 2.2.0 installed and patched for Python 3.12."""
    return ensure_venv(os.environ.get("FLASKBB_CACHE_DIR"))


def _serve(venv, workdir, database_url=None):
    site = FlaskBBSite(venv, workdir, database_url)
    try:
        site.setup()
        site.start()
        yield site
    finally:
        site.close()


@pytest.fixture(scope="session")
def flaskbb_site(flaskbb_venv, tmp_path_factory):
    """A running FlaskBB on a SQLite file, with admin, moderator and member users."""
    yield from _serve(flaskbb_venv, tmp_path_factory.mktemp("flaskbb-sqlite"))


def _postgres_reachable(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 5432), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def flaskbb_site_pg(flaskbb_venv, tmp_path_factory):
    """The same on its own PostgreSQL database (FLASKBB_TEST_PG_URL), dropped afterwards."""
    if not _postgres_reachable(PG_URL):
        reason = f"PostgreSQL unreachable at {urllib.parse.urlsplit(PG_URL).netloc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    yield from _serve(flaskbb_venv, tmp_path_factory.mktemp("flaskbb-pg"), PG_URL)


@pytest.fixture(params=["sqlite", "postgres"])
def flaskbb_any_site(request):
    """Each running site in turn: tests using it run on SQLite and on PostgreSQL."""
    name = "flaskbb_site" if request.param == "sqlite" else "flaskbb_site_pg"
    return request.getfixturevalue(name)


@pytest.fixture
def anonymous(flaskbb_any_site):
    return flaskbb_any_site.client()


@pytest.fixture
def admin(flaskbb_any_site):
    return flaskbb_any_site.login("admin")


@pytest.fixture
def moderator(flaskbb_any_site):
    return flaskbb_any_site.login("moderator")


@pytest.fixture
def member(flaskbb_any_site):
    return flaskbb_any_site.login("member")
