"""Refresh on every database: entered/left ids are exactly the set differences of the
member lists, baselines send nothing, a criteria edit starts a new baseline, a failure
half-way leaves no trace."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from community_segments.demo.models import Member, db
from community_segments.extension import get_state
from community_segments.history import refresh as refresh_module
from community_segments.history.app import refresh_app
from community_segments.history.models import HistoryChange, HistoryPoint, Membership, OutboxEntry

from .conftest import SEGMENTS, recording


def create_segments(app) -> dict[str, int]:
    svc = get_state(app).service()
    return {title: svc.create(title, criteria).id for title, criteria in SEGMENTS.items()}


def members_of(app, segment_id: int, now: datetime) -> set[int]:
    svc = get_state(app).service()
    svc.evaluator.now = now
    svc.evaluator.session.rollback()  # its own session: a fresh snapshot (MariaDB's repeatable read)
    return {row["id"] for row in svc.stream_members(svc.get(segment_id).criteria)}


def snapshot(app, ids: dict[str, int], now: datetime) -> dict[int, set[int]]:
    return {sid: members_of(app, sid, now) for sid in ids.values()}


def table_counts() -> dict[str, int]:
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (HistoryPoint, HistoryChange, Membership, OutboxEntry)}


def change_members(now: datetime) -> None:
    """An import, an edit that moves members in and out, and a deletion."""
    for n in range(5):
        db.session.add(Member(username=f"new{n}", email=f"new{n}@logoipsum.com", country="FR",
                              primary_role="Registered user", signed_up=now, last_activity=now))
    members = db.session.scalars(sa.select(Member).order_by(Member.id).limit(40)).all()
    for member in members[:10]:
        member.country = "US" if member.country != "US" else "DE"
        member.email = f"moved{member.id}@example.org"
    for member in members[10:13]:
        db.session.delete(member)
    db.session.commit()


def test_changes_are_the_set_differences_of_the_member_lists(app):
    ids = create_segments(app)
    t0 = datetime.now(UTC)
    with recording() as signals:
        first = refresh_app(app, now=t0)
        assert signals.sends == []  # a baseline sends nothing
    assert all(r.baseline and (r.entered, r.left) == (0, 0) for r in first.segments)
    before = snapshot(app, ids, t0)
    assert {r.segment_id: r.count for r in first.segments} == {s: len(m) for s, m in before.items()}

    change_members(t0)
    t1 = t0 + timedelta(days=12)  # time passes: relative dates move members too
    after = snapshot(app, ids, t1)
    with recording() as signals:
        second = refresh_app(app, now=t1)
    by_id = {r.segment_id: r for r in second.segments}
    moved = 0
    for sid in ids.values():
        entered, left = after[sid] - before[sid], before[sid] - after[sid]
        assert sorted(signals.ids("entered", sid)) == sorted(entered)
        assert sorted(signals.ids("left", sid)) == sorted(left)
        assert (by_id[sid].count, by_id[sid].entered, by_id[sid].left) == (
            len(after[sid]), len(entered), len(left))
        assert not by_id[sid].baseline
        moved += len(entered) + len(left)
    assert moved > 20  # the changes above really moved members
    assert len(signals.ids("left", ids["Recent"])) > 0  # time passing alone
    assert all(at == t1 and sender.id == sid for _, sid, _, at, sender in signals.sends)

    with recording() as signals:  # nothing changed: nothing sent
        third = refresh_app(app, now=t1)
    assert signals.sends == [] and all(r.entered == r.left == 0 for r in third.segments)


def test_a_criteria_edit_is_a_new_baseline_not_members_joining(app):
    ids = create_segments(app)
    refresh_app(app)
    get_state(app).service().update(ids["Recent"], criteria={"match": "all", "rules": [
        {"field": "last_activity", "op": "less_than_days_ago", "value": 365}]})
    with recording() as signals:
        report = refresh_app(app)
    recent = next(r for r in report.segments if r.segment_id == ids["Recent"])
    assert recent.baseline and recent.criteria_changed and recent.entered == 0
    assert signals.ids("entered", ids["Recent"]) == []
    db.session.rollback()  # a new transaction: MariaDB's repeatable read sees the refresh
    points = db.session.scalars(sa.select(HistoryPoint).where(
        HistoryPoint.segment_id == ids["Recent"]).order_by(HistoryPoint.id)).all()
    assert [(p.baseline, p.criteria_changed) for p in points] == [(True, False), (True, True)]


def test_broken_segments_are_skipped_and_reported(app):
    ids = create_segments(app)
    segment = get_state(app).service().get(ids["Everyone"])
    segment.criteria = {"match": "all", "rules": [{"field": "gone", "op": "is_empty"}]}
    db.session.commit()
    report = refresh_app(app)
    db.session.rollback()
    assert [(sid, title) for sid, title, _ in report.skipped] == [(ids["Everyone"], "Everyone")]
    assert "gone" in report.skipped[0][2]
    assert ids["Everyone"] not in {r.segment_id for r in report.segments}
    assert len(report.segments) == len(ids) - 1


def test_a_failure_half_way_leaves_no_trace(app, monkeypatch):
    create_segments(app)
    refresh_app(app)
    change_members(datetime.now(UTC))
    before = table_counts()
    real, calls = refresh_module._record, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected failure")
        return real(*args, **kwargs)

    monkeypatch.setattr(refresh_module, "_record", failing)
    with recording() as signals, pytest.raises(RuntimeError, match="injected"):
        refresh_app(app)
    assert signals.sends == []
    db.session.rollback()
    assert table_counts() == before
    monkeypatch.setattr(refresh_module, "_record", real)
    with recording() as signals:  # the next refresh finds every change, once
        report = refresh_app(app)
    assert sum(r.entered + r.left for r in report.segments) == len(
        {(k, s, i) for k, s, ids_, _, _ in signals.sends for i in ids_}) > 0


def test_big_changes_are_sent_in_batches_of_at_most_1000(tmp_path):
    from .conftest import make_app
    app = make_app(f"sqlite:///{tmp_path / 'big.sqlite'}", members=10)
    with app.app_context():
        everyone = get_state(app).service().create("Everyone", SEGMENTS["Everyone"]).id
        refresh_app(app)
        seed_more(2500)
        with recording() as signals:
            refresh_app(app)
        sizes = [len(ids) for kind, sid, ids, _, _ in signals.sends]
        assert max(sizes) <= 1000 and sum(sizes) == 2500 and len(sizes) == 3
        assert len(set(signals.ids("entered", everyone))) == 2500
        db.session.remove()
        db.engine.dispose()


def seed_more(n: int) -> None:
    from community_segments.demo.seed import seed_database
    db.session.execute(sa.insert(Member.__table__), [
        {"username": f"bulk{i}", "email": f"bulk{i}@example.org", "primary_role": "Registered user",
         "post_count": 0} for i in range(n)])
    db.session.commit()
    assert seed_database  # the seeded tags exist already; plain rows are enough here


def test_retention_drops_change_details_and_keeps_points(app):
    ids = create_segments(app)
    t0 = datetime.now(UTC)
    refresh_app(app, now=t0)
    change_members(t0)
    refresh_app(app, now=t0 + timedelta(days=1))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(HistoryChange)) > 0
    state = get_state(app)
    state.config = dataclasses.replace(state.config, history_retention_days=30)
    refresh_app(app, now=t0 + timedelta(days=40))
    db.session.rollback()
    kept = db.session.scalars(sa.select(HistoryChange.at)).all()
    assert all(at >= t0 + timedelta(days=10) for at in kept)
    points = db.session.scalar(sa.select(sa.func.count()).select_from(HistoryPoint))
    assert points == 3 * len(ids)
