"""The public signal names reach listeners that only know the names (``blinker.signal``)."""

from __future__ import annotations

import blinker
import pytest

from community_segments.demo.app import create_app
from community_segments.demo.models import db
from community_segments.demo.seed import seed_database
from community_segments.extension import get_state

EVERYONE = {"match": "all", "rules": []}


@pytest.fixture
def app(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'signals.sqlite'}"})
    with app.app_context():
        db.create_all()
        seed_database(db.session, 12, 5)
        db.session.commit()
        yield app


def test_lifecycle_signals_by_name_carry_the_segment(app):
    heard = []
    names = ("created", "updated", "deleted")
    receivers = {name: (lambda sender, _n=name, **kw: heard.append((_n, sender, kw)))
                 for name in names}
    for name, receiver in receivers.items():
        blinker.signal(f"community-segments.segment-{name}").connect(receiver)
    service = get_state().service()
    segment = service.create("Everyone", EVERYONE, actor="t")
    service.update(segment.id, title="All of them")
    service.delete(segment.id)
    assert [name for name, *_ in heard] == list(names)
    for _, sender, kwargs in heard:
        assert sender.id == segment.id == kwargs["segment_id"]
    assert heard[1][1].title == heard[1][2]["title"] == "All of them"
    assert heard[0][2]["version"] < heard[1][2]["version"]


def test_campaign_signals_by_name_offer_and_resolve_segments(app):
    segment = get_state().service().create("Everyone", EVERYONE, actor="t")
    offered = [audience for _, audiences in blinker.signal("campaigns.collect-audiences").send(None)
               for audience in audiences or ()]
    ours = next(a for a in offered if a["id"] == f"segment:{segment.id}")
    assert {"id", "label", "description", "count"} <= set(ours) and ours["count"] == 12
    answers = [r for _, r in blinker.signal("campaigns.resolve-audience").send(
        None, audience_id=ours["id"]) if r is not None]
    recipients = list(answers[0])
    assert len(recipients) == 12
    assert all({"id", "email", "name"} <= set(r) for r in recipients)
