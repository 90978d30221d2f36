"""A cookie-keeping HTTP client on the standard library, with FlaskBB's CSRF token."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


class WebClientError(RuntimeError):
    """A page the client needs (login form, CSRF token) was not as expected."""


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    text: str

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|'
                        r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"')
CSRF_META = re.compile(r'<meta[^>]*name="csrf-token"[^>]*content="([^"]+)"')


class WebClient:
    """A cookie-keeping HTTP client that does not follow redirects by default."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.cookies)
        self._plain = urllib.request.build_opener(cookies, _NoRedirect)
        self._follow = urllib.request.build_opener(cookies)
        self._csrf: str | None = None

    def request(self, method, path, *, data=None, json_body=None, headers=None,
                follow=False) -> Response:
        body, headers = None, dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers,
                                     method=method)
        opener = self._follow if follow else self._plain
        try:
            with opener.open(req, timeout=30) as resp:
                return Response(resp.status, resp.url, dict(resp.headers),
                                resp.read().decode(errors="replace"))
        except urllib.error.HTTPError as err:
            return Response(err.code, err.url, dict(err.headers),
                            err.read().decode(errors="replace"))

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path, data=None, *, csrf=True, **kwargs) -> Response:
        """POST a form (or ``json_body=``), with the session's CSRF token unless ``csrf=False``."""
        headers = dict(kwargs.pop("headers", None) or {})
        if csrf:
            headers.setdefault("X-CSRFToken", self.csrf_token())
            if data is not None and not isinstance(data, (list, tuple)):
                data = {"csrf_token": headers["X-CSRFToken"], **data}
        return self.request("POST", path, data=data, headers=headers, **kwargs)

    def csrf_token(self, path: str = "/") -> str:
        """The session's CSRF token, read once from a page's ``<meta name="csrf-token">``."""
        if self._csrf is None:
            match = CSRF_META.search(self.get(path, follow=True).text)
            if not match:
                raise WebClientError(f"no csrf-token meta tag on {path}")
            self._csrf = match.group(1)
        return self._csrf

    def login(self, username: str, password: str) -> None:
        page = self.get("/auth/login")
        match = CSRF_INPUT.search(page.text)
        if page.status != 200 or not match:
            raise WebClientError(f"login form not found (HTTP {page.status})")
        token = match.group(1) or match.group(2)
        resp = self.post("/auth/login", {"csrf_token": token, "login": username,
                                         "password": password}, csrf=False)
        if resp.status != 302:
            raise WebClientError(f"login as {username!r} failed: HTTP {resp.status}")
        self._csrf = None
