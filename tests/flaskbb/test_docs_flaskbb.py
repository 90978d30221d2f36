"""docs/FLASKBB.md, run as written: from an empty directory to the Segments tab.

Every ``bash`` block of the page carries a ``<!-- docs-test: TAG -->`` comment; the tests
run the blocks of each tag in page order with ``bash -e`` in a fresh venv, changing only
the port (a free one) and the PostgreSQL database name (one of this run's own).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from harness import REPO_ROOT, find_python, free_port, run
from webclient import WebClient

from community_segments import migrate
from conftest import PG_URL, _require_postgres

DOC = REPO_ROOT / "docs" / "FLASKBB.md"
BLOCK = re.compile(r"(?:<!-- docs-test: (?P<tag>[\w-]+) -->\n)?```bash\n(?P<code>.*?)```", re.S)
TAGS = {"venv", "config", "sqlite", "serve", "postgres"}
WHEEL = "community_segments-0.1.0-py3-none-any.whl"
# The shell state a reader still has after steps 1 and 2, for each later block.
SHELL = ". {venv}/bin/activate\nW=$PWD/forum\nexport FLASKBB_SETTINGS=$W/flaskbb.cfg\n"


def schema_revisions() -> list[str]:
    return [script.revision for script in migrate._script().walk_revisions()]


def blocks(tag: str) -> list[str]:
    return [m["code"] for m in BLOCK.finditer(DOC.read_text()) if m["tag"] == tag]


def test_every_bash_block_is_tagged_and_run():
    tags = [m["tag"] for m in BLOCK.finditer(DOC.read_text())]
    assert tags and None not in tags, "a bash block of docs/FLASKBB.md has no docs-test tag"
    assert set(tags) <= TAGS and set(tags) == TAGS


def bash(script: str, cwd: Path, env: dict, timeout=900) -> str:
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"  # noqa: E501
    return proc.stdout


def with_port(code: str, port: int) -> str:
    return code.replace("127.0.0.1:5000", f"127.0.0.1:{port}").replace("--port 5000", f"--port {port}")


@pytest.fixture(scope="module")
def doc_env(tmp_path_factory, segments_wheel):
    """Step 1 of the page in an empty directory: a venv, FlaskBB, our wheel, the patch."""
    bindir = tmp_path_factory.mktemp("bin")
    (bindir / "python3.12").symlink_to(find_python())
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FLASKBB_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    home = tmp_path_factory.mktemp("from-zero")
    shutil.copy(segments_wheel, home / WHEEL)
    out = bash("\n".join(blocks("venv")), home, env)
    assert "patched: flaskbb/plugins/manager.py" in out and "patched: flaskbb/user/models.py" in out
    again = bash(f". forum-venv/bin/activate\n{blocks('venv')[0].splitlines()[-1]}", home, env)
    assert "already patched" in again
    return home, env


def site_dir(doc_env, name: str) -> tuple[Path, dict, str]:
    home, env = doc_env
    cwd = home / name
    cwd.mkdir()
    shutil.copy(home / WHEEL, cwd / WHEEL)
    return cwd, env, SHELL.format(venv=home / "forum-venv")


@contextlib.contextmanager
def serving(cwd: Path, env: dict, shell: str, port: int):
    (serve,) = blocks("serve")
    server = subprocess.Popen(["bash", "-c", shell + "exec " + with_port(serve, port)], cwd=cwd,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, "flaskbb run exited"
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/login", timeout=2).close()
                break
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)


def assert_segments_tab(base_url: str) -> None:
    admin = WebClient(base_url)
    admin.login("admin", "Admin123!")
    dashboard = admin.get("/admin/")
    assert dashboard.status == 200 and 'href="/admin/segments/"' in dashboard.text
    assert "Segments" in dashboard.text
    assert admin.get("/admin/segments/").status == 200
    plugins = admin.get("/admin/plugins").text
    assert "The community-segments team" in plugins and "community-segments/community-segments" in plugins


def test_from_zero_on_sqlite(doc_env):
    cwd, env, shell = site_dir(doc_env, "sqlite")
    port = free_port()
    (config,) = blocks("config")
    install, settings, upgrade, disable, remove = blocks("sqlite")
    out = bash(shell + with_port(config, port) + install, cwd, env)
    assert f"{migrate.head()} (head)" in out and "6 default segments created" in out
    with serving(cwd, env, shell, port) as base_url:
        assert_segments_tab(base_url)
    bash(shell + settings + upgrade + disable, cwd, env)
    bash(shell + remove, cwd, env)
    with sqlite3.connect(cwd / "forum" / "flaskbb.sqlite") as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        versions = {r[0] for r in db.execute("SELECT version_num FROM alembic_version")}
        plugins = {r[0] for r in db.execute("SELECT name FROM plugin_registry")}
    assert "users" in tables and versions and "portal" in plugins
    assert not {t for t in tables if t.startswith(("cs_", "community_segments"))}
    assert not versions & set(schema_revisions()) and "community_segments" not in plugins


def test_from_zero_on_postgres(doc_env):
    _require_postgres(PG_URL)
    cwd, env, shell = site_dir(doc_env, "postgres")
    port = free_port()
    name = f"forum_docs_{os.getpid()}"
    (config,) = blocks("config")
    setup, alter = (re.sub(r"(?<=[ /])forum(?=[ ']|$)", name, b, flags=re.M)
                    for b in blocks("postgres"))
    try:
        out = bash(shell + with_port(config, port) + setup + alter, cwd, env)
        assert f"{migrate.head()} (head)" in out and "ALTER TABLE" in out
        with serving(cwd, env, shell, port) as base_url:
            assert_segments_tab(base_url)
    finally:
        run(["dropdb", "--if-exists", "--force", "-h", "127.0.0.1", "-U", "postgres", name],
            check=False)
