"""Shared fixtures: the three databases every engine test runs on.

SQLite always; PostgreSQL and MariaDB when reachable (server URLs from TEST_POSTGRES_URL
and TEST_MARIADB_URL, defaulting to this machine's servers). Each test run creates its
own database on each server and drops it at the end, so runs never collide. With
CI=true an unreachable server fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

SERVERS = {
    "postgresql": os.environ.get("TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("TEST_MARIADB_URL",
                              "mysql+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"),
}
DATABASES = ["sqlite", *SERVERS]

# The demo hashes passwords with werkzeug's scrypt (~0.1 s a hash); the suite hashes and
# checks thousands, so its demo apps, here and in the processes they start, use a cheap one.
os.environ.setdefault("DEMO_PASSWORD_METHOD", "pbkdf2:sha256:1")
# The venvs the tests make (FlaskBB's, the installed wheel's, FLASKBB.md's from zero) skip
# compiling every file pip installs; what they import is compiled when first imported,
# and kept: the thousands of processes the suite starts (console scripts, FlaskBB's
# commands) read bytecode instead of compiling every module again, as they would where
# PYTHONDONTWRITEBYTECODE is set (as on the CI machines).
os.environ.setdefault("PIP_NO_COMPILE", "1")
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


class Server:
    """One database server: a private database for this test run, made on first use."""

    def __init__(self, name: str, url: str):
        self.name, self.base = name, sa.make_url(url)
        self.problem: str | None = None
        self.url: str | None = None

    def database(self) -> str:
        if self.url is None and self.problem is None:
            self._create()
        if self.problem:
            if os.environ.get("CI") == "true":
                pytest.fail(f"{self.name} is required in CI but unreachable: {self.problem}")
            pytest.skip(f"{self.name} at {self.base} is unreachable: {self.problem}")
        return self.url

    def _create(self) -> None:
        name = f"cs_test_{uuid.uuid4().hex[:10]}"
        engine = sa.create_engine(self.base, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(sa.text(f"CREATE DATABASE {name}"))
        except Exception as exc:  # any driver or network error: the server is not usable
            self.problem = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
            return
        finally:
            engine.dispose()
        self.url = self.base.set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.url is None:
            return
        engine = sa.create_engine(self.base, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            name = sa.make_url(self.url).database
            if self.name == "postgresql":
                connection.execute(sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        engine.dispose()


TESTS = Path(__file__).resolve().parent
# Their tests share costly session fixtures: a served demo and Chromium, the installed
# wheel. So do the FlaskBB tests that use the served forums with our plugin (`segments_site`,
# on both databases); tests/flaskbb's other modules spread like the rest.
ONE_WORKER = {"browser", "wheel"}
SHARED_FIXTURES = {"segments_site": "flaskbb forums"}


def pytest_collection_modifyitems(items):
    """``make test`` runs the suite on every core (pytest-xdist, ``--dist loadgroup``): each
    module goes to one worker, so its module fixtures are made once, and so do the groups
    above, whose session fixtures would otherwise be made on every worker."""
    for item in items:
        parts = Path(str(item.fspath)).resolve().relative_to(TESTS).parts
        shared = [SHARED_FIXTURES[f] for f in getattr(item, "fixturenames", ()) if f in SHARED_FIXTURES]
        group = parts[0] if parts[0] in ONE_WORKER else shared[0] if shared else "/".join(parts)
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def servers():
    made = {name: Server(name, url) for name, url in SERVERS.items()}
    yield made
    for server in made.values():
        server.drop()


def empty_database(url: str) -> None:
    """Drop every table (tests own their private database for their duration)."""
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        if connection.dialect.name in ("mysql", "mariadb"):
            connection.execute(sa.text("SET FOREIGN_KEY_CHECKS=0"))
        metadata.drop_all(connection)
    engine.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path, servers) -> str:
    """An empty database, once per kind: a SQLite file, or this run's PostgreSQL/MariaDB one."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    url = servers[request.param].database()
    empty_database(url)
    return url


@pytest.fixture(scope="module", params=DATABASES)
def module_db_url(request, tmp_path_factory, servers) -> str:
    """Like ``db_url``, shared by the tests of one module (for read-only fixtures)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    url = servers[request.param].database()
    empty_database(url)
    return url


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole run: Playwright's sync API allows one instance at a time,
    so the browser tests and FlaskBB's page checks share it."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, _require_chromium
    _require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
