"""Issue 10, item 8: the demo's login redirect, secret key, cookies and headers."""

import subprocess
import sys

import pytest

from .conftest import token

EVIL_NEXT = ["//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example",
             "\\\\evil.example", "https://evil.example", "http:/evil.example",
             "/%0a/evil.example", " //evil.example", "javascript:alert(1)", "evil.example"]


def _log_in(client, next_url: str):
    from urllib.parse import quote
    csrf = token(client)
    return client.post(f"/login?next={quote(next_url, safe='/%:')}",
                       data={"username": "admin", "password": "admin", "csrf_token": csrf})


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_never_redirects_off_site(demo, target):
    response = _log_in(demo.test_client(), target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/", target


def test_login_keeps_a_same_site_next(demo):
    response = _log_in(demo.test_client(), "/admin/segments/members?page=2")
    assert response.headers["Location"] == "/admin/segments/members?page=2"


def test_session_cookie_is_samesite_lax_and_httponly(demo):
    response = _log_in(demo.test_client(), "/")
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("path", ["/", "/login", "/admin/segments/", "/admin/segments/api/fields"])
def test_security_headers_on_every_answer(demo, path):
    response = demo.test_client().get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_bad_text_at_login_is_422_not_500(demo):
    client = demo.test_client()
    response = client.post("/login", data={"username": "ad\x00min", "password": "x",
                                           "csrf_token": token(client)})
    assert response.status_code == 422
    assert "form.username" in response.text and "NUL" in response.text


def test_oversized_body_is_413(demo):
    client = demo.test_client()
    response = client.post("/login", data={"username": "a" * (3 * 1024 * 1024),
                                           "csrf_token": token(client)})
    assert response.status_code == 413


RACE = """
import sys
from pathlib import Path
from community_segments.demo.app import _secret_key
print(_secret_key(Path(sys.argv[1])))
"""


@pytest.mark.parametrize("trial", range(5))
def test_processes_starting_together_share_one_whole_key(tmp_path, trial):
    instance = tmp_path / "instance"
    runs = [subprocess.Popen([sys.executable, "-c", RACE, str(instance)],
                             stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no temporary file left
