"""The demo community's email campaigns: compose, pick an audience, send over SMTP.

It knows audiences only through the named blinker signals (see :mod:`.audiences`), so
any module that answers them (community-segments does) offers its audiences here.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask

from ..models import db
from .models import TABLES

DEFAULTS = {
    "CAMPAIGNS_SMTP_HOST": os.environ.get("CAMPAIGNS_SMTP_HOST", "localhost"),
    "CAMPAIGNS_SMTP_PORT": int(os.environ.get("CAMPAIGNS_SMTP_PORT", "1025")),
    "CAMPAIGNS_SMTP_USERNAME": os.environ.get("CAMPAIGNS_SMTP_USERNAME"),
    "CAMPAIGNS_SMTP_PASSWORD": os.environ.get("CAMPAIGNS_SMTP_PASSWORD"),
    "CAMPAIGNS_SMTP_STARTTLS": os.environ.get("CAMPAIGNS_SMTP_STARTTLS") == "1",
    "CAMPAIGNS_SMTP_TIMEOUT": 10,
    "CAMPAIGNS_SENDER": "Logoipsum Community <community@logoipsum.com>",
    "CAMPAIGNS_ENVELOPE_FROM": "community@logoipsum.com",
    "CAMPAIGNS_BATCH_SIZE": 200,
}


def init_app(app: Flask, is_admin: Callable[[], bool]) -> None:
    """Add the campaign pages (admins only), the ``campaigns`` CLI and their tables."""
    from .audiences import answer_compose_url, compose_url
    from .cli import campaigns_cli
    from .views import make_blueprint

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(make_blueprint(is_admin), url_prefix="/admin/campaigns")
    app.cli.add_command(campaigns_cli)
    compose_url.connect(answer_compose_url)  # "Email this segment" links land on our form
    from . import triggers
    triggers.connect(app)  # "send when a member enters this segment"
    with app.app_context():
        db.metadata.create_all(db.engine, tables=list(TABLES))
