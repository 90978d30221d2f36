"""A loopback SMTP server (aiosmtpd) that keeps every message, and the demo app wired to it."""

from __future__ import annotations

import re
import socket
import threading
from email import message_from_bytes
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from community_segments.demo.app import create_app
from community_segments.demo.models import db
from community_segments.demo.seed import ensure_admin, seed_database

from ..demo_client import log_in

MEMBERS = 3000


class Inbox:
    """Every message the server accepted (raw); ``fail_after`` makes it answer 421 then on."""

    def __init__(self):
        self.raw, self.lock = [], threading.Lock()
        self.fail_after: int | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.fail_after is not None and len(self.raw) >= self.fail_after:
            return "421 Service shutting down"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.raw.append((tuple(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return [to for tos, _ in self.raw for to in tos]

    def message(self, index: int):
        return message_from_bytes(self.raw[index][1], policy=default)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self):
        self.inbox, self.port = Inbox(), free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp) -> Inbox:
    """The server running, with an empty inbox that accepts everything."""
    if smtp.controller is None:
        smtp.start()
    smtp.inbox.raw.clear()
    smtp.inbox.fail_after = None
    return smtp.inbox


@pytest.fixture(scope="module")
def app(smtp, tmp_path_factory):
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('campaigns') / 'c.sqlite'}",
                   smtp.port, MEMBERS)
    yield app  # no app context kept pushed: each request needs its own ``g``
    with app.app_context():
        db.engine.dispose()


def make_app(url: str, port: int, members: int):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x",
                      "CAMPAIGNS_SMTP_HOST": "127.0.0.1", "CAMPAIGNS_SMTP_PORT": port})
    with app.app_context():
        seed_database(db.session, members, seed=11)
        ensure_admin(db.session)
        db.session.commit()
    return app


def logged_in(app, username="admin", password="admin"):
    client = app.test_client()
    log_in(client, username, password)
    return client


def token(client) -> str:
    html = client.get("/admin/campaigns/new").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
