"""The JSON API under ``/admin/segments/api/``, thin over the service."""

from __future__ import annotations

from flask import Blueprint

api = Blueprint("api", __name__)
