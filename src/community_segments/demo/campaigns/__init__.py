"""The demo community's email campaigns: compose, pick an audience, send over SMTP.

It knows audiences only through the named blinker signals (see :mod:`.audiences`), so
any module that answers them (community-segments does) offers its audiences here.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask, current_app

from ..models import db
from .audiences import audience_usage
from .models import DRAFT, INTERRUPTED, SENDING, TABLES, Campaign

EXTENSION = "demo_campaigns"
IN_USE = (DRAFT, SENDING, INTERRUPTED)  # sent campaigns are done with their audience

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
    app.extensions[EXTENSION] = True
    audience_usage.connect(usage)
    app.cli.add_command(campaigns_cli)
    compose_url.connect(answer_compose_url)  # "Email this segment" links land on our form
    from . import triggers
    triggers.connect(app)  # "send when a member enters this segment"
    with app.app_context():
        db.metadata.create_all(db.engine, tables=list(TABLES))


def usage(sender, audience_id: str = "", **kwargs) -> list[str]:
    """Where this app's campaigns use ``audience_id``: drafts and unfinished sends."""
    if not current_app or EXTENSION not in current_app.extensions:
        return []
    found = db.session.execute(sa.select(Campaign.subject, Campaign.status).where(
        Campaign.audience_id == audience_id, Campaign.status.in_(IN_USE))
        .order_by(Campaign.id)).all()
    return [f"Campaign {subject!r} ({status})" for subject, status in found]
