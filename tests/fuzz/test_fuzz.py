"""Property: no request to any route answers 5xx, and no accepted write breaks a page.

hypothesis drives the random choices of :mod:`bench.fuzzing` (the same requests the
standing script bench/fuzz.py sends to a real server) and shrinks a failure to the
fewest, simplest calls. On SQLite, PostgreSQL and MariaDB; FUZZ_EXAMPLES scales it.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

import pytest
from bench.fuzzing import SENTINELS, Call, Fuzzer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..api.conftest import dispose, make_app
from ..demo_client import csrf_token, log_in

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
CALLS = 3


class Client:
    """The admin's browser: session cookie, CSRF token in a header or a form field."""

    def __init__(self, app):
        self.client = app.test_client()
        log_in(self.client, "admin", "admin")
        self.token = csrf_token(self.client)

    def send(self, call: Call):
        headers = dict(call.headers)
        data, content_type = None, None
        if call.body is not None:
            data, content_type = call.body.encode("utf-8", "surrogatepass"), "application/json"
        elif call.form is not None:
            form = {**call.form, **({"csrf_token": self.token} if call.csrf else {})}
            data = urlencode(form, errors="surrogatepass")
            content_type = "application/x-www-form-urlencoded"
        if call.csrf:
            headers["X-CSRFToken"] = self.token
        return self.client.open(call.path, method=call.method, data=data,
                                content_type=content_type, headers=headers)


@pytest.fixture(scope="module")
def admin(module_db_url):
    app = make_app(module_db_url, members=60)
    yield Client(app)
    dispose(app)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rng=st.randoms(use_true_random=False))
def test_no_request_answers_5xx_and_no_write_breaks_a_page(admin, rng):
    fuzzer = Fuzzer(rng, ids=range(1, 25))
    for _ in range(CALLS):
        call = fuzzer.call()
        response = admin.send(call)
        assert response.status_code < 500, f"{call} -> {response.status_code}: " \
                                            f"{response.get_data(as_text=True)[:500]}"
        if call.write and response.status_code < 400:
            for path in SENTINELS:
                after = admin.send(Call("GET", path))
                assert after.status_code == 200, f"{path} after {call}: " \
                                                  f"{after.get_data(as_text=True)[:500]}"
