"""Blinker signals: lifecycle events after commit, and segments as campaign audiences."""

from __future__ import annotations

import ast
import inspect
import tracemalloc

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from community_segments import signals
from community_segments.demo.app import create_app
from community_segments.demo.models import Member, db
from community_segments.demo.seed import seed_database
from community_segments.errors import CriteriaError, NotFound, ValidationError
from community_segments.extension import get_state
from community_segments.models import Segment
from community_segments.types import utcnow

from . import campaign_side

US = {"match": "all", "rules": [{"field": "country", "op": "equals", "value": "US"}]}
EVERYONE = {"match": "all", "rules": []}


def make_app(url: str, members: int):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SECRET_KEY": "x"})
    with app.app_context():
        seed_database(db.session, members, seed=3)
        db.session.commit()
    return app


@pytest.fixture
def app(db_url):
    app = make_app(db_url, 200)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sqlite_app(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'signals.sqlite'}", 200)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


class Recorder:
    """Records each signal with its sender and data, and what a fresh session sees then."""

    def __init__(self, engine):
        self.engine, self.events = engine, []

    def receiver(self, name):
        def record(sender, **data):
            with Session(self.engine) as fresh:
                stored = fresh.get(Segment, data["segment_id"])
                seen = None if stored is None else (stored.title, stored.version)
            self.events.append((name, sender, data, seen))
        return record


def recording(recorder):
    from contextlib import ExitStack
    stack = ExitStack()
    for name in ("created", "updated", "deleted"):
        signal = getattr(signals, f"segment_{name}")
        stack.enter_context(signal.connected_to(recorder.receiver(name)))
    return stack


def test_lifecycle_order_payloads_and_committed_data(app):
    recorder, service = Recorder(db.engine), get_state().service()
    with recording(recorder):
        segment = service.create("US", US, "From the US", actor="ada")
        sid = segment.id
        service.update(sid, version=segment.version, title="United States")
        version = service.get(sid).version
        service.delete(sid)
    assert [e[0] for e in recorder.events] == ["created", "updated", "deleted"]
    created, updated, deleted = recorder.events
    assert created[2] == {"segment_id": sid, "title": "US", "version": 1}
    assert created[1].id == sid and created[1].criteria == service.parse(US).to_dict()
    assert created[1].description == "From the US"
    assert created[3] == ("US", 1)  # committed: a new session sees it
    assert updated[2] == {"segment_id": sid, "title": "United States", "version": version}
    assert updated[3] == ("United States", version)
    assert deleted[2] == {"segment_id": sid, "title": "United States"}
    assert deleted[1].title == "United States"
    assert deleted[3] is None  # committed: gone for a new session too


def test_failed_changes_send_nothing(sqlite_app):
    recorder, service = Recorder(db.engine), get_state().service()
    segment = service.create("Taken", US)
    with recording(recorder):
        with pytest.raises(CriteriaError):
            service.create("Bad", {"rules": [{"field": "post_count", "op": "contains",
                                              "value": "x"}]})
        with pytest.raises(ValidationError):
            service.create("Taken", US)
        with pytest.raises(CriteriaError):
            service.update(segment.id, criteria={"rules": [{"field": "nope", "op": "equals"}]})
        with pytest.raises(NotFound):
            service.delete(99999)
    assert recorder.events == []


# -- audiences -----------------------------------------------------------------------------

def test_the_campaign_side_imports_nothing_of_ours():
    tree = ast.parse(inspect.getsource(campaign_side))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"__future__", "blinker"}


def test_collect_offers_every_working_segment_with_a_live_count(sqlite_app):
    service = get_state().service()
    us = service.create("US", US, "Members in the US")
    everyone = service.create("Everyone", EVERYONE)
    broken = service.create("Broken", US)
    db.session.execute(sa.update(Segment).where(Segment.id == broken.id).values(
        criteria={"match": "all", "rules": [{"field": "uninstalled", "op": "is_empty"}]}))
    db.session.commit()
    offered = {a["id"]: a for a in campaign_side.audiences(sqlite_app)}
    assert set(offered) == {f"segment:{us.id}", f"segment:{everyone.id}"}
    assert offered[f"segment:{us.id}"] == {
        "id": f"segment:{us.id}", "label": "US", "description": "Members in the US",
        "count": service.count(US)}
    assert offered[f"segment:{everyone.id}"]["count"] == 200


def test_resolve_streams_the_members_with_personalisation_fields(sqlite_app):
    segment = get_state().service().create("US", US)
    recipients = campaign_side.recipients(f"segment:{segment.id}")
    rows = list(recipients)
    assert len(rows) == get_state().service().count(US) > 0
    first = rows[0]
    assert {"id", "email", "name", "job_title", "department", "country"} <= set(first)
    member = db.session.get(Member, first["id"])
    assert (first["email"], first["name"], first["job_title"]) == (
        member.email, member.username, member.job_title)
    assert {row["country"] for row in rows} == {"US"}
    late = Member(username="late", email="late@example.org", country="US", signed_up=utcnow())
    db.session.add(late)
    db.session.commit()
    assert late.id in {row["id"] for row in recipients}  # evaluated when iterated, not stale


def test_resolve_answers_only_for_its_own_ids(sqlite_app):
    assert campaign_side.answers("newsletter:7") == [None]
    with pytest.raises(NotFound, match=r"audience 'segment:99' does not exist \(deleted\?\)"):
        campaign_side.answers("segment:99")
    segment = get_state().service().create("Short-lived", US)
    get_state().service().delete(segment.id)
    with pytest.raises(NotFound, match="does not exist"):
        campaign_side.answers(f"segment:{segment.id}")
    with pytest.raises(NotFound):
        campaign_side.answers("segment:abc")


def test_each_app_answers_only_for_itself(sqlite_app, tmp_path):
    get_state().service().create("Only in the first app", US)
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite'}", 10)
    with other.app_context():
        get_state().service().create("Only in the second app", EVERYONE)
        assert [a["label"] for a in campaign_side.audiences()] == ["Only in the second app"]
        db.session.remove()
    assert [a["label"] for a in campaign_side.audiences()] == ["Only in the first app"]
    plain = Flask("no_segments")
    with plain.app_context():
        assert campaign_side.audiences() == []
        assert campaign_side.answers("segment:1") == [None]
    with other.app_context():
        db.engine.dispose()


def test_resolving_20k_members_keeps_memory_bounded(tmp_path):
    """Iterating 20,000 recipients holds one batch (1000 rows), not the list.

    A recipient dict of 11 short values is ~0.9 KB with its strings and datetimes (the
    whole list measures ~18 MB), so a batch and the driver's rows are ~1.5 MB (measured);
    8 MB leaves room for SQLAlchemy's statement caches and still fails if the stream
    ever holds more than a few batches.
    """
    app = make_app(f"sqlite:///{tmp_path / 'big.sqlite'}", 20_000)
    with app.app_context():
        segment = get_state().service().create("Everyone", EVERYONE)
        recipients = campaign_side.recipients(f"segment:{segment.id}")
        streamed_peak, seen = _peak(lambda: sum(1 for _ in recipients))
        listed_peak, rows = _peak(lambda: list(recipients))
        assert seen == len(rows) == 20_000
        assert len({row["id"] for row in rows}) == 20_000
        print(f"streamed peak {streamed_peak / 1e6:.1f} MB, whole list {listed_peak / 1e6:.1f} MB")
        assert streamed_peak < 8e6
        assert streamed_peak * 5 < listed_peak
        db.session.remove()
        db.engine.dispose()


def _peak(work):
    tracemalloc.start()
    try:
        result = work()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


def test_audience_groups_name_the_segment_group_of_grouped_segments(sqlite_app):
    service = get_state().service()
    grouped = service.create("Grouped US", US, group="Regions")
    loose = service.create("Loose everyone", EVERYONE)
    answers = [answer for _receiver, answer in
               signals.audience_groups.send(None) if answer]
    merged = {key: name for answer in answers for key, name in answer.items()}
    assert merged[f"segment:{grouped.id}"] == "Regions"
    assert f"segment:{loose.id}" not in merged
