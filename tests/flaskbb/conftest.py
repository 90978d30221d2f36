"""Fixtures for tests against a real FlaskBB 2.2 (see README.md in this folder)."""

from __future__ import annotations

import os
import socket
import urllib.parse
from pathlib import Path

import pytest
from forum_members import seed_members
from harness import REPO_ROOT, FlaskBBSite, build_wheel, clone_venv, ensure_venv, install_wheel

HERE = Path(__file__).resolve().parent
POSTS_PLUGIN = HERE / "plugins" / "segments_posts_plugin"
PG_URL = os.environ.get(
    "FLASKBB_TEST_PG_URL",
    f"postgresql+psycopg2://postgres@127.0.0.1:5432/flaskbb_test_{os.getpid()}",
)


def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.flaskbb)


@pytest.fixture(scope="session")
def flaskbb_venv(tmp_path_factory) -> Path:
    """This session's copy of the cached venv with FlaskBB 2.2.0 installed and patched for
    Python 3.12: the tests install and uninstall wheels in it, and each test worker has
    its own."""
    cached = ensure_venv(os.environ.get("FLASKBB_CACHE_DIR"))
    return clone_venv(cached, tmp_path_factory.mktemp("flaskbb") / "venv")


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


def _require_postgres(url: str) -> None:
    if not _postgres_reachable(url):
        reason = f"PostgreSQL unreachable at {urllib.parse.urlsplit(url).netloc}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


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
    _require_postgres(PG_URL)
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


# --- community-segments installed the way a forum admin does it ----------------


@pytest.fixture(scope="session")
def segments_wheel(flaskbb_venv, tmp_path_factory) -> Path:
    """Our wheel, built once per session from a clean copy of the tree."""
    out = tmp_path_factory.mktemp("wheels")
    return build_wheel(REPO_ROOT, out / "community_segments",
                       python=str(flaskbb_venv / "bin" / "python"))


@pytest.fixture(scope="session")
def segments_venv(flaskbb_venv, segments_wheel, tmp_path_factory) -> Path:
    """The FlaskBB venv with our wheel and the test field plugin's wheel installed (not editable)."""
    out = tmp_path_factory.mktemp("wheels")
    posts = build_wheel(POSTS_PLUGIN, out / "posts_plugin", python=str(flaskbb_venv / "bin" / "python"))
    install_wheel(flaskbb_venv, segments_wheel)
    install_wheel(flaskbb_venv, posts)
    return flaskbb_venv


def site_url(kind: str, suffix: str) -> str | None:
    """None (a SQLite file) or a PostgreSQL URL of a database of this run's own."""
    if kind == "sqlite":
        return None
    _require_postgres(PG_URL)
    return f"{PG_URL}_{suffix}"


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def segments_site(request, segments_venv, tmp_path_factory):
    """A running FlaskBB with our plugin and seeded members, on SQLite and on PostgreSQL."""
    workdir = tmp_path_factory.mktemp(f"segments-{request.param}")
    site = FlaskBBSite(segments_venv, workdir, site_url(request.param, "segments"))
    try:
        site.setup()
        seed_members(site)
        site.start()
        yield site
    finally:
        site.close()


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_site(request, segments_venv, tmp_path):
    """A FlaskBB just installed with our plugin in its venv, not yet serving; dropped after."""
    site = FlaskBBSite(segments_venv, tmp_path, site_url(request.param, "lifecycle"))
    try:
        yield site.setup()
    finally:
        site.close()
