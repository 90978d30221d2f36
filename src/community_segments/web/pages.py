"""Server-rendered admin pages, thin over the service."""

from __future__ import annotations

from flask import Blueprint

pages = Blueprint("pages", __name__)
