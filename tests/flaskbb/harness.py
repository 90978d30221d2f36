"""A real FlaskBB 2.2 host for integration tests, driven from the outside.

The test process never imports FlaskBB: it builds a venv (cached), installs wheels
into it, and talks to FlaskBB through its CLI, through Python run by the venv's
interpreter, and over HTTP with only the standard library.

FlaskBB 2.2.0 needs Python 3.14 as released; on 3.12/3.13 seven of its modules need
``from __future__ import annotations`` (see /work/shared/FLASKBB.md, section 1), and
on PostgreSQL its VARCHAR(120) ``users.password`` is too short for werkzeug 3's scrypt
hashes. ``ensure_venv`` patches both inside the test venv only (see README.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from webclient import WebClient

FLASKBB_VERSION = "2.2.0"
# psycopg2 is FlaskBB's documented PostgreSQL driver: with psycopg 3, SQLAlchemy casts
# binds, and FlaskBB's load_user(id: str) fails as `integer = character varying`.
REQUIREMENTS = (f"flaskbb=={FLASKBB_VERSION}", "psycopg[binary]", "psycopg2-binary")
REPO_ROOT = Path(__file__).resolve().parents[2]
# The same file as `python -m community_segments.hosts.flaskbb_patch` in docs/FLASKBB.md;
# run by path because the base venv has FlaskBB but not our package.
PATCH_SCRIPT = REPO_ROOT / "src" / "community_segments" / "hosts" / "flaskbb_patch.py"
DEFAULT_CACHE_DIR = REPO_ROOT / ".cache" / "flaskbb"
BUILD_IGNORE = (".git", ".cache", ".venv*", "build", "dist", "*.egg-info", "__pycache__",
                ".pytest_cache", ".hypothesis", "node_modules")
USERS = {
    "admin": ("admin", "Admin123!", "admin"),
    "moderator": ("moddy", "Moddy123!", "mod"),
    "member": ("alice", "Alice123!", "member"),
}


class HarnessError(RuntimeError):
    """A step of the FlaskBB set-up failed; the message carries its output."""


def run(cmd, *, check=True, timeout=600, **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd`` capturing text output; raise HarnessError with it on failure."""
    proc = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and proc.returncode != 0:
        raise HarnessError(
            f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
            f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc


# --- Python and the venv -------------------------------------------------------


def _python_candidates():
    if os.environ.get("PYTHON312"):
        yield os.environ["PYTHON312"]
    yield from ("python3.12", "python3.13")
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        root = run(["pyenv", "root"], timeout=30).stdout.strip()
        versions = Path(root) / "versions"
        for version in sorted(versions.glob("3.1[23].*")):
            yield str(version / "bin" / "python")


def find_python() -> str:
    """Return the real executable of a Python >= 3.12 (pyenv shims resolved)."""
    probe = "import sys; assert sys.version_info >= (3, 12); print(sys.executable)"
    for candidate in _python_candidates():
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            proc = run([candidate, "-c", probe], check=False, timeout=30)
            if proc.returncode == 0 and proc.stdout.strip():
                return proc.stdout.strip()
    raise HarnessError(
        "No Python >= 3.12 found: set PYTHON312, put python3.12 on PATH, or install it with pyenv"
    )


def patch_flaskbb(venv: Path) -> list[str]:
    """Run our documented FlaskBB patch (the module file, as a script) in ``venv``.

    Returns the files it changed (none when FlaskBB is already patched).
    """
    out = run([venv_python(venv), PATCH_SCRIPT]).stdout
    return [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("patched: ")]


def venv_python(venv: Path) -> Path:
    return Path(venv) / "bin" / "python"


def venv_key(python: str) -> str:
    """Cache key: FlaskBB version, Python version and the patch itself."""
    version = run([python, "-c", "import sys; print(sys.version)"]).stdout
    patch = PATCH_SCRIPT.read_text()
    raw = "\n".join([FLASKBB_VERSION, *REQUIREMENTS, version, patch])
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def ensure_venv(cache_dir: Path | str | None = None) -> Path:
    """Build (or reuse) a venv with FlaskBB installed and patched; return its path."""
    cache_dir = Path(cache_dir or DEFAULT_CACHE_DIR)
    cache_dir.mkdir(parents=True, exist_ok=True)
    python = find_python()
    venv = cache_dir / f"venv-{venv_key(python)}"
    ready = venv / ".harness-ready"
    with open(cache_dir / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready.exists():
            shutil.rmtree(venv, ignore_errors=True)
            run([python, "-m", "venv", venv])
            pip(venv, "install", "--quiet", "--upgrade", "pip")
            pip(venv, "install", "--quiet", *REQUIREMENTS)
            patch_flaskbb(venv)
            run([venv_python(venv), "-c", "import flaskbb, flaskbb.cli.main"])
            ready.write_text(json.dumps({"python": python, "flaskbb": FLASKBB_VERSION}))
    return venv


def clone_venv(venv: Path, dest: Path) -> Path:
    """A copy of ``venv`` at ``dest`` that runs on its own: the tests that install and
    uninstall wheels (ours, a probe plugin) do it in a copy, so test workers running at
    once never change one another's FlaskBB. Scripts in ``bin`` name their venv's python
    in their first line; those are rewritten."""
    venv, dest = Path(venv).resolve(), Path(dest)
    shutil.copytree(venv, dest, symlinks=True)
    old, new = f"#!{venv}/bin/".encode(), f"#!{dest.resolve()}/bin/".encode()
    for script in (dest / "bin").iterdir():
        if script.is_file() and not script.is_symlink():
            content = script.read_bytes()
            if content.startswith(old):
                script.write_bytes(new + content[len(old):])
    return dest


def pip(venv: Path, *args) -> subprocess.CompletedProcess:
    return run([venv_python(venv), "-m", "pip", "--disable-pip-version-check", *args])


def build_wheel(repo_root: Path | str, out_dir: Path | str, python: str | None = None) -> Path:
    """Build a wheel of the project at ``repo_root`` into ``out_dir`` with ``pip wheel``.

    It builds from a clean copy: setuptools would otherwise package whatever stale
    files sit in ``build/lib`` and leave ``build/`` and ``*.egg-info`` in the tree.
    """
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    before = {p: p.stat().st_mtime for p in out_dir.glob("*.whl")}
    with tempfile.TemporaryDirectory(prefix="wheel-src-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(repo_root, source, ignore=shutil.ignore_patterns(*BUILD_IGNORE))
        run([python or sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
             "--disable-pip-version-check", "--wheel-dir", out_dir, source])
    built = [p for p in out_dir.glob("*.whl") if before.get(p) != p.stat().st_mtime]
    if len(built) != 1:
        raise HarnessError(f"expected one new wheel in {out_dir}, found {built}")
    return built[0]


def install_wheel(venv: Path, wheel_path: Path | str) -> None:
    """Install a built wheel into ``venv`` (its dependencies first, then the wheel itself)."""
    pip(venv, "install", "--quiet", wheel_path)
    pip(venv, "install", "--quiet", "--force-reinstall", "--no-deps", wheel_path)


def uninstall(venv: Path, *dists: str) -> None:
    pip(venv, "uninstall", "--yes", *dists)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- A FlaskBB site ------------------------------------------------------------

CONFIG_EXTRA = """
DEBUG_TB_ENABLED = False
MAIL_SUPPRESS_SEND = True
CELERY_CONFIG = {"task_always_eager": True, "broker_url": "memory://", "result_backend": "cache+memory://"}
RATELIMIT_ENABLED = False
"""

APP_WRAPPER = """
import sys
from flaskbb import create_app
from flaskbb.extensions import db
app = create_app(sys.argv[1])
with app.app_context():
    exec(compile(sys.stdin.read(), "<site.python>", "exec"), {"app": app, "db": db})
"""


class FlaskBBSite:
    """One FlaskBB install: config, database, users, CLI, app-context Python, server.

    ``database_url`` defaults to a SQLite file in ``workdir``; a PostgreSQL URL
    names a database that ``setup`` (re)creates and ``close`` drops.
    """

    def __init__(self, venv: Path, workdir: Path, database_url: str | None = None):
        self.venv = Path(venv)
        self.workdir = Path(workdir)
        self.config_path = self.workdir / "flaskbb.cfg"
        self.database_url = database_url or f"sqlite:///{self.workdir / 'flaskbb.sqlite'}"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.users = dict(USERS)
        self._server: subprocess.Popen | None = None

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    def setup(self) -> FlaskBBSite:
        """Write the config, create the database, run ``flaskbb install``, add users."""
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self.write_config()
        if self.is_postgres:
            self._postgres(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)',
                           f'CREATE DATABASE "{self._pg_name}"')
        name, password, _ = self.users["admin"]
        self.cli("install", "--force", "--username", name, "--email",
                 f"{name}@example.org", "--password", password, check=True)
        for role in ("moderator", "member"):
            name, password, group = self.users[role]
            self.cli("users", "new", "-u", name, "-e", f"{name}@example.org",
                     "-p", password, "-g", group, check=True)
        return self

    def write_config(self) -> None:
        self._flaskbb("--instance", self.workdir / "instance", "makeconfig", "--development",
                      "--force", "--output", self.config_path,
                      env={"FLASKBB_USE_DEFAULT_LOGGING": "False"}, check=True)
        text = self.config_path.read_text()
        for key, value in {
            "SERVER_NAME": f"127.0.0.1:{self.port}",
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "WHOOSHEE_DIR": str(self.workdir / "whoosh_index"),
            "LOG_PATH": str(self.workdir / "logs"),
        }.items():
            text, count = re.subn(rf"(?m)^{key} = .*$", lambda _: f"{key} = {value!r}", text)  # noqa: B023
            if count != 1:
                raise HarnessError(f"{key} appears {count} times in the generated config")
        self.config_path.write_text(text + CONFIG_EXTRA)

    def cli(self, *args, check=False, timeout=300) -> tuple[int, str, str]:
        """Run ``flaskbb --config <cfg> *args``; return (exit code, stdout, stderr)."""
        proc = self._flaskbb("--config", self.config_path, *args, check=check, timeout=timeout)
        return proc.returncode, proc.stdout, proc.stderr

    def python(self, code: str, *, check=True) -> str:
        """Run ``code`` in the venv inside the app context (``app``, ``db`` bound); return stdout."""
        proc = run([venv_python(self.venv), "-c", APP_WRAPPER, self.config_path],
                   input=code, cwd=self.workdir, env=self._env(), check=check)
        return proc.stdout

    def _flaskbb(self, *args, env=None, **kwargs) -> subprocess.CompletedProcess:
        return run([self.venv / "bin" / "flaskbb", *args], cwd=self.workdir,
                   env=self._env(env), **kwargs)

    def _env(self, extra: dict | None = None) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLASKBB_")}
        env.pop("PYTHONPATH", None)
        # `flaskbb install` runs `pybabel compile` found on PATH, as in an activated venv.
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        return {**env, **(extra or {})}

    # PostgreSQL: the site's own database, created and dropped through the server's
    # maintenance database with the venv's psycopg (the test process needs no driver).

    @property
    def _pg_name(self) -> str:
        return urllib.parse.urlsplit(self.database_url).path.lstrip("/")

    def _postgres(self, *statements: str) -> None:
        parts = urllib.parse.urlsplit(self.database_url)
        dsn = urllib.parse.urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
        code = ("import sys, psycopg\n"
                "with psycopg.connect(sys.argv[1], autocommit=True) as conn:\n"
                "    for statement in sys.argv[2:]:\n"
                "        conn.execute(statement)\n")
        run([venv_python(self.venv), "-c", code, dsn, *statements], timeout=60)

    # The web server.

    def start(self, timeout: float = 60) -> None:
        """Serve the site with ``flaskbb run --no-reload``; return once it answers."""
        if self._server is not None:
            return
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115
        self._server = subprocess.Popen(
            [self.venv / "bin" / "flaskbb", "--config", self.config_path, "run",
             "--host", "127.0.0.1", "--port", str(self.port), "--no-reload"],
            cwd=self.workdir, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                self._server = None
                raise HarnessError(f"flaskbb run exited:\n{self.server_log()[-4000:]}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.base_url + "/auth/login", timeout=2).close()
                return
            time.sleep(0.1)
        self.stop()
        raise HarnessError(f"flaskbb run did not answer in {timeout}s:\n{self.server_log()[-4000:]}")

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.terminate()
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()
        self._server = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def server_log(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        """Stop the server and drop a PostgreSQL database."""
        self.stop()
        if self.is_postgres:
            self._postgres(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')

    # HTTP clients.

    def client(self) -> WebClient:
        """An anonymous client."""
        return WebClient(self.base_url)

    def login(self, role_or_username: str, password: str | None = None) -> WebClient:
        """A client logged in as a role of ``self.users`` or as a given user."""
        if password is None:
            username, password, _ = self.users[role_or_username]
        else:
            username = role_or_username
        client = self.client()
        client.login(username, password)
        return client
