"""The seeded demo with an admin API client and a page client, on every database."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from ..api.conftest import API, Api, dispose, make_app
from ..demo_client import csrf_token, log_in

MEMBERS = 60
US = {"match": "all", "rules": [{"field": "country", "op": "equals", "value": "US"}]}
PAGES = "/admin/segments"
SENTINELS = [f"{PAGES}/", f"{API}/segments", f"{API}/overview", "/admin/campaigns/new"]


@pytest.fixture
def app(db_url):
    app = make_app(db_url, members=MEMBERS)
    yield app
    dispose(app)


class Admin(Api):
    """The API client, plus raw JSON bodies and form posts with the CSRF token."""

    def raw(self, method: str, path: str, text: str):
        return self.client.open(path, method=method, data=text.encode("utf-8", "surrogatepass"),
                                content_type="application/json",
                                headers={"X-CSRFToken": self.token})

    def json(self, method: str, path: str, value):
        return self.raw(method, path, json.dumps(value))

    def form(self, path: str, fields: dict):
        data = urlencode({**fields, "csrf_token": self.token}, errors="surrogatepass")
        return self.client.post(path, data=data,
                                content_type="application/x-www-form-urlencoded")

    def sentinels_answer(self) -> None:
        for path in SENTINELS:
            response = self.client.get(path)
            assert response.status_code == 200, (path, response.get_data(as_text=True)[:400])


@pytest.fixture
def admin(app) -> Admin:
    client = app.test_client()
    log_in(client, "admin", "admin")
    return Admin(client, csrf_token(client))
