"""``GET /csrf``: the CSRF token an API client sends back as ``X-CSRFToken`` on writes.

A token read from the login page stops working once the session changes at login, so
API clients ask for it after logging in; it is also in the ``X-CSRFToken`` header.
"""

from __future__ import annotations

from flask import jsonify

from .. import schemas
from .api import api
from .openapi import apidoc
from .security import csrf_token


@api.get("/csrf")
@apidoc("The CSRF token of this session, for the X-CSRFToken header of every write", "meta",
        responses={200: schemas.CsrfToken})
def csrf():
    token = csrf_token()
    response = jsonify(csrf_token=token, header="X-CSRFToken")
    response.headers["X-CSRFToken"] = token
    response.headers["Cache-Control"] = "no-store"
    return response
