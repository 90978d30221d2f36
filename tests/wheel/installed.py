"""The package as a user gets it: a wheel built from this checkout, installed (not
editable) into a venv of its own, its demo served by its console script on loopback.

The venv is cached under ``.cache/`` keyed by a hash of the wheel's contents, so a run
with an unchanged package reuses it and a changed package gets a fresh one.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache"
PACKAGE = ROOT / "src" / "community_segments"

#: printed by the installed package: its location, url_map and CLI command tree
PROBE = r"""
import json, click, community_segments
from community_segments.demo.app import create_app
from community_segments.demo.cli import main

def commands(group, ctx, path=()):
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        yield " ".join((*path, name))
        if isinstance(command, click.Group):
            yield from commands(command, ctx, (*path, name))

app = create_app()
rules = [{"rule": r.rule, "endpoint": r.endpoint, "methods": sorted(r.methods - {"HEAD", "OPTIONS"})}
         for r in app.url_map.iter_rules()]
print(json.dumps({"file": community_segments.__file__, "rules": rules,
                  "commands": list(commands(main, main.make_context("cs", [], resilient_parsing=True)))}))
"""


def build_wheel(out: Path) -> Path:
    """The wheel, built by the FlaskBB harness's ``build_wheel``: from a clean copy of the
    checkout, as building in place writes ``build/`` and ``*.egg-info`` into the tree,
    where another test worker may be building at the same moment (FLASKBB.md's from-zero
    test builds in place, as the doc says)."""
    harness_dir = str(ROOT / "tests" / "flaskbb")
    if harness_dir not in sys.path:
        sys.path.insert(0, harness_dir)  # the harness imports its neighbours by name
    from harness import build_wheel as from_clean_copy
    return from_clean_copy(ROOT, out)


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def source_files() -> set[str]:
    """Every file of the package in this checkout, as a wheel names it."""
    return {f"community_segments/{path.relative_to(PACKAGE).as_posix()}"
            for path in PACKAGE.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"}


def content_hash(wheel: Path) -> str:
    """Of the files inside, not of the zip (whose timestamps change with every build)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            digest.update(name.encode() + b"\0" + archive.read(name))
    return digest.hexdigest()[:16]


def installed_venv(wheel: Path) -> Path:
    """A venv with ``wheel`` installed, made once per wheel content (older ones removed);
    under a lock, as test workers may ask at once."""
    key = content_hash(wheel)
    venv = CACHE / f"wheel-venv-{key}"
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / "wheel-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (venv / ".complete").exists():
            return venv
        for old in CACHE.glob("wheel-venv-*"):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)],
                       check=True, capture_output=True, text=True)
        (venv / ".complete").write_text(wheel.name)
    return venv


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing pointing back into this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


class Browser:
    """An HTTP client with cookies that does not follow redirects (to see the 302s)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())

    def request(self, method: str, path: str, form: dict | None = None, json_body=None,
                headers: dict | None = None) -> Response:
        data, headers = None, dict(headers or {})
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.headers, answer.read())
        except urllib.error.HTTPError as answer:
            return Response(answer.code, answer.headers, answer.read())

    def page_token(self, path: str = "/login") -> str:
        html = self.request("GET", path).text
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def log_in(self, username: str, password: str) -> None:
        answer = self.request("POST", "/login", form={
            "username": username, "password": password, "csrf_token": self.page_token()})
        assert answer.status == 302, answer.text[:300]
