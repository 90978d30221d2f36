"""A seeded demo community on each database, and a recorder of the membership signals."""

from __future__ import annotations

from contextlib import contextmanager

import blinker
import pytest

from community_segments.demo.app import create_app
from community_segments.demo.models import db
from community_segments.demo.seed import seed_database

MEMBERS = 400
ENTERED = blinker.signal("community-segments.members-entered")
LEFT = blinker.signal("community-segments.members-left")

# Criteria exercising text, enum, multi and relative-date atoms.
SEGMENTS = {
    "Recent": {"match": "all", "rules": [
        {"field": "last_activity", "op": "less_than_days_ago", "value": 30}]},
    "US or Employees": {"match": "any", "rules": [
        {"field": "country", "op": "equals", "value": "US"},
        {"field": "email", "op": "ends_with", "value": "@logoipsum.com"}]},
    "No group, not banned": {"match": "all", "rules": [
        {"field": "groups", "op": "is_empty"},
        {"field": "primary_role", "op": "not_equals", "value": "Banned"}]},
    "Everyone": {"match": "all", "rules": []},
}


def make_app(url: str, members: int = MEMBERS):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        seed_database(db.session, members, seed=11)
        db.session.commit()
    return app


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Signals:
    """Every members-entered / members-left send: (kind, segment_id, ids, at, sender)."""

    def __init__(self):
        self.sends = []

    def entered(self, sender, **kw):
        self.sends.append(("entered", kw["segment_id"], list(kw["member_ids"]), kw["at"], sender))

    def left(self, sender, **kw):
        self.sends.append(("left", kw["segment_id"], list(kw["member_ids"]), kw["at"], sender))

    def ids(self, kind: str, segment_id: int) -> list[int]:
        return [i for k, s, ids, _, _ in self.sends if (k, s) == (kind, segment_id) for i in ids]

    def clear(self):
        self.sends.clear()


@contextmanager
def recording():
    signals = Signals()
    with ENTERED.connected_to(signals.entered), LEFT.connected_to(signals.left):
        yield signals
