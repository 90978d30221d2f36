"""Logging in to the demo community the way a browser does: with the form's CSRF token."""

from __future__ import annotations

import re


def csrf_token(client) -> str:
    """The per-session token, as every page renders it (the login form has one)."""
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def log_in(client, username: str, password: str) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
